"""The `ipverify` command line: list, show, bound, verify, certify and symbols.

    ipverify list [--json]
    ipverify show ID [--latex] [--json]
    ipverify bound ID name=value ... [activation=tanh] [--json]
    ipverify verify [--profile quick|full] [--only ID ...] [--device auto|cpu|cuda] [--out DIR] [--seed N]
                    [--threads N] [--resume] [--jobs N] [--executor serial|process|dask]
                    [--scheduler tcp://HOST:PORT]
    ipverify certify --operator SPEC|A.npy --width K --input-dim D [--observation y.npy] [--activation NAME]
                     [--seed S] [--init params.npz] [--noise-norm E | --noise-sigma S] [--gamma G] [--train STEPS]
                     [--json]
    ipverify symbols [--markdown]

Every bad input prints one line `ipverify: error: …` on stderr and exits with status 2 (never a traceback);
`verify` exits 1 when a claim failed; an interrupt (Ctrl-C) exits 130 and SIGTERM 143, with one line. The handlers
are in place before any heavy import: this module imports only the standard library at the top.

`verify` runs torch (and the fused CPU kernel) on `--threads N` intra-op threads; without it, on
$OMP_NUM_THREADS when that is set to a positive integer, else on one thread (the claims train many small
networks, for which more threads only add overhead, and much more on a busy machine). Claims run in `--jobs N`
worker processes (default: the number of cores; 1 runs them here, one after the other), or on a Dask cluster:
`--scheduler tcp://HOST:PORT`, or `--executor dask` for one started on this machine.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
from pathlib import Path

PROG = "ipverify"
SEED_LIMIT = 2**63  # verify.runner.SEED_LIMIT (not imported here: the runner is heavy)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that a run stops the same way (finished claims kept, partial report)."""


def _cli_error(message: str) -> Exception:
    from ipverify.verify._inputs import CliError

    return CliError(message)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become `CliError` (one line, exit 2) instead of usage + exit."""

    def error(self, message: str):
        raise _cli_error(f"{self.prog.removeprefix(PROG + ' ')}: {message}" if self.prog != PROG else message)


def seed_argument(text: str) -> int:
    """A `--seed` value: an integer from 0 to 2**63 − 1 (what the claims' generators accept)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"seed must be an integer from 0 to 2**63 - 1, got {text!r}")
    return value


def _count(what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if not 1 <= value <= 1024:
            raise argparse.ArgumentTypeError(f"{what} must be an integer from 1 to 1024, got {text!r}")
        return value

    return parse


_threads, _jobs = _count("threads"), _count("jobs")


def _scheduler(text: str) -> str:
    if not text.startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")) or "://" == text[-3:]:
        raise argparse.ArgumentTypeError(f"scheduler must be an address such as tcp://HOST:PORT, got {text!r}")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command."""
    parser = _Parser(prog=PROG, allow_abbrev=False,
                     description="Symbolic–numeric verifier for theorems about Deep Inverse Prior networks.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{list,show,bound,verify,certify,symbols}")
    p = sub.add_parser("list", allow_abbrev=False, help="one row per result of the catalogue")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p = sub.add_parser("show", allow_abbrev=False, help="a result's symbols, hypotheses, conclusions and sources")
    p.add_argument("id", help="result id, e.g. GD-4 (case-insensitive)")
    p.add_argument("--latex", action="store_true", help="expressions as LaTeX")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p = sub.add_parser("bound", allow_abbrev=False, help="evaluate a result's hypotheses and bounds at given values")
    p.add_argument("id", help="result id, e.g. GF-5 (case-insensitive)")
    p.add_argument("pairs", nargs="*", metavar="name=value",
                   help="symbol values (see `ipverify show ID`), and activation=tanh|sigmoid|softplus|elu")
    p.add_argument("--json", action="store_true", help="print one strict-JSON object")
    _add_verify_parser(sub)
    from ipverify.verify.certify_cli import add_certify_parser

    add_certify_parser(sub)
    p = sub.add_parser("symbols", allow_abbrev=False, help="the notation glossary: every symbol name and its meaning")
    p.add_argument("--markdown", action="store_true", help="as Markdown (the text of docs/notation.md)")
    return parser


def _add_verify_parser(sub) -> None:
    p = sub.add_parser("verify", allow_abbrev=False, help="run the numeric claims and write the report")
    p.add_argument("--profile", choices=("quick", "full"), default="quick")
    p.add_argument("--only", nargs="+", metavar="ID", help="run only these claims/results")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--out", default="verify-out", help="report folder (default: verify-out)")
    p.add_argument("--seed", type=seed_argument, default=0, help="base seed, 0 to 2**63 - 1 (default: 0)")
    p.add_argument("--threads", type=_threads, default=None, metavar="N",
                   help="intra-op threads of torch (default: $OMP_NUM_THREADS if set, else 1)")
    p.add_argument("--resume", action="store_true", help="reuse the results already under --out")
    p.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                   help="worker processes (default: the number of cores; 1: run the claims here, in turn)")
    p.add_argument("--executor", choices=("serial", "process", "dask"), default=None,
                   help="where claims run (default: process when --jobs > 1, else serial; dask: a local cluster "
                        "of --jobs workers)")
    p.add_argument("--scheduler", type=_scheduler, default=None, metavar="ADDRESS",
                   help="run the claims on the Dask cluster of this scheduler (tcp://HOST:PORT)")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse; `bound` also takes name=value pairs placed after an option (`bound ID --json a=1`)."""
    args, extra = build_parser().parse_known_args(argv)
    if extra and args.command == "bound" and not any(e.startswith("-") for e in extra):
        args.pairs = list(args.pairs) + extra
    elif extra:
        raise _cli_error(f"unrecognized arguments: {' '.join(extra)}")
    return args


# ---------------------------------------------------------------------------------------------- commands


def cmd_list(args) -> int:
    from ipverify.theory import family
    from ipverify.verify._inputs import catalogue_rows
    from ipverify.verify._render import dumps, list_payload, table

    rows = catalogue_rows()
    text = table(("id", "provenance", "paper", "title"),
                 [(r.id, r.provenance.value, family(r.id).paper, r.title) for r in rows], indent="")
    print(dumps(list_payload(rows)) if args.json else text)
    return 0


def cmd_show(args) -> int:
    from ipverify.verify._inputs import resolve_result
    from ipverify.verify._render import dumps, show_payload, show_text

    result = resolve_result(args.id)
    print(dumps(show_payload(result, args.latex)) if args.json else show_text(result, args.latex))
    return 0


def evaluate_bound(result_id: str, pairs: list[str]):
    """Validate the inputs, fill activation constants and defaults, and run the result's checker (a BoundReport)."""
    import warnings

    import numpy as np

    from ipverify.numerics.checkers import Checker
    from ipverify.verify._inputs import collect_inputs, resolve_result, with_undefined
    from ipverify.verify._render import BoundReport

    result = resolve_result(result_id)
    inputs, activation, common_notes = collect_inputs(result, pairs)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        values = {name: item.value for name, item in inputs.items()}
        evaluation = with_undefined(result, Checker(result).evaluate(values))
    notes = (_failure_notes(evaluation) + _undefined_notes(evaluation) + _definition_notes(result, inputs)
             + _activation_notes(result, activation) + common_notes)
    return BoundReport(result, inputs, evaluation, activation, notes)


def _failure_notes(evaluation) -> list[str]:
    """A failed hypothesis is an answer, not an input error: the theorem asserts nothing at these values."""
    failed = [v.name for v in evaluation.hypotheses if v.truth is False]
    if not failed:
        return []
    which = f"hypothesis {failed[0]} fails" if len(failed) == 1 else f"hypotheses {', '.join(failed)} fail"
    return [f"{which}: the theorem asserts nothing at these values; the conclusions "
            "are the formulas' values (a limit such as a largest admissible step still applies)"]


def _undefined_notes(evaluation) -> list[str]:
    """The quantities undefined at these values, grouped by reason (each reason is a failed hypothesis)."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in evaluation.undefined.items():
        by_reason.setdefault(reason, []).append(name)
    return [f"undefined at these values: {', '.join(names)} ({reason})" for reason, names in by_reason.items()]


def _definition_notes(result, inputs) -> list[str]:
    """A given value of a defined symbol replaces its definition: say so, since the two may disagree."""
    return [f"{d.name} was given, so its definition {d.name} = {d.expr} ({d.meaning}) is not used"
            for d in result.definitions if d.name in inputs and inputs[d.name].source == "given"]


def _activation_notes(result, activation: dict | None) -> list[str]:
    if activation is None:
        return []
    declared = {s.name for s in result.symbols}
    notes = []
    if not activation["is_c2"] and "C" in declared:
        notes.append(f"activation {activation['name']} is not C²: {result.id} needs φ ∈ C², and C = "
                     f"{activation['C']:g} is only Lip(φ′)")
    if not activation["filled"]:
        notes.append(f"activation {activation['name']} filled in nothing: {result.id} declares none of its "
                     "constants, or they were given")
    return notes


def cmd_bound(args) -> int:
    from ipverify.verify._render import bound_payload, bound_text, dumps

    report = evaluate_bound(args.id, args.pairs)
    print(dumps(bound_payload(report)) if args.json else bound_text(report))
    return 0


def check_out_path(text: str) -> Path:
    """--out names a folder that exists or can be created (nothing is created here); CliError otherwise."""
    if not text.strip():
        raise _cli_error("--out must name a folder (got an empty path)")
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise _cli_error(f"--out {text!r} is not a writable folder: it exists and is not a folder")
    ancestor = out
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise _cli_error(f"--out {text!r} is not a writable folder: {str(ancestor)!r} is not a writable folder")
    return out


def _check_device(device: str) -> None:
    from ipverify.numerics._device import resolve_device

    try:
        resolve_device(device)
    except ValueError as exc:
        raise _cli_error(str(exc)) from None


def thread_count(requested: int | None) -> int:
    """--threads N, else $OMP_NUM_THREADS when it is a positive integer, else 1."""
    if requested:
        return requested
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(env) if env.isdigit() and int(env) > 0 else 1


class _Rows:
    """Prints each claim's row as it finishes (above the progress bar) and keeps the results."""

    def __init__(self):
        self.results, self.total = [], None

    def __call__(self, i: int, total: int, result) -> None:
        from tqdm.auto import tqdm

        from ipverify.verify._render import fmt

        self.results.append(result)
        self.total = total
        width = len(str(total))
        resumed = "  (resumed)" if result.details.get("resumed") else ""
        tqdm.write(f"[{i:>{width}}/{total}] {result.claim:<32} {str(result.verdict):<16} observed/bound "
                   f"{fmt(result.ratio):<10} {result.instances:>5} instances {result.wall_time:8.2f}s{resumed}",
                   file=sys.stdout)
        sys.stdout.flush()


def resume_command(args, out: Path) -> str:
    parts = [PROG, "verify", "--resume", "--out", str(out), "--profile", args.profile, "--seed", str(args.seed),
             "--device", args.device]
    if args.only:
        parts += ["--only", *args.only]
    if args.threads:
        parts += ["--threads", str(args.threads)]
    for option in ("jobs", "executor", "scheduler"):
        if getattr(args, option, None):
            parts += [f"--{option}", str(getattr(args, option))]
    return shlex.join(parts)


def job_count(requested: int | None) -> int:
    """--jobs N, else the number of cores."""
    return requested or os.cpu_count() or 1


def _check_dask(args) -> None:
    if args.scheduler or args.executor == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise _cli_error("--scheduler/--executor dask need dask.distributed: pip install 'ipverify[dask]'") \
                from None


def cmd_verify(args) -> int:
    out = check_out_path(args.out)
    _check_device(args.device)
    _check_dask(args)
    if job_count(args.jobs) > 1 and not (args.scheduler or args.executor in ("dask", "serial")):
        from ipverify.verify.executors import start_server

        start_server()  # the workers' imports overlap this process's own
    try:
        from ipverify.verify.runner import run_claims
    except ImportError as exc:
        raise _cli_error(f"the claim runner is not available ({exc})") from None
    import torch

    from ipverify.verify.report import count_line

    only = [item.strip() for item in args.only] if args.only else None
    rows, threads = _Rows(), torch.get_num_threads()
    torch.set_num_threads(thread_count(args.threads))
    try:
        results = run_claims(profile=args.profile, only=only, device=args.device, out=out, seed=args.seed,
                             resume=args.resume, progress=rows, jobs=job_count(args.jobs),
                             threads=thread_count(args.threads), executor=args.executor, scheduler=args.scheduler)
    except (ValueError, KeyError) as exc:  # bad settings, an --only it does not know, an OUT of another run
        raise _cli_error(str(exc.args[0]) if exc.args else type(exc).__name__) from None
    except OSError as exc:  # a scheduler that cannot be reached
        raise _cli_error(f"cannot run the claims: {exc}") from None
    except KeyboardInterrupt:
        if rows.results:
            print(count_line(rows.results, rows.total))
        if (out / "report.md").exists():
            print(f"partial report written under {out}")
        print(f"resume with: {resume_command(args, out)}")
        raise
    finally:
        torch.set_num_threads(threads)
    print(count_line(results))
    print(f"report written under {out}")
    return 1 if any(r.failed for r in results) else 0


def cmd_certify(args) -> int:
    from ipverify.verify.certify_cli import cmd_certify as run

    return run(args)


def cmd_symbols(args) -> int:
    from ipverify.verify.glossary import glossary_markdown, glossary_text

    print(glossary_markdown() if args.markdown else glossary_text(), end="" if args.markdown else "\n")
    return 0


COMMANDS = {"list": cmd_list, "show": cmd_show, "bound": cmd_bound, "verify": cmd_verify, "certify": cmd_certify,
            "symbols": cmd_symbols}


# ---------------------------------------------------------------------------------------------- entry point


def _error(message: str) -> int:
    """Print one line `ipverify: error: …` on stderr; exit status 2."""
    print(f"{PROG}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return 2


def _quiet_broken_pipe() -> int:
    """stdout was closed (`ipverify list | head`): silence the final flush and exit 1."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return 1


def _raise_terminated(signum, frame):
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    """Run one `ipverify` command; returns the exit status (0 ok, 1 failed claims, 2 bad input, 130 interrupt,
    143 SIGTERM). The interrupt handlers are set before anything heavy is imported."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread
        previous = None
    try:
        return _dispatch(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        print(f"{PROG}: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return 143 if terminated else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _dispatch(argv: list[str]) -> int:
    from ipverify.theory import FamilyError
    from ipverify.verify._inputs import CliError  # heavy (the catalogue): imported once the handlers are in place

    try:
        args = parse_args(argv)
        return COMMANDS[args.command](args)
    except (CliError, FamilyError) as exc:
        return _error(str(exc))
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, never a traceback
        return _error(f"unexpected {type(exc).__name__}: {exc}")
