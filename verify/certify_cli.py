"""The `ipverify certify` subcommand: argument parsing and the safe reading of the user's files.

Files from users are untrusted: `.npy`/`.npz` are read with ``allow_pickle=False``, after checking their size
(`MAX_FILE_BYTES`, and the uncompressed size of every member of an `.npz`); object, complex or non-numeric arrays,
NaN/inf, empty arrays, wrong shapes and mismatched sizes each raise `CliError` with one line (exit status 2).
"""

from __future__ import annotations

import math
import os
import zipfile

MAX_FILE_BYTES = 64 * 2**20
"""Largest accepted file (and largest uncompressed `.npz` member): 64 MiB."""
MAX_TRAIN_STEPS = 1_000_000


def _cli_error(message: str) -> Exception:
    from ipverify.verify._inputs import CliError  # imported when needed: this module is light to import (verify.cli)

    return CliError(message)


def add_certify_parser(sub) -> None:
    """Register `certify` on the subparsers `sub` of the top-level parser."""
    from ipverify.verify.cli import seed_argument  # the one seed rule of the command line

    p = sub.add_parser("certify", allow_abbrev=False,
                       help="certify an operator, an observation and a two-layer DIP; answer step, width, stopping")
    p.add_argument("--operator", required=True, metavar="SPEC",
                   help="a dense matrix .npy file, or a built-in operator such as blur1d:n=64,sigma=1.04")
    p.add_argument("--observation", metavar="Y.npy", help="the observation y (m,); planted when absent")
    p.add_argument("--width", type=_positive_int, required=True, metavar="K", help="hidden width k")
    p.add_argument("--input-dim", type=_positive_int, required=True, metavar="D", help="input dimension d")
    p.add_argument("--activation", default="tanh", help="tanh | sigmoid | softplus | elu (default: tanh)")
    p.add_argument("--seed", type=seed_argument, default=0, help="seed of θ₀ (and of a planted y), default 0")
    p.add_argument("--init", metavar="PARAMS.npz", help="W (k×d), V (n×k), u (d) instead of drawing θ₀ from --seed")
    noise = p.add_mutually_exclusive_group()
    noise.add_argument("--noise-norm", type=_positive_float, metavar="E", help="a bound on ‖ε‖")
    noise.add_argument("--noise-sigma", type=_positive_float, metavar="S", help="noise standard deviation per entry")
    p.add_argument("--gamma", type=_positive_float, metavar="G", help="GD step size (default 1/L, L certified)")
    p.add_argument("--train", type=_train_steps, metavar="STEPS", help="train by GD and judge the run")
    p.add_argument("--json", action="store_true", help="print one strict-JSON object")


def cmd_certify(args) -> int:
    """Run `certify` for parsed `args`; bad input raises `verify._inputs.CliError`."""
    from ipverify.numerics.certify import build_problem, parse_operator_spec
    from ipverify.verify._inputs import parse_activation
    from ipverify.verify._render import dumps
    from ipverify.verify.certify import certify_payload, certify_text

    activation = parse_activation(args.activation)
    try:
        if args.operator.strip().lower().endswith(".npy"):
            A = load_array(args.operator, "operator", ndim=2)
        else:
            A = parse_operator_spec(args.operator)
        y = load_array(args.observation, "observation", ndim=1) if args.observation else None
        init = load_init(args.init) if args.init else None
        problem = build_problem(A, y, width=args.width, input_dim=args.input_dim, activation=activation,
                                seed=args.seed, init=init, noise_norm=args.noise_norm, noise_sigma=args.noise_sigma,
                                gamma=args.gamma)
        payload = certify_payload(problem, train=args.train)
    except ValueError as exc:  # a degenerate problem (A = 0, sizes that do not fit): one line
        raise _cli_error(str(exc)) from None
    print(dumps(payload) if args.json else certify_text(payload))
    return 0


# ---------------------------------------------------------------------------------------------- safe file reading


def _check_size(path: str, label: str) -> None:
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise _cli_error(f"{label} file {path!r} cannot be read: {exc.strerror or exc}") from None
    if not os.path.isfile(path):
        raise _cli_error(f"{label} file {path!r} is not a regular file")
    if size == 0:
        raise _cli_error(f"{label} file {path!r} is empty")
    if size > MAX_FILE_BYTES:
        raise _cli_error(f"{label} file {path!r} is {size} bytes, over the {MAX_FILE_BYTES} byte limit")


def check_array(array, label: str, ndim: int | None = None):
    """A finite, non-empty real array as float64; CliError otherwise."""
    import numpy as np

    if not isinstance(array, np.ndarray):
        raise _cli_error(f"{label} is not an array")
    if array.dtype.kind not in "fiub":
        raise _cli_error(f"{label} must hold real numbers, got dtype {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise _cli_error(f"{label} must be a {ndim}-D array, got shape {array.shape}")
    if array.size == 0:
        raise _cli_error(f"{label} is empty (shape {array.shape})")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise _cli_error(f"{label} has NaN or infinite entries")
    return array


def load_array(path: str, label: str, ndim: int | None = None):
    """One array from a `.npy` file (no pickles, size-limited, finite, real)."""
    import numpy as np

    _check_size(path, label)
    try:
        array = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - any malformed file is one line
        raise _cli_error(f"{label} file {path!r} is not a readable .npy array ({type(exc).__name__})") from None
    if not isinstance(array, np.ndarray):
        raise _cli_error(f"{label} file {path!r} holds several arrays; give one array as .npy")
    return check_array(array, label, ndim)


def load_init(path: str) -> dict:
    """W, V and u from an `.npz` (each member size-limited before it is decompressed)."""
    import numpy as np

    from ipverify.verify._inputs import CliError

    _check_size(path, "init")
    try:
        with zipfile.ZipFile(path) as archive:
            if any(info.file_size > MAX_FILE_BYTES for info in archive.infolist()):
                raise _cli_error(f"init file {path!r} has a member over the {MAX_FILE_BYTES} byte limit")
        with np.load(path, allow_pickle=False) as data:
            absent = [key for key in ("W", "V", "u") if key not in data.files]
            if absent:
                raise _cli_error(f"init file {path!r} lacks {', '.join(absent)} (needs W (k×d), V (n×k), u (d))")
            arrays = {key: data[key] for key in ("W", "V", "u")}
    except CliError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _cli_error(f"init file {path!r} is not a readable .npz archive ({type(exc).__name__})") from None
    return {key: check_array(value, f"init {key}", 1 if key == "u" else 2) for key, value in arrays.items()}


# ---------------------------------------------------------------------------------------------- argument types


def _argument_error(message: str):
    import argparse

    return argparse.ArgumentTypeError(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 10**6:
        raise _argument_error(f"expected an integer from 1 to 1000000, got {text!r}")
    return value


def _train_steps(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_TRAIN_STEPS:
        raise _argument_error(f"at most {MAX_TRAIN_STEPS} steps, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise _argument_error(f"expected a finite positive number, got {text!r}")
    return value
