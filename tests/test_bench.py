"""Tests of the speed work: the fused GD kernel and the deferred-update PyTorch loop compute what the
plain batched loop computes (records, divergence verdicts, final θ), the float32 fast path agrees with float64
within `tolerance.SWEEP_FLOAT32`, and the benchmark suite runs end to end on tiny sizes."""

from __future__ import annotations

import json
import math

import pytest
import torch
from conftest import examples
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from benchmarks import bench, engine
from ipverify.numerics import _kernel, trainers
from ipverify.numerics.activations import get_activation
from ipverify.numerics.tolerance import SWEEP_FLOAT32
from ipverify.numerics.trainers import DIVERGENCE_LOSS, gradient_descent, gradient_flow
from ipverify.numerics.two_layer import (
    TwoLayerParams,
    init_two_layer,
    jacobian_norm,
    operator_norm,
    smoothness_estimate,
)

F64 = torch.float64
ACTIVATIONS = ["tanh", "sigmoid", "softplus", "elu"]
seeds = st.integers(min_value=0, max_value=2**63 - 1)
needs_kernel = pytest.mark.skipif(not _kernel.kernel_available(), reason="no C compiler: the fused kernel is off")
FIELDS = ("loss", "residual", "dist0", "grad_norm_sq", "step_lengths", "x")


def problem(seed: int, b: int, n: int, d: int, k: int, m: int, name: str, shared: bool = True):
    gen = torch.Generator().manual_seed(seed)
    act = get_activation(name)
    net = init_two_layer(b, n, d, k, gen, act)
    A = torch.randn((m, n) if shared else (b, m, n), generator=gen, dtype=F64) / math.sqrt(n)
    y = torch.randn(b, m, generator=gen, dtype=F64)
    # The step scale: the larger of ‖∇²f(θ₀)‖ and the Gauss–Newton ‖A‖²‖J₀‖², as `default_flow_step` does. The power
    # iteration alone can underestimate the curvature (hypothesis found L̂ = 0.036 where ‖A‖²‖J₀‖² = 0.12); the
    # resulting chaotic run then amplifies the rounding difference of two summation orders past any fixed rtol.
    L = torch.maximum(smoothness_estimate(A, y, net.params0, net.u, act, iters=30, generator=gen),
                      operator_norm(A).square() * jacobian_norm(net.params0, net.u, act).square())
    return net, A, y, L, gen


def run(kernel: bool, *args, defer: int | None = None, **kwargs):
    """gradient_descent with the fused kernel on or off; ``defer`` forces the PyTorch loop's deferred rank."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_kernel, "USE_KERNEL", kernel)
        if defer is not None:
            mp.setattr(trainers, "DEFERRED_RANK", defer)
            mp.setattr(trainers, "_DEFER_MIN_SIZE", 0 if defer > 1 else 2**62)
        return gradient_descent(*args, **kwargs)


def assert_same(a, b, rtol: float, atol: float, upto: int | None = None) -> None:
    """Same records (NaN where the other has NaN), same verdicts, same final θ."""
    assert a.steps.tolist() == b.steps.tolist()
    assert a.diverged.tolist() == b.diverged.tolist() and a.diverged_at.tolist() == b.diverged_at.tolist()
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
            continue
        if upto is not None:
            x, y = x[:, :upto], y[:, :upto]
        torch.testing.assert_close(x, y, rtol=rtol, atol=atol, equal_nan=True, msg=name)
    if upto is None:
        torch.testing.assert_close(a.params.W, b.params.W, rtol=rtol, atol=atol, equal_nan=True)
        torch.testing.assert_close(a.params.V, b.params.V, rtol=rtol, atol=atol, equal_nan=True)


def assert_same_where_descending(a, b, rtol: float = 1e-9, atol: float = 1e-12) -> None:
    """`assert_same` on the networks whose run `b` descends at every record.

    Two summation orders agree to rounding only where the run does not amplify rounding. Hypothesis found chaotic
    runs (the loss jumping between 0.08 and 1.1) where 23 steps grow a 1e-16 difference to 1e-8; an error in either
    engine's bookkeeping would show on descending runs as well.
    """
    descends = (b.loss[:, 1:] <= b.loss[:, :-1] * (1 + 1e-12) + 1e-300).all(dim=1)
    assume(bool(descends.any()))
    assert a.steps.tolist() == b.steps.tolist() and a.diverged.tolist() == b.diverged.tolist()
    for name in (*FIELDS, "sigma_min"):
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
            continue
        torch.testing.assert_close(x[descends], y[descends], rtol=rtol, atol=atol, equal_nan=True, msg=name)
    for part in ("W", "V"):
        torch.testing.assert_close(getattr(a.params, part)[descends], getattr(b.params, part)[descends], rtol=rtol,
                                   atol=atol)


def divergence_invariants(traj, steps: int) -> None:
    """A diverged network: the record at diverged_at is not a healthy value, later records and steps are NaN."""
    rec = traj.steps
    for i in range(traj.loss.shape[0]):
        at = int(traj.diverged_at[i])
        assert bool(traj.diverged[i]) == (at >= 0)
        if at < 0:
            assert bool(torch.isfinite(traj.loss[i]).all() & (traj.loss[i] <= DIVERGENCE_LOSS).all())
            assert bool(torch.isfinite(traj.step_lengths[i]).all())
            continue
        assert 0 <= at <= steps
        assert bool(torch.isnan(traj.loss[i, rec > at]).all()) and bool(torch.isnan(traj.step_lengths[i, at:]).all())
        assert bool(torch.isfinite(traj.loss[i, rec < at]).all())
        assert bool(torch.isfinite(traj.step_lengths[i, :at]).all())


# ------------------------------------------------------------------------------- engines agree


@needs_kernel
@settings(max_examples=examples(8, 20, 150), deadline=None)
@given(seeds, st.integers(1, 5), st.integers(1, 12), st.integers(1, 5), st.integers(1, 70), st.integers(1, 8),
       st.sampled_from(ACTIVATIONS), st.booleans(), st.integers(1, 9), st.floats(0.05, 1.2), st.booleans())
def test_kernel_matches_torch_loop(seed, b, n, d, k, m, name, shared, record_every, c, record_x):
    """Stable steps: the fused kernel reproduces the PyTorch loop to rounding (all records, final θ) wherever the run
    descends (see `assert_same_where_descending`)."""
    net, A, y, L, _ = problem(seed, b, n, d, k, m, name, shared)
    gamma = c / L
    args = (A, y, net.params0, net.u, net.act, gamma, 37)
    kw = {"record_every": record_every, "record_x": record_x}
    fused, loop = run(True, *args, **kw), run(False, *args, **kw)
    assert_same_where_descending(fused, loop)
    assert not bool(fused.diverged.any())


@needs_kernel
@settings(max_examples=examples(8, 20, 150), deadline=None)
@given(seeds, st.integers(1, 4), st.integers(1, 8), st.integers(4, 48), st.sampled_from(ACTIVATIONS),
       st.floats(1.0, 4.0), st.sampled_from([None, 3.0, 30.0]))
def test_kernel_divergence_matches_torch_loop(seed, b, n, k, name, log_gamma_L, max_dist0):
    """Huge steps: the invariants hold for both engines, and they agree while rounding cannot have grown yet (a
    step of γL = 10⁴ amplifies differences ~10⁴-fold per iteration, so records are compared at τ ≤ 1 and early
    divergences at τ ≤ 2)."""
    net, A, y, L, _ = problem(seed, b, n, 3, k, 4, name)
    gamma = 10**log_gamma_L / L
    steps = 120
    kw = {"record_every": 1, "max_dist0": math.inf if max_dist0 is None else max_dist0}
    fused = run(True, A, y, net.params0, net.u, net.act, gamma, steps, **kw)
    loop = run(False, A, y, net.params0, net.u, net.act, gamma, steps, **kw)
    for traj in (fused, loop):
        divergence_invariants(traj, steps)
    for name_ in ("loss", "dist0", "grad_norm_sq"):
        torch.testing.assert_close(getattr(fused, name_)[:, :2], getattr(loop, name_)[:, :2], rtol=1e-7,
                                   atol=1e-12, equal_nan=True)
    quick = (loop.diverged_at >= 0) & (loop.diverged_at <= 2)
    assert bool((fused.diverged_at[quick] == loop.diverged_at[quick]).all())


@needs_kernel
def test_kernel_threads_give_identical_results() -> None:
    """Networks are independent: splitting them among threads changes nothing, bit for bit."""
    net, A, y, L, _ = problem(3, 24, 16, 4, 256, 8, "tanh")
    gamma = torch.linspace(0.1, 5.0, 24, dtype=F64) / L  # some converge, some diverge
    results = []
    with pytest.MonkeyPatch.context() as mp:
        for threads in (1, 2, 3):
            mp.setattr(_kernel, "KERNEL_THREADS", threads)
            results.append(run(True, A, y, net.params0, net.u, net.act, gamma, 60, record_every=7))
    for other in results[1:]:
        assert torch.equal(other.params.V, results[0].params.V) and torch.equal(other.params.W, results[0].params.W)
        assert torch.equal(other.loss.nan_to_num(), results[0].loss.nan_to_num())
        assert other.diverged_at.tolist() == results[0].diverged_at.tolist()


@needs_kernel
def test_kernel_flags_non_finite_and_overflowing_starts() -> None:
    net, A, y, _, _ = problem(2, 4, 4, 3, 8, 3, "tanh")
    y = y.clone()
    y[1, 0] = math.inf
    W0, V0 = net.W0.clone(), net.V0.clone()
    W0[2, 0, 0] = math.nan
    V0[3] *= 1e200
    fused = run(True, A, y, TwoLayerParams(W0, V0), net.u, net.act, 0.01, 20, record_every=5)
    loop = run(False, A, y, TwoLayerParams(W0, V0), net.u, net.act, 0.01, 20, record_every=5)
    assert fused.diverged_at.tolist() == loop.diverged_at.tolist() == [-1, 0, 0, 0]
    assert_same(fused, loop, rtol=1e-9, atol=1e-12)
    divergence_invariants(fused, 20)


@needs_kernel
def test_escape_flagged_by_max_dist0_in_both_engines() -> None:
    """Sigmoid with a huge step: θ runs off at bounded loss; max_dist0 flags it, at the same iteration."""
    net, A, y, L, _ = problem(11, 4, 6, 3, 32, 5, "sigmoid")
    args = (A, y, net.params0, net.u, net.act, 100 / L, 300)
    fused = run(True, *args, record_every=10, max_dist0=1e4)
    loop = run(False, *args, record_every=10, max_dist0=1e4)
    assert bool(fused.diverged.all()) and fused.diverged_at.tolist() == loop.diverged_at.tolist()
    divergence_invariants(fused, 300)


@settings(max_examples=examples(6, 15, 100), deadline=None)
@given(seeds, st.integers(1, 4), st.integers(1, 8), st.integers(1, 4), st.integers(1, 40), st.integers(1, 6),
       st.sampled_from(ACTIVATIONS), st.booleans(), st.integers(1, 7), st.integers(2, 5), st.floats(0.05, 1.2))
def test_deferred_updates_match_direct_updates(seed, b, n, d, k, m, name, shared, record_every, rank, c):
    """The PyTorch loop holding back `rank` rank-one updates of V computes what applying each at once does,
    σ_min records included."""
    net, A, y, L, _ = problem(seed, b, n, d, k, m, name, shared)
    args = (A, y, net.params0, net.u, net.act, c / L, 23)
    kw = {"record_every": record_every, "record_sigma_every": 4, "record_x": True}
    assert_same_where_descending(run(False, *args, defer=rank, **kw), run(False, *args, defer=1, **kw))


def test_deferred_updates_with_divergence() -> None:
    net, A, y, L, _ = problem(11, 4, 6, 3, 32, 5, "tanh")
    gamma = torch.stack([0.5 / L[0], 100 / L[1], 1000 / L[2], 0.1 / L[3]])
    args = (A, y, net.params0, net.u, net.act, gamma, 200)
    kw = {"record_every": 3, "record_sigma_every": 7}
    deferred = run(False, *args, defer=4, **kw)
    direct = run(False, *args, defer=1, **kw)
    assert deferred.diverged.tolist() == direct.diverged.tolist() == [False, True, True, False]
    divergence_invariants(deferred, 200)
    keep = [0, 3]
    torch.testing.assert_close(deferred.loss[keep], direct.loss[keep], rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(deferred.params.V[keep], direct.params.V[keep], rtol=1e-9, atol=1e-12)


@needs_kernel
def test_gradient_flow_uses_either_engine_alike() -> None:
    net, A, y, _, _ = problem(5, 3, 5, 3, 16, 4, "softplus")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_kernel, "USE_KERNEL", True)
        fused = gradient_flow(A, y, net.params0, net.u, net.act, t_final=0.5, n_records=10)
        mp.setattr(_kernel, "USE_KERNEL", False)
        loop = gradient_flow(A, y, net.params0, net.u, net.act, t_final=0.5, n_records=10)
    assert_same(fused, loop, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(fused.times, loop.times)


# ------------------------------------------------------------------------------- float32 fast path


@pytest.mark.parametrize("kernel", [True, False])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_float32_fast_path_agrees_with_float64(kernel: bool, name: str) -> None:
    """The bench problem at small sizes (a loss that goes to 0, one that plateaus), trained in float32 and in
    float64 from the same instance: final losses within SWEEP_FLOAT32, rtol·f₆₄ + atol·f(θ₀)."""
    if kernel and not _kernel.kernel_available():
        pytest.skip("no C compiler")
    for b, n, m, d, k, steps in ((6, 16, 8, 4, 64, 400), (4, 6, 8, 5, 128, 400)):
        A, y, params0, u, _, gamma = engine._sweep_problem(b, n, m, d, k, "cpu", F64)
        act = get_activation(name)
        f = {"dtype": torch.float32}
        ref = run(kernel, A, y, params0, u, act, gamma, steps, record_every=steps)
        fast = run(kernel, A.to(**f), y.to(**f), TwoLayerParams(params0.W.to(**f), params0.V.to(**f)),
                   u.to(**f), act, gamma.to(**f), steps, record_every=steps)
        assert fast.loss.dtype == torch.float32 and not bool(fast.diverged.any())
        f64, f32, loss0 = ref.loss[:, -1], fast.loss[:, -1].double(), ref.loss[:, 0]
        rtol, atol = SWEEP_FLOAT32
        assert bool(((f32 - f64).abs() <= rtol * f64.abs() + atol * loss0).all()), (f32, f64)
        assert bool(((f32 - f64).abs() > 0).any())  # really float32: not the float64 run again


# ------------------------------------------------------------------------------- the suite


def test_bench_suite_runs_on_tiny_sizes(tmp_path, capsys) -> None:
    assert bench.main(["--quick", "--repeats", "2", "--device", "cpu", "--out", str(tmp_path), "--only", "1,2,3,4,5"]) \
        == 0
    printed = capsys.readouterr().out
    for title in ("1. sweep", "2. sigma_min", "3. checkers", "4. gradient modes", "5. scaling"):
        assert title in printed
    report = json.loads((tmp_path / "bench.json").read_text())
    rows = report["benchmarks"]
    assert set(rows) == {"sweep", "sigma_min", "checker", "gradient_modes", "scaling"}
    for name in ("sweep", "sigma_min", "checker", "gradient_modes"):
        assert (tmp_path / f"bench_{name}.json").exists()
        for row in rows[name]:
            assert row["repeats"] == 2 and math.isfinite(row["speedup_median"]) and row["speedup_median"] > 0
            assert row["speedup_min"] <= row["speedup_median"] <= row["speedup_max"]
    assert all(r["final_losses_agree"] for r in rows["sweep"])
    for strong in ("torch.func", "bmm+autograd"):
        assert all(r[f"{strong}_final_losses_agree"] and r[f"speedup_vs_{strong}"] > 0 for r in rows["sweep"])
    assert all(0 < r["bytes_per_s"] < math.inf and r["fraction_of_dram_bandwidth"] > 0 for r in rows["sweep"])
    assert report["machine"]["copy_bandwidth_dram_bytes_per_s"] > 0
    assert all(r["float32_agrees_with_float64"] for r in rows["sweep"] if r["dtype"] == "float32")
    assert all(r["agree"] for r in rows["sigma_min"] + rows["checker"])
    assert all(r["grad_rel_error_vs_ift"] < 1e-6 for r in rows["gradient_modes"] if r["mode"] == "ift")
    assert all(math.isfinite(r["slope"]) for r in rows["scaling"])
    assert report["machine"]["device"] == "cpu"


def test_sweep_pytorch_loop_path_on_cpu(monkeypatch) -> None:
    """The path CUDA takes (the batched PyTorch loop, synchronised timing, FLOP/s against the measured GEMM peak),
    exercised on the CPU with the kernel off."""
    monkeypatch.setattr(_kernel, "USE_KERNEL", False)
    row = bench.bench_sweep(torch.device("cpu"), 3, 2, n=6, m=4, d=3, k=8, steps=15, peak=1e9)
    assert row["engine"] == "PyTorch loop" and row["final_losses_agree"]
    assert row["fraction_of_gemm_peak"] == pytest.approx(row["flops_per_s"] / 1e9)
    assert row["nominal_peak_flops_per_s"] is None  # only known for GPUs


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_sweep_on_cuda() -> None:
    row = bench.bench_sweep(torch.device("cuda"), 4, 2, n=8, m=4, d=3, k=16, steps=20)
    assert row["engine"] == "PyTorch loop" and row["final_losses_agree"] and row["flops_per_s"] > 0


def test_bench_rejects_bad_arguments(capsys) -> None:
    assert bench.main(["--only", "8", "--quick"]) == 2
    assert bench.main(["--device", "tpu", "--quick"]) == 2
    assert "error" in capsys.readouterr().err


def test_fitted_slope() -> None:
    assert engine._slope([1, 2, 4, 8], [3, 6, 12, 24]) == pytest.approx(1.0)
    assert engine._slope([1, 10, 100], [5, 5, 5]) == pytest.approx(0.0, abs=1e-12)


def test_strong_baselines_train_the_same_networks_as_the_naive_loop() -> None:
    A, y, params0, u, act, gamma = engine._sweep_problem(3, 6, 4, 3, 8, "cpu", F64)
    finals = {name: fn(A, y, params0, u, act, gamma, 15) for name, fn in engine.BASELINES.items()}
    for name in ("torch.func", "bmm+autograd"):
        torch.testing.assert_close(finals[name], finals["naive"], rtol=1e-12, atol=0, msg=name)
    other = engine._func_loop(A, y, params0, u, act, 2 * gamma, 15)  # the comparison sees another step size
    assert not torch.allclose(other, finals["naive"], rtol=1e-6)


def test_jobs_and_startup_benchmarks_run(tmp_path, capsys) -> None:
    """One fresh `verify --jobs 1` and `--jobs 2` run of two quick claims, and one start-up timing per command."""
    assert bench.main(["--quick", "--repeats", "1", "--device", "cpu", "--out", str(tmp_path), "--only", "6,7"]) == 0
    printed = capsys.readouterr().out
    assert "6. jobs" in printed and "7. start-up" in printed
    rows = json.loads((tmp_path / "bench.json").read_text())["benchmarks"]
    (jobs,) = rows["jobs"]
    assert jobs["records_identical"] and jobs["speedup_median"] > 0 and jobs["serial_claim_seconds"] > 0
    assert [r["command"][0] for r in rows["startup"]] == ["list", "bound"]
    assert all(r["ours_s"] > r["baseline_s"] > 0 for r in rows["startup"])
