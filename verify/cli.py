"""The `ipverify` command line: list, show, bound and verify.

    ipverify list [--json]
    ipverify show ID [--latex] [--json]
    ipverify bound ID name=value ... [activation=tanh] [--json]
    ipverify verify [--profile quick|full] [--only ID ...] [--device auto|cpu|cuda] [--out DIR] [--seed N] [--resume]

Every bad input prints one line `ipverify: error: …` on stderr and exits with status 2 (never a traceback);
`verify` exits 1 when a claim failed; an interrupt exits 130.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from verify._inputs import CliError, collect_inputs, resolve_result
from verify._render import (
    BoundReport,
    bound_payload,
    bound_text,
    dumps,
    list_payload,
    list_text,
    show_payload,
    show_text,
    verify_text,
)

PROG = "ipverify"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become `CliError` (one line, exit 2) instead of usage + exit."""

    def error(self, message: str):
        raise CliError(f"{self.prog.removeprefix(PROG + ' ')}: {message}" if self.prog != PROG else message)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be a non-negative integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command."""
    parser = _Parser(prog=PROG, allow_abbrev=False,
                     description="Symbolic–numeric verifier for theorems about Deep Inverse Prior networks.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{list,show,bound,verify}")
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
    return parser


def _add_verify_parser(sub) -> None:
    p = sub.add_parser("verify", allow_abbrev=False, help="run the numeric claims and write the report")
    p.add_argument("--profile", choices=("quick", "full"), default="quick")
    p.add_argument("--only", nargs="+", metavar="ID", help="run only these claims/results")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--out", default="verify-out", help="report folder (default: verify-out)")
    p.add_argument("--seed", type=_seed, default=0)
    p.add_argument("--resume", action="store_true", help="reuse the results already under --out")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse; `bound` also takes name=value pairs placed after an option (`bound ID --json a=1`)."""
    args, extra = build_parser().parse_known_args(argv)
    if extra and args.command == "bound" and not any(e.startswith("-") for e in extra):
        args.pairs = list(args.pairs) + extra
    elif extra:
        raise CliError(f"unrecognized arguments: {' '.join(extra)}")
    return args


# ---------------------------------------------------------------------------------------------- commands


def cmd_list(args) -> int:
    from theory import results

    print(dumps(list_payload(results())) if args.json else list_text(results()))
    return 0


def cmd_show(args) -> int:
    result = resolve_result(args.id)
    print(dumps(show_payload(result, args.latex)) if args.json else show_text(result, args.latex))
    return 0


def evaluate_bound(result_id: str, pairs: list[str]) -> BoundReport:
    """Validate the inputs, fill activation constants and defaults, and run the result's checker."""
    from numerics.checkers import checker

    result = resolve_result(result_id)
    inputs, activation = collect_inputs(result, pairs)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        evaluation = checker(result.id).evaluate({name: item.value for name, item in inputs.items()})
    notes = _definition_notes(result, inputs) + _activation_notes(result, activation)
    return BoundReport(result, inputs, evaluation, activation, notes)


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
    report = evaluate_bound(args.id, args.pairs)
    print(dumps(bound_payload(report)) if args.json else bound_text(report))
    return 0


def check_writable(out: Path) -> None:
    """Create `out` if needed and prove a file can be written there; CliError otherwise."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise CliError(f"--out {str(out)!r} is not a writable folder: {exc.strerror or exc}") from None


def _check_device(device: str) -> None:
    from numerics._device import resolve_device

    try:
        resolve_device(device)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def cmd_verify(args) -> int:
    out = Path(args.out)
    check_writable(out)
    _check_device(args.device)
    try:
        from verify.runner import run_claims
    except ImportError as exc:
        raise CliError(f"the claim runner is not available ({exc})") from None
    only = [item.strip() for item in args.only] if args.only else None
    try:
        results = run_claims(profile=args.profile, only=only, device=args.device, out=out, seed=args.seed,
                             resume=args.resume)
    except (ValueError, KeyError) as exc:  # the runner rejects an --only it does not know, for instance
        raise CliError(str(exc.args[0]) if exc.args else type(exc).__name__) from None
    print(verify_text(results))
    print(f"report written under {out}")
    return 1 if any(r.failed for r in results) else 0


COMMANDS = {"list": cmd_list, "show": cmd_show, "bound": cmd_bound, "verify": cmd_verify}


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


def main(argv: list[str] | None = None) -> int:
    """Run one `ipverify` command; returns the exit status (0 ok, 1 failed claims, 2 bad input, 130 interrupt)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parse_args(argv)
        return COMMANDS[args.command](args)
    except CliError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, never a traceback
        return _error(f"unexpected {type(exc).__name__}: {exc}")
