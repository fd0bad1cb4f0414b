"""Shared look of the experiments' figures: font sizes readable at the saved size (≥ 9 pt), numeric axes with plain
ticks, heatmaps on one colour scale, and the conversion of a flow time to GD iterations (GD-4's `flow_time`)."""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator, ScalarFormatter

from ipverify.verify.claims.kit import evaluate

FONT = {"font.size": 10, "axes.titlesize": 10, "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
        "legend.fontsize": 9, "figure.titlesize": 11}
MIN_POINTS = 9
matplotlib.rcParams.update(FONT)


def integer_log_axis(ax, values, axis: str = "x") -> None:
    """A log axis ticked exactly at the integers `values`, written plainly (4, 8, 12, not 4×10⁰)."""
    set_scale, target = (ax.set_xscale, ax.xaxis) if axis == "x" else (ax.set_yscale, ax.yaxis)
    set_scale("log")
    target.set_major_locator(FixedLocator([float(v) for v in values]))
    target.set_minor_locator(NullLocator())
    formatter = ScalarFormatter()
    formatter.set_scientific(False)
    target.set_major_formatter(formatter)


def heatmaps(fig, axes, grids, xs, yss, xlabel: str, ylabels, titles, *, vmin=None, vmax=None, cbar_label: str = "",
             fmt: str = "{:.2g}", annotate: bool = True):
    """Heatmaps of `grids` (panel i: rows = yss[i], columns = xs) on ONE colour scale, with one colour bar for all
    panels; each cell written with its value when `annotate`. Returns the images."""
    grids = [np.asarray(g, dtype=float) for g in grids]
    finite = np.concatenate([g[np.isfinite(g)] for g in grids])
    lo = float(finite.min()) if vmin is None else vmin
    hi = float(finite.max()) if vmax is None else vmax
    images = []
    for ax, grid, ys, ylabel, title in zip(axes, grids, yss, ylabels, titles, strict=True):
        image = ax.imshow(grid, origin="lower", aspect="auto", vmin=lo, vmax=hi, cmap="viridis")
        ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
        ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        if annotate:
            for (i, j), value in np.ndenumerate(grid):
                shade = (value - lo) / (hi - lo) if hi > lo and np.isfinite(value) else 0.0
                ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=MIN_POINTS,
                        color="black" if shade > 0.6 else "white")
        images.append(image)
    bar = fig.colorbar(images[-1], ax=list(axes), shrink=0.85)
    bar.set_label(cbar_label)
    return images


def iterations_of_flow_time(t, gamma, L) -> np.ndarray:
    """The GD iteration τ whose effective flow time (GD-4's `flow_time`, linear in τ) is t, for step γ and L."""
    _, _, gd4 = evaluate("GD-4", {"gamma": gamma, "L": L, "tau": 1.0})
    return np.asarray(t, dtype=float) / gd4["flow_time"].numpy()


def log_edges(values) -> np.ndarray:
    """Cell edges of a log-scaled grid centred at the increasing positive `values` (geometric midpoints)."""
    logs = np.log(np.asarray(values, dtype=float))
    inner = (logs[1:] + logs[:-1]) / 2
    return np.exp(np.concatenate([[2 * logs[0] - inner[0]], inner, [2 * logs[-1] - inner[-1]]]))


def plain_log_ticks(ax, axis: str = "y") -> None:
    """Tick labels of a log axis written as plain numbers (0.2, 0.3, 1, not 2×10⁻¹), minor ones at 2, 3 and 5."""
    target = ax.yaxis if axis == "y" else ax.xaxis

    def label(value, _pos):
        mantissa = value / 10 ** np.floor(np.log10(value)) if value > 0 else 0
        return f"{value:g}" if any(np.isclose(mantissa, m) for m in (1, 2, 3, 5)) else ""

    target.set_major_formatter(FuncFormatter(label))
    target.set_minor_formatter(FuncFormatter(label))
