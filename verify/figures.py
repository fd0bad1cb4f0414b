"""Figures of the experiments: matplotlib (Agg) PNGs and their data, written atomically under OUT/figures/."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from verify.result import write_atomic  # noqa: E402

FIGURES = "figures"


def progress(iterable, desc: str, total: int | None = None):
    """A progress bar on a terminal, silent otherwise (and under pytest / CI)."""
    quiet = not sys.stderr.isatty() or "PYTEST_CURRENT_TEST" in os.environ or os.environ.get("CI")
    return tqdm(iterable, desc=desc, total=total, disable=bool(quiet), leave=False)


def save(fig, data: dict, out: Path | None, name: str) -> dict:
    """Write OUT/figures/NAME.png and NAME.json; return their paths relative to OUT (nothing written if out is None)."""
    if out is None:
        plt.close(fig)
        return {}
    folder = Path(out) / FIGURES
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    png, js = folder / f"{name}.png", folder / f"{name}.json"
    tmp = png.with_suffix(".png.tmp")
    tmp.write_bytes(buffer.getvalue())
    os.replace(tmp, png)
    write_atomic(js, json.dumps(data, indent=1, default=float))
    return {"figure": f"{FIGURES}/{name}.png", "data": f"{FIGURES}/{name}.json"}


def subplots(*args, **kwargs):
    return plt.subplots(*args, **kwargs)
