"""A training monitor for any torch generator g(θ) trained on f(θ) = ½‖A g(θ) − y‖² in the user's own loop.

    mon = Monitor(g, A, y, params0, gamma=lr)            # g(params) -> x ∈ ℝⁿ; A a LinearOperator/matrix/matrix-free
    for step in range(steps):
        ...                                               # the user's optimiser step
        if step % 10 == 0:
            mon.record(step, params, loss.item())
    mon.verdicts()                                        # [verify.result.CheckResult, ...]
    mon.report("out")                                     # out/monitor.md + out/monitor.png

Each record stores the user's loss, f, the residual ‖A g(θ) − y‖, ‖θ − θ₀‖, the length ‖θ − θ_prev‖ since the
previous record and σ_min(J_g(θ)) (matrix-free Lanczos, `numerics.jacobian`).

A-posteriori form of the rates (01 GF-5, 02 GD-4). Their proofs use the hypotheses R′ < R only to keep
σ_min(J_g(θ_t)) ≥ σ₀/2 along the run; if instead σ_min(J_g(θ_t)) ≥ σ_floor is observed at every record, the same
rates follow with σ_floor in place of σ₀/2. The bounds are therefore evaluated by the checkers with
sigma_0 = 2σ_floor substituted (σ_floor = the smallest recorded σ_min unless the user gives one), and the verdicts
say so. They are never "holds": σ_min is a Lanczos estimate (from above) and is unchecked between records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ipverify.numerics.certify import as_linear_operator
from ipverify.numerics.checkers import checker
from ipverify.numerics.instances import component_outside_range
from ipverify.numerics.jacobian import certifiable_a_priori, sigma_min

SUBSTITUTION = "sigma_0 = 2·σ_floor substituted (a-posteriori: σ_min(J_g(θ_t)) ≥ σ_floor observed at every record)"


def _flat_params(params) -> torch.Tensor:
    if torch.is_tensor(params):
        return params.detach().reshape(-1).to(torch.float64)
    values = params.values() if isinstance(params, dict) else params
    return torch.cat([torch.as_tensor(v).detach().reshape(-1).to(torch.float64) for v in values])


@dataclass
class Record:
    step: int
    loss: float
    f: float
    residual: float
    dist0: float
    step_length: float
    sigma_min: float


@dataclass
class Monitor:
    """Records a run of the generator ``g`` (see the module docstring); ``gamma`` is the (constant) step size,
    ``L`` an asserted smoothness constant of f along the run (enables the GD-4 check), ``module`` the torch module
    behind g (for the a-priori certifiability verdict; None means the catalogue's two-layer DIP)."""

    g: object
    A: object
    y: torch.Tensor
    params0: object
    gamma: float | None = None
    L: float | None = None
    sigma_floor: float | None = None
    module: torch.nn.Module | None = None
    sigma_method: str = "lanczos"
    name: str = "run"
    records: list[Record] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.op, _ = as_linear_operator(self.A, getattr(self.A, "n", None) or self._output_size())
        self.y = torch.as_tensor(self.y, dtype=torch.float64).reshape(-1)
        if self.y.numel() != self.op.m:
            raise ValueError(f"y has {self.y.numel()} entries but A has m = {self.op.m} rows")
        self.theta0 = _flat_params(self.params0)
        self._previous = self.theta0
        self.sigma_A = self.op.sigma_A
        self.y_perp = 0.0 if self.op.rank == self.op.m else float(component_outside_range(self.op, self.y[None])[0])

    def _output_size(self) -> int:
        with torch.no_grad():
            return int(torch.as_tensor(self.g(self.params0)).numel())

    def record(self, step: int, params, loss: float | None = None) -> Record:
        """Measure θ at iteration ``step`` (``loss``: the user's own loss value, kept as given)."""
        detached = {k: v.detach() for k, v in params.items()} if isinstance(params, dict) else (
            params.detach() if torch.is_tensor(params) else params)
        with torch.no_grad():
            x = torch.as_tensor(self.g(detached)).reshape(-1).to(torch.float64)
        residual = float((self.op.A(x) - self.y).norm())
        theta = _flat_params(detached)
        sig = sigma_min(self.g, detached, method=self.sigma_method)
        rec = Record(int(step), math.nan if loss is None else float(loss), 0.5 * residual**2, residual,
                     float((theta - self.theta0).norm()), float((theta - self._previous).norm()), sig.value)
        self._previous = theta
        self.records.append(rec)
        return rec

    __call__ = record

    # ------------------------------------------------------------------------------------------ verdicts

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.array([getattr(r, name) for r in self.records], dtype=float)
                for name in Record.__dataclass_fields__}

    def floor(self) -> float:
        """σ_floor: the given floor, else the smallest recorded σ_min."""
        return self.sigma_floor if self.sigma_floor is not None else float(self.arrays()["sigma_min"].min())

    def _base_values(self) -> dict:
        a = self.arrays()
        return {"sigma_A": self.sigma_A, "sigma_0": 2 * self.floor(), "residual_0": a["residual"][0],
                "y_perp": self.y_perp}

    def _flow_bound(self) -> np.ndarray:
        """GF-5's residual bound at every record, at flow time γ(1 − γL/2)τ (γτ when L is not given)."""
        steps = self.arrays()["step"]
        factor = self.gamma * (1 - self.gamma * self.L / 2) if self.L is not None else self.gamma
        values = {**self._base_values(), "t": factor * (steps - steps[0])}
        return np.broadcast_to(checker("GF-5").evaluate(values).conclusions["residual_bound"], steps.shape)

    def verdicts(self) -> list:
        """Per-result verdicts (`verify.result.CheckResult`) of the a-posteriori rate checks."""
        from ipverify.verify.result import CheckResult

        if len(self.records) < 2:
            raise ValueError("record at least two iterates before asking for verdicts")
        if self.gamma is None:
            raise ValueError("the rate checks need the step size gamma")
        a = self.arrays()
        ok_a_priori, why = certifiable_a_priori(self.module)
        floor_holds = bool((a["sigma_min"] >= self.floor()).all())
        steps = a["step"] - a["step"][0]
        every_step = bool(np.all(np.diff(a["step"]) == 1))
        out = []
        bound = self._flow_bound()
        out.append(self._result(CheckResult, "GF-5", "residual", a["residual"], bound, floor_holds, False, why,
                                ok_a_priori, "t = γ(1 − γL/2)τ (GD-4 flow_time)" if self.L is not None else
                                "t = γτ (Euler time; L unknown, so this is a comparison, not a theorem)"))
        if self.L is not None:
            gd = checker("GD-4").evaluate({**self._base_values(), "gamma": self.gamma, "L": self.L, "tau": steps})
            gamma_L = next((v for v in gd.hypotheses if v.name == "gamma*L<2"), None)
            step_ok = gamma_L is not None and bool(np.all(gamma_L.holds))
            out.append(self._result(CheckResult, "GD-4", "loss f", a["f"], gd.conclusions["loss_bound"],
                                    floor_holds and step_ok, every_step, why, ok_a_priori,
                                    f"τ = iterations, γL = {self.gamma * self.L:.3g} (L asserted by the user)"))
        return out

    def _result(self, CheckResult, result_id, label, observed, bound, hypothesis_ok, decisive, why, ok_a_priori,
                time_note):
        bound = np.broadcast_to(np.asarray(bound, dtype=float), observed.shape)
        scale = observed[0] if observed[0] > 0 else 1.0
        with np.errstate(all="ignore"):
            ratios = np.where(bound > 1e-12 * scale, observed / bound, np.where(observed <= 1e-12 * scale, 0, np.inf))
        ratio = float(np.max(ratios)) if np.all(np.isfinite(bound)) else math.nan
        exceeded = not (ratio <= 1 + 1e-9)
        if not hypothesis_ok:
            verdict = "hypothesis fails"
        elif exceeded and decisive:
            verdict = "violated"
        else:
            verdict = "recorded"
        details = {"substitution": SUBSTITUTION, "sigma_floor": self.floor(), "sigma_A": self.sigma_A,
                   "y_perp": self.y_perp, "time": time_note, "records": len(self.records),
                   "a_priori": why, "still_checked": "the a-posteriori rate with σ_floor from the recorded σ_min",
                   "why_not_holds": "σ_min(J_g) is a matrix-free Lanczos estimate at the records only",
                   "exceeded": bool(exceeded)}
        if not ok_a_priori:
            details["verdict_note"] = f"{why}; still checked: the loss against the rate with σ_floor at the records"
        last = float(observed[-1])
        return CheckResult(claim=f"monitor/{self.name}/{result_id}", result_id=result_id, verdict=verdict,
                           observed=last, bound=float(bound[-1]), ratio=ratio, binding=None, instances=1,
                           looseness=float(bound[-1]) / last if last > 0 else None,
                           details={"quantity": label, **details})

    # ------------------------------------------------------------------------------------------ report

    def report(self, folder) -> Path:
        """Write ``folder/monitor.md`` (a Markdown section with the verdicts) and ``folder/monitor.png``."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        a, results = self.arrays(), self.verdicts()
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
        ax1.semilogy(a["step"], a["residual"], label="‖A g(θ) − y‖")
        ax1.semilogy(a["step"], self._flow_bound(), "--", label="GF-5 bound, σ₀ = 2σ_floor")
        ax1.set_xlabel("iteration")
        ax1.legend(fontsize=8)
        ax2.plot(a["step"], a["sigma_min"], label="σ_min(J_g) (Lanczos)")
        ax2.axhline(self.floor(), color="k", ls=":", label="σ_floor")
        ax2.set_xlabel("iteration")
        ax2.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / "monitor.png", dpi=100)
        plt.close(fig)
        rows = [f"| {r.result_id} | {r.details['quantity']} | {r.verdict} | {r.observed:.4g} | {r.bound:.4g} | "
                f"{r.ratio:.3g} |" for r in results]
        text = "\n".join([
            f"## Training monitor: {self.name}", "",
            f"{len(self.records)} records; σ_A = {self.sigma_A:.4g}, σ_floor = {self.floor():.4g}, "
            f"‖P⊥y‖ = {self.y_perp:.3g}. {SUBSTITUTION}.", "",
            f"A priori: {certifiable_a_priori(self.module)[1]}.", "",
            "| result | quantity | verdict | observed (last) | bound (last) | max observed/bound |",
            "|---|---|---|---|---|---|", *rows, "",
            "Never *holds*: σ_min(J_g) is a Lanczos estimate measured at the records only.", "",
            "![monitor](monitor.png)", ""])
        path = folder / "monitor.md"
        path.write_text(text, encoding="utf-8")
        return path
