"""The experiments' figures, drawn on small sizes: the structural properties a reader relies on (numeric log axes with
plain ticks, one colour scale across compared panels, the papers' names in legends, readable font sizes, the
early-stopping curves coming back up) are checked on the matplotlib objects themselves."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.image import AxesImage
from matplotlib.text import Text

from ipverify.numerics.instances import InstanceSpec
from ipverify.verify import _style, figures
from ipverify.verify.claims import reproductions as rep
from ipverify.verify.claims import reproductions_equilibrium as req
from ipverify.verify.claims import reproductions_inertia as rin
from ipverify.verify.claims.inertia import InertiaBundle
from ipverify.verify.claims.kit import Context

CTX = Context(profile="quick", seed=0)


@pytest.fixture
def drawn(monkeypatch):
    """Run a figure claim and keep its figure (drawn, not saved)."""
    kept = []

    def keep(fig, data, out, name):
        fig.canvas.draw()
        kept.append(fig)
        return {}

    monkeypatch.setattr(figures, "save", keep)

    def run(check, *args, **kwargs):
        result = check(*args, **kwargs)
        (fig,) = kept[-1:]
        return result, fig

    yield run
    for fig in kept:
        matplotlib.pyplot.close(fig)


def texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def assert_readable(fig) -> None:
    small = [(t.get_text(), t.get_fontsize()) for t in texts(fig) if t.get_fontsize() < _style.MIN_POINTS]
    assert not small, f"text under {_style.MIN_POINTS} pt: {small[:5]}"


def tick_texts(axis) -> list[str]:
    return [t.get_text() for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]


def legend_labels(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None, "no legend"
    return [t.get_text() for t in legend.get_texts()]


def images(fig) -> list[AxesImage]:
    return [im for ax in fig.axes for im in ax.get_images()]


def test_width_plot_has_plain_integer_ticks(drawn):
    result, fig = drawn(rep.check_width_in_practice, CTX)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert tick_texts(ax.xaxis) == [str(n) for n in result.details["n"]]
    assert_readable(fig)


def test_convergence_maps_share_one_colour_scale(drawn):
    result, fig = drawn(rep.check_convergence_maps, CTX)
    limits = {im.get_clim() for im in images(fig)}
    assert len(images(fig)) == 2 and limits == {(0.0, 1.0)}
    for ax, values in zip(fig.axes[:2], (result.details["n"], result.details["m"]), strict=True):
        assert tick_texts(ax.yaxis) == [str(v) for v in values]
    assert "GF-13" in result.details["caption"]
    assert_readable(fig)


def test_step_size_map_is_on_a_numeric_log_axis(drawn):
    result, fig = drawn(rep.check_step_size_map, CTX)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
    drawn_lines = sorted(line.get_ydata()[0] for line in ax.get_lines())
    assert drawn_lines == pytest.approx(sorted(result.details["encoded_gamma_L_hat"].values()))
    lo, hi = ax.get_ylim()
    assert all(lo < y < hi for y in drawn_lines), "the 1/L and 2/L lines must lie inside the plotted range"
    assert any("GD-2" in label for label in legend_labels(ax))
    assert_readable(fig)


def test_flow_time_conversion_inverts_gd4():
    """At γ = 1/L, GD-4's flow time γ(1 − γL/2)τ is τ/(2L), so t converts to τ = 2Lt."""
    L, t = np.array([2.0, 8.0]), np.array([3.0, 5.0])
    assert _style.iterations_of_flow_time(t, 1 / L, L) == pytest.approx(2 * L * t)
    assert _style.iterations_of_flow_time(t, 0.5 / L, L) == pytest.approx(t / (0.5 / L * 0.75))


def test_dip_image_shows_a_psnr_peak_and_the_encoded_stopping_time(drawn):
    result, fig = drawn(rep.check_image_reconstruction, CTX, steps=3000)
    d = result.details
    psnr = np.array(d["psnr_db"])
    peak = int(np.argmax(psnr))
    assert 0 < peak < len(psnr) - 1 and psnr[-1] < psnr[peak] - 0.3, "no PSNR peak: the noise is not fitted"
    assert d["peak_tau"] == d["steps"][peak] and f"τ = {d['peak_tau']}" in d["caption"]
    assert d["tau_star"] == pytest.approx(2 * d["L_certified"] * d["t_star"])  # γ = 1/L
    assert d["noise_norm"] > 0
    curve = fig.axes[-1]
    assert curve.get_xscale() == "log"
    assert any("τ*" in label for label in legend_labels(curve)) or any("τ*" in t.get_text() for t in texts(fig))
    assert_readable(fig)


def test_early_stopping_error_comes_back_up(drawn):
    result, fig = drawn(rep.check_early_stopping_curve, CTX)
    ax = fig.axes[0]
    curves = [line for line in ax.get_lines() if line.get_linestyle() == "-" and len(line.get_xdata()) > 10]
    assert len(curves) == 3
    for line in curves:
        y = np.asarray(line.get_ydata())
        assert np.argmin(y) < len(y) - 1 and y[-1] > 1.2 * y.min(), "the recovery error does not come back up"
    labels = legend_labels(ax)
    assert any("2‖ε‖" in label for label in labels) and any("network 3" in label for label in labels)
    assert ax.get_xscale() == "log" and ax.get_xlim()[0] > 0 and not any("−" in t for t in tick_texts(ax.xaxis))
    assert ax.get_ylabel() and not any("×" in t for t in tick_texts(ax.yaxis))
    assert all(tau > 0 for tau in result.details["tau_star"])
    assert_readable(fig)


@pytest.fixture(scope="module")
def small_bundle():
    bundle = InertiaBundle(InstanceSpec(n=4, m=4, d=3, k=64, b=1, kappa=3.0, planted_radius=0.02, noise=0.002,
                                        seed=300), CTX)
    bundle.lengths = {"din_time": 40.0, "flow_time": 20.0, "gd": 40, "igahd": 60, "adaptive": 10, "inna": 40}
    return bundle


def test_inertia_rate_grid_shares_one_colour_scale(drawn, small_bundle):
    result, fig = drawn(rin.check_rate_grid, CTX, bundle=small_bundle, scales=[0.5, 1.0, 2.0])
    limits = {im.get_clim() for im in images(fig)}
    assert len(images(fig)) == 2 and len(limits) == 1
    measured = np.array(result.details["measured_rate"])
    best = int(np.nanargmax(measured))
    a, b = result.details["alpha_over_opt"][best], result.details["beta_over_opt"][best]
    assert f"α = {a:g}α*, β = {b:g}β*" in result.details["caption"]
    assert f"α = {a:g}α*" in fig.get_suptitle()
    assert_readable(fig)


def test_inertia_comparison_says_what_it_compares(drawn, small_bundle):
    result, fig = drawn(rin.check_comparison_curves, CTX, bundle=small_bundle)
    per_evaluation, per_time = fig.axes[:2]
    labels = legend_labels(per_evaluation)
    assert not any("(26)" in label for label in labels) and any("4 evaluations" in label for label in labels)
    assert all(t.get_fontsize() >= _style.MIN_POINTS for t in per_evaluation.get_legend().get_texts())
    assert "gradient evaluations" in per_evaluation.get_xlabel() and "continuous time" in per_time.get_xlabel()
    assert "continuous time" in result.details["caption"]
    assert_readable(fig)


def test_gap_plot_uses_the_papers_names_and_keeps_coinciding_modes_visible(drawn):
    result, fig = drawn(req.check_gap_vs_rho, CTX)
    ax = fig.axes[0]
    labels = legend_labels(ax)
    assert {"JFB (JFB-1)", "K-step JFB (JFB-2)", "restarted JFB (JFB-5)", "unrolled (JFB-4)"} <= set(labels)
    assert not any(code in " ".join(labels) for code in ("grad=K", "jfb", "restarted)"))
    lines = {line.get_label(): line for line in ax.get_lines()}
    k_step, restarted = lines["K-step JFB (JFB-2)"], lines["restarted JFB (JFB-5)"]
    assert (k_step.get_marker(), k_step.get_linestyle()) != (restarted.get_marker(), restarted.get_linestyle())
    coincide = result.details["relative_difference_kstep_restarted"] < req.COINCIDE
    assert ("coincide" in result.details["caption"]) == coincide
    assert_readable(fig)


def test_bilevel_curves_have_legends_and_no_self_distance(drawn):
    result, fig = drawn(req.check_bilevel_curves.__wrapped__, CTX, steps=3)  # single_threaded passes ctx only
    loss_ax, distance_ax = fig.axes[:2]
    assert any("DEQ" in label for label in legend_labels(loss_ax))
    assert not any("DEQ" in label for label in legend_labels(distance_ax))
    for line in distance_ax.get_lines():
        assert np.all(np.asarray(line.get_ydata()) > 1e-14), "a distance at rounding level is drawn"
    renderer = fig.canvas.get_renderer()
    label_box = distance_ax.yaxis.label.get_window_extent(renderer)
    assert loss_ax.get_window_extent(renderer).x1 < label_box.x0, "the right y-label overlaps the left panel"
    assert_readable(fig)
