"""Device and dtype resolution shared by the numeric checks.

Every numeric check runs in float64 unless asked otherwise: the bounds of 01–03 are compared against
measured quantities at a relative precision of about 1e-12, which float32 cannot deliver.
"""

from __future__ import annotations

import torch

DEFAULT_DTYPE = torch.float64

_DTYPES = {"float64": torch.float64, "float32": torch.float32}
_DEVICES = ("auto", "cpu", "cuda")


def resolve_device(spec: str | torch.device = "auto") -> torch.device:
    """Map ``"auto"`` / ``"cpu"`` / ``"cuda"`` (or a ``torch.device``) to a usable ``torch.device``.

    ``"auto"`` is CUDA when available, else the CPU. Asking for CUDA on a machine without it is an error,
    never a silent fallback.
    """
    if isinstance(spec, torch.device):
        if spec.type == "cuda":
            _require_cuda()
        elif spec.type != "cpu":
            raise ValueError(f"unsupported device '{spec}'; allowed: {', '.join(_DEVICES)}")
        return spec
    if not isinstance(spec, str) or spec.strip().lower() not in _DEVICES:
        raise ValueError(f"unknown device {spec!r}; allowed: {', '.join(_DEVICES)}")
    choice = spec.strip().lower()
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda":
        _require_cuda()
    return torch.device(choice)


def _require_cuda() -> None:
    if not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but CUDA is not available; use device=cpu or device=auto")


def resolve_dtype(spec: str | torch.dtype = "float64") -> torch.dtype:
    """Map ``"float64"`` / ``"float32"`` (or the matching ``torch.dtype``) to a ``torch.dtype``."""
    if isinstance(spec, torch.dtype):
        if spec in _DTYPES.values():
            return spec
        raise ValueError(f"unsupported dtype {spec}; allowed: {', '.join(_DTYPES)}")
    if isinstance(spec, str) and spec.strip().lower() in _DTYPES:
        return _DTYPES[spec.strip().lower()]
    raise ValueError(f"unknown dtype {spec!r}; allowed: {', '.join(_DTYPES)}")
