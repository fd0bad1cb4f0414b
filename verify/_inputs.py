"""Parsing and validation of command-line inputs for `ipverify bound` (and result ids for every command).

Values are read with `float()` only: user text is never evaluated, sympified or parsed as an expression.
Every bad input raises `CliError`, whose message the CLI prints as one line with exit status 2. A value inside
every symbol's domain is never an error, even where a result's constants are undefined (ρ ≥ 1 for ρ/(1 − ρ)): the
result declares those regions (`Result.undefined`), each excluded by a hypothesis, and `with_undefined` marks the
quantities it makes undefined, so that `bound` answers with the hypothesis failing.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ipverify import theory
from ipverify.numerics.checkers import Evaluation, compile_expr
from ipverify.theory import FamilyError, Result, Sym, get, ids
from ipverify.theory._core import NONNEGATIVE
from ipverify.theory.symbols import SYMBOLS

ACTIVATION_KEY = "activation"
"""The special `bound` key that fills in the activation constants of the two-layer DIP."""

ACTIVATION_SYMBOLS = ("C_phi", "C_phi_prime", "B", "C")
"""Symbols an `activation=NAME` argument may fill in (when the result declares them and they are not given)."""

SOURCES = ("given", "noise model", "activation", "default", "derived")
"""Where an input value came from, in the order of precedence of the first four."""

NOISE_SIGMA = Sym("noise_sigma", "per-entry standard deviation σ of a Gaussian noise ε with m independent "
                  "N(0, σ²) entries", NONNEGATIVE)
COMMON = {**{name: SYMBOLS[name] for name in ("n", "m", "d", "k", "noise")}, NOISE_SIGMA.name: NOISE_SIGMA}
"""Names every result's `bound` accepts: the dimensions and the noise (ignored, with a note, where irrelevant)."""

NOISE_CONFIDENCE = 0.99


def noise_from_sigma(sigma: float, m: float) -> float:
    """σ(√m + √(2 ln 100)): for ε with m independent N(0, σ²) entries, ‖ε‖ ≤ this with probability ≥ 0.99.

    ε ↦ ‖ε‖ is 1-Lipschitz, so Gaussian concentration gives P(‖ε‖ ≥ E‖ε‖ + σt) ≤ exp(−t²/2), and
    E‖ε‖ ≤ (E‖ε‖²)^½ = σ√m; t = √(2 ln(1/δ)) with δ = 1 − 0.99.
    """
    return sigma * (math.sqrt(m) + math.sqrt(2 * math.log(1 / (1 - NOISE_CONFIDENCE))))


class CliError(Exception):
    """A bad command-line input; reported as one line `ipverify: error: …`, exit status 2."""


@dataclass(frozen=True)
class Input:
    """One value of a symbol and where it came from (`source` is one of `SOURCES`)."""

    value: float
    source: str
    detail: str = ""


def catalogue_rows() -> list:
    """One record per result, in catalogue order (what `ipverify list` shows)."""
    try:
        return list(theory.results())
    except FamilyError as exc:
        raise CliError(str(exc)) from None


def resolve_result(result_id: str) -> Result:
    """The catalogue result with this id (case-insensitive), or a CliError listing the known ids."""
    if isinstance(result_id, str):
        try:
            return get(result_id)
        except (KeyError, AttributeError, TypeError):
            pass
        except FamilyError as exc:
            raise CliError(str(exc)) from None
    known = ", ".join(result.id for result in catalogue_rows())  # the whole catalogue, only to say what exists
    hint = _suggestion(result_id.strip().upper(), ids()) if isinstance(result_id, str) else ""
    raise CliError(f"unknown result id {result_id!r}; known ids: {known}{hint}")


def allowed_names(result: Result) -> list[str]:
    """The names `bound` accepts for this result: its symbols, then `activation`."""
    return [s.name for s in result.symbols] + [ACTIVATION_KEY]


def _suggestion(name: str, allowed: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def split_pair(text: str, result: Result) -> tuple[str, str]:
    """`name=value` → (name, value text); the name must be a symbol of `result` or `activation`."""
    allowed = allowed_names(result)
    name, sep, raw = text.partition("=")
    if not sep:
        raise CliError(f"argument {text!r} has no '=': write name=value with name one of {', '.join(allowed)}")
    name = name.strip()
    if name not in allowed and name not in COMMON:
        raise CliError(f"unknown symbol {name!r} for {result.id}{_suggestion(name, [*allowed, *COMMON])}; "
                       f"allowed: {', '.join(allowed)}; for every result: {', '.join(COMMON)}")
    return name, raw


def parse_value(sym: Sym, raw: str) -> float:
    """A finite float inside the symbol's domain (an integer for integer domains)."""
    try:
        value = float(raw)
    except (ValueError, TypeError):
        raise CliError(f"value of {sym.name} is not a number: {raw!r} (write a decimal like 0.5 or 1e-3)") from None
    if not math.isfinite(value):
        raise CliError(f"value of {sym.name} must be finite, got {raw!r}")
    if sym.domain.integer and value != int(value):
        raise CliError(f"value of {sym.name} must be an integer ({sym.domain.describe()}), got {raw!r}")
    if not sym.domain.contains(value):
        raise CliError(f"value of {sym.name} is outside its domain: {sym.name} = {value:g} is not "
                       f"{sym.domain.describe()}")
    return value


def parse_activation(raw: str) -> str:
    """A registered activation name (case-insensitive)."""
    from ipverify.numerics.activations import ACTIVATIONS

    name = raw.strip().lower()
    if name not in ACTIVATIONS:
        raise CliError(f"unknown activation {raw!r}; allowed: {', '.join(sorted(ACTIVATIONS))}")
    return name


def parse_pairs(result: Result, pairs: Iterable[str]) -> tuple[dict[str, float], str | None, dict[str, float]]:
    """The given values of the result's symbols, the activation name (or None), and the values of the `COMMON`
    names the result does not declare; each name at most once."""
    given: dict[str, float] = {}
    common: dict[str, float] = {}
    activation = None
    seen: set[str] = set()
    declared = {s.name for s in result.symbols}
    for text in pairs:
        name, raw = split_pair(text, result)
        if name in seen:
            raise CliError(f"{name} is given twice; give each name once")
        seen.add(name)
        if name == ACTIVATION_KEY:
            activation = parse_activation(raw)
        elif name in declared:
            given[name] = parse_value(result.symbol(name), raw)
        else:
            common[name] = parse_value(COMMON[name], raw)
    return given, activation, common


def noise_inputs(result: Result, given: dict, common: dict) -> tuple[dict[str, Input], list[str]]:
    """`noise` from `noise_sigma` and `m` when the result declares a noise level; notes for every `COMMON` name
    given that the result does not use."""
    declared = {s.name for s in result.symbols}
    filled, used = {}, set()
    if NOISE_SIGMA.name in common:
        if "noise" in given or "noise" in common:
            raise CliError("give the noise once: noise (the norm ‖ε‖) or noise_sigma (the per-entry σ), not both")
        if "noise" in declared:
            m = given.get("m", common.get("m"))
            if m is None:
                raise CliError("noise_sigma needs m, the number of measurements: ‖ε‖ ≤ σ(√m + √(2 ln 100)) with "
                               "probability ≥ 0.99")
            sigma, used = common[NOISE_SIGMA.name], {NOISE_SIGMA.name, "m"}
            filled["noise"] = Input(noise_from_sigma(sigma, m), "noise model",
                                    f"‖ε‖ ≤ σ(√m + √(2 ln 100)), σ = {sigma:g}, m = {m:g}, probability ≥ 0.99")
    notes = [f"{name} = {value:g} ignored: {result.id} does not depend on it ({COMMON[name].meaning})"
             for name, value in common.items() if name not in used]
    if filled:
        notes.append(f"noise = {filled['noise'].value:g} from noise_sigma: for ε with m independent N(0, σ²) "
                     "entries, ‖ε‖ ≤ σ(√m + √(2 ln 100)) with probability ≥ 0.99, so the verdict holds with that "
                     "probability")
    return filled, notes


def activation_inputs(result: Result, activation: str | None, given: dict) -> tuple[dict[str, Input], dict | None]:
    """Constants of the activation for the declared symbols that were not given, and the full constant table."""
    if activation is None:
        return {}, None
    from ipverify.numerics.activations import activation_constants

    constants = activation_constants(activation)
    declared = {s.name for s in result.symbols}
    filled = {name: Input(float(constants[name]), "activation", f"activation {activation}")
              for name in ACTIVATION_SYMBOLS if name in declared and name not in given}
    return filled, {"name": activation, **constants, "filled": sorted(filled)}


def default_inputs(result: Result, known: Iterable[str]) -> dict[str, Input]:
    """Symbol defaults for the symbols not known yet; a symbol that a definition can fill keeps no default."""
    known = set(known)
    defined = {d.name for d in result.definitions}
    return {s.name: Input(float(s.default), "default", "default")
            for s in result.symbols
            if s.default is not None and s.name not in known and s.name not in defined}


def collect_inputs(result: Result, pairs: Iterable[str]) -> tuple[dict[str, Input], dict | None, list[str]]:
    """Given values, then the noise model, activation constants, defaults.
    Returns (inputs, activation constants or None, notes on the `COMMON` names)."""
    given, activation, common = parse_pairs(result, pairs)
    inputs = {name: Input(value, "given") for name, value in given.items()}
    from_noise, notes = noise_inputs(result, given, common)
    inputs.update(from_noise)
    from_activation, constants = activation_inputs(result, activation, given)
    inputs.update(from_activation)
    inputs.update(default_inputs(result, inputs))
    return _in_symbol_order(result, inputs), constants, notes


def _in_symbol_order(result: Result, inputs: dict[str, Input]) -> dict[str, Input]:
    return {s.name: inputs[s.name] for s in result.symbols if s.name in inputs}


@dataclass
class BoundEvaluation(Evaluation):
    """An evaluation that says which quantities are undefined at its values (name → the reasons): their values are
    None, they are not derived, a hypothesis among them is undecided, and `no_guarantee` gives the reason."""

    undefined: dict = field(default_factory=dict)

    def no_guarantee(self, name: str) -> str | None:
        if name in self.undefined:
            return f"undefined: {self.undefined[name]}"
        return super().no_guarantee(name)


def with_undefined(result: Result, evaluation: Evaluation) -> BoundEvaluation:
    """`evaluation` with the quantities of `result.undefined` marked where their region holds (on some element);
    a region missing an input marks nothing (what it would mark is missing too, or computed)."""
    known = {**evaluation.values, **evaluation.derived}
    holding = set()
    for u in result.undefined:
        names, fn = compile_expr(u.relation)
        if all(name in known for name in names):
            with np.errstate(all="ignore"):
                if bool(np.any(fn(*(np.asarray(known[name], dtype=float) for name in names)))):
                    holding.add(u)
    undefined = {name: "; ".join(u.reason for u in regions if u in holding)
                 for name, regions in result.undefined_quantities().items() if set(regions) & holding}
    fields = {f.name: getattr(evaluation, f.name) for f in dataclasses.fields(Evaluation)}
    fields["conclusions"] = {name: None if name in undefined else value
                             for name, value in evaluation.conclusions.items()}
    fields["derived"] = {name: value for name, value in evaluation.derived.items() if name not in undefined}
    fields["hypotheses"] = [dataclasses.replace(v, holds=np.zeros_like(v.holds, dtype=bool),
                                                unknown=np.ones_like(v.unknown, dtype=bool))
                            if v.name in undefined else v for v in evaluation.hypotheses]
    return BoundEvaluation(**fields, undefined=undefined)


def completion_alternatives(result: Result, symbol: str, known: Iterable[str]) -> list[list[str]]:
    """Ways to make `symbol` known: give it, or give the unknown inputs of its definition (followed recursively).

    For GF-5 with nothing given, `R_prime` → [["R_prime"], ["sigma_A", "sigma_0", "residual_0"]].
    """
    leaves = _definition_leaves(result, symbol, set(known), {symbol})
    alternatives = [[symbol]]
    if leaves:
        order = [s.name for s in result.symbols]
        alternatives.append(sorted(leaves, key=lambda name: order.index(name) if name in order else len(order)))
    return alternatives


def _definition_leaves(result: Result, symbol: str, known: set[str], seen: set[str]) -> set[str] | None:
    """Unknown base inputs of the definition of `symbol`; None when `symbol` has no definition."""
    definitions = {d.name: d for d in result.definitions}
    if symbol not in definitions:
        return None
    leaves: set[str] = set()
    for free in definitions[symbol].expr.free_symbols:
        name = free.name
        if name in known or name in seen:
            continue
        deeper = _definition_leaves(result, name, known, seen | {name})
        leaves |= {name} if deeper is None else deeper
    return leaves
