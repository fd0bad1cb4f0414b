"""Figures of the experiments: matplotlib (Agg) PNG and PDF files and their data, written atomically under
OUT/figures/; and the progress bar of long loops."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from ipverify.verify._render import dumps  # noqa: E402
from ipverify.verify.result import strict, write_atomic  # noqa: E402

FIGURES = "figures"
FORMATS = ("png", "pdf")


def quiet() -> bool:
    """No progress bars: stderr is not a terminal, or under pytest / CI."""
    return not sys.stderr.isatty() or "PYTEST_CURRENT_TEST" in os.environ or bool(os.environ.get("CI"))


def progress(iterable, desc: str, total: int | None = None):
    """A progress bar on a terminal, silent otherwise."""
    return tqdm(iterable, desc=desc, total=total, disable=quiet(), leave=False)


def save(fig, data: dict, out: Path | None, name: str) -> dict:
    """Write OUT/figures/NAME.png, NAME.pdf and NAME.json (strict JSON: non-finite numbers are null); return their
    paths relative to OUT (nothing written if out is None)."""
    if out is None:
        plt.close(fig)
        return {}
    folder = Path(out) / FIGURES
    try:
        for fmt in FORMATS:
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt, dpi=110, bbox_inches="tight")
            write_atomic(folder / f"{name}.{fmt}", buffer.getvalue())
    finally:
        plt.close(fig)
    write_atomic(folder / f"{name}.json", dumps(strict(data)))
    return {"figure": f"{FIGURES}/{name}.png", "figure_pdf": f"{FIGURES}/{name}.pdf", "data": f"{FIGURES}/{name}.json"}


def subplots(*args, **kwargs):
    return plt.subplots(*args, **kwargs)
