"""torchdeq (on the CPU, float64) against our hypergradient modes on the same contractive maps.

torchdeq's `ift=True`, `grad=1`, `grad=K` after a forward solve to 1e-14, and its restarted runs (a plain solver
with f_max_iter = T·K and f_tol = 0, then grad=K) agree with `numerics.gradient_modes` to 1e-10 relative, on the
tanh layer and on a forward–backward step with an ℓ1 prior. The controls show that the comparison separates
modes that differ (one forward iteration fewer, JFB against the exact DEQ gradient).
"""

from __future__ import annotations

import pytest
import torch

from ipverify.numerics.gradient_modes import half_squared_error, hypergradient
from ipverify.verify.claims import Context
from ipverify.verify.claims.crosscheck import DEQ_AGREEMENT, check_torchdeq, deq_maps, torchdeq_gradient, torchdeq_rows

pytestmark = pytest.mark.usefixtures("one_thread")


def test_torchdeq_agrees_with_every_mode():
    rows = torchdeq_rows(seed=5)
    assert len(rows) == 10
    for r in rows:
        assert r["source"] == "torchdeq" and r["valid"], r
        assert r["tightness"] <= 1 and r["theirs"] > 0


def test_the_claim_holds_and_records_its_rows():
    result = check_torchdeq(Context())
    assert result.verdict == "holds" and result.ratio <= 1
    assert {r["source"] for r in result.details["crosscheck"]} == {"torchdeq"}


@pytest.fixture(scope="module")
def tanh_case():
    op, x_init, target = deq_maps(7)["tanh layer"]
    return op, x_init, half_squared_error(target)


def test_one_forward_iteration_fewer_is_detected(tanh_case):
    op, x_init, loss_fn = tanh_case
    ours = hypergradient("restarted", op, op.theta0, loss_fn, x_init, K=2, T_blocks=3).grad
    shorter = torchdeq_gradient(op, op.theta0, x_init, loss_fn, "restarted", K=1, T_blocks=7)
    assert float((ours - shorter).norm() / shorter.norm()) > 1e3 * DEQ_AGREEMENT


def test_jfb_is_not_the_deq_gradient(tanh_case):
    op, x_init, loss_fn = tanh_case
    ift = torchdeq_gradient(op, op.theta0, x_init, loss_fn, "ift")
    jfb = hypergradient("jfb", op, op.theta0, loss_fn, x_init).grad
    assert float((ift - jfb).norm() / ift.norm()) > 1e-3


def test_torchdeq_runs_on_the_cpu_in_float64(tanh_case):
    op, x_init, loss_fn = tanh_case
    g = torchdeq_gradient(op, op.theta0, x_init, loss_fn, "grad=K", K=2)
    assert g.dtype == torch.float64 and g.device.type == "cpu" and torch.isfinite(g).all()
