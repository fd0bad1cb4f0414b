"""The notation glossary: every symbol name the catalogue uses, what it means, its domain and where it appears.

`ipverify symbols` prints it; `docs/notation.md` is the same text, regenerated with
`python -m ipverify symbols --markdown > docs/notation.md` (a test keeps the two in step).
"""

from __future__ import annotations

INTRO = """# Notation

ipverify writes every quantity of the four papers under one ASCII name, used on the command line
(`ipverify bound GD-4 gamma=0.5 L=2 ...`), in the Python API (`ipverify.bound("GD-4", gamma=0.5, L=2)`), in
JSON output and in the report. One name means one thing across the whole catalogue.

The setting: an unknown signal x̄ ∈ ℝⁿ is observed through a linear operator A ∈ ℝ^{m×n} as y = A x̄ + ε. A
generator network g(u, θ) with a fixed input u and parameters θ is trained on f(θ) = L_y(A g(u, θ)) (for the
mean squared error L_y(v) = ½‖v − y‖²), by gradient flow θ̇ = −∇f(θ), by gradient descent θ ← θ − γ∇f(θ), or by
inertial dynamics with viscous damping α and Hessian-driven damping β. The two-layer network is
g(u, θ) = V φ(W u)/√k with W ∈ ℝ^{k×d}, V ∈ ℝ^{n×k} and an activation φ. The equilibrium results concern a layer
T_θ iterated to its fixed point x* = T_θ(x*) and the gradients used to learn θ.

Letters that the papers use for two different things get distinct names here:

- `gamma` is the gradient-descent step; the time change of the gradient-flow proof is never an input.
- `alpha` and `beta` are the inertial dampings; the Łojasiewicz exponent is `alpha_KL`.
- `mu` is a restricted-injectivity constant of A; the Polyak–Łojasiewicz constant of the inertial results is
  `mu_PL`; a strong-convexity modulus has its own name where a result needs one.
- `L` is a Lipschitz constant of ∇f on a ball (smoothness). It is an assertion about f that no single number can
  show: where you give it, every verdict says that it holds only if your L is such a constant.
- `rho` and `rho_0` are Lipschitz constants (operator norms) of the equilibrium layer, never spectral radii.
- `tau` is the gradient-descent iteration counter in the descent results and the forward–backward step in the
  equilibrium results; the two never meet in one result.

Domains: *positive* means > 0, *nonnegative* ≥ 0; an interval such as (0, 1] is written with the usual brackets.
A default is used only when the value is not given and nothing can derive it; `ipverify show ID` lists which
symbols a result reads.

| name | meaning | domain | default | used by |
|---|---|---|---|---|
"""


def _used_by() -> tuple[dict[str, list[str]], dict]:
    """Symbol name → the ids of the results that read it, and the symbols of results outside the table (a family
    from outside the package declares its own)."""
    from ipverify.theory import SYMBOLS, results

    used: dict[str, list[str]] = {}
    own = {}
    for result in results():
        for sym in result.symbols:
            used.setdefault(sym.name, []).append(result.id)
            if sym.name not in SYMBOLS:
                own.setdefault(sym.name, sym)
    return used, own


def _rows():
    from ipverify.theory import SYMBOLS

    used, own = _used_by()
    for name, sym in {**SYMBOLS, **own}.items():
        ids = used.get(name, [])
        shown = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
        yield name, sym.meaning, sym.domain.describe(), "" if sym.default is None else f"{sym.default:g}", shown


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def glossary_markdown() -> str:
    """The glossary as Markdown (the text of docs/notation.md)."""
    cells = (f"| `{name}` | {_escape(meaning)} | {domain} | {default} | {used} |"
             for name, meaning, domain, default, used in _rows())
    return INTRO + "\n".join(cells) + "\n"


def glossary_text() -> str:
    """The glossary as plain text for a terminal: one symbol a line, then its meaning."""
    lines = []
    for name, meaning, domain, default, used in _rows():
        extra = f"; default {default}" if default else ""
        lines.append(f"{name:18s} {meaning} [{domain}{extra}]" + (f" — {used}" if used else ""))
    return "\n".join(lines)
