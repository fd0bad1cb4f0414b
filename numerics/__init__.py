"""Numerics: checkers generated from the catalogue, forward operators, the two-layer DIP, trainers, measurements.

Imports `theory` (records only), never `verify`.
"""

import importlib

_EXPORTS = {
    "ipverify.numerics._device": ("DEFAULT_DTYPE", "resolve_device", "resolve_dtype"),
    "ipverify.numerics.activations": ("ACTIVATIONS", "activation_constants", "get_activation"),
    "ipverify.numerics.checkers": ("Checker", "Evaluation", "HypothesisVerdict", "checker"),
    "ipverify.numerics.experiments": ("DescentRun", "descent_run"),
    "ipverify.numerics.instances": ("DIPInstance", "InstanceSpec", "build_instance"),
    "ipverify.numerics.operators": ("LinearOperator",),
    "ipverify.numerics.records": ("Recorder",),
    "ipverify.numerics.spectral": ("haar_orthogonal", "spectral_norm"),
    "ipverify.numerics.tolerance": ("above", "below", "tolerance"),
    "ipverify.numerics.trainers": ("Trajectory", "gradient_descent", "gradient_flow", "gradient_flow_reference"),
    "ipverify.numerics.two_layer": ("TwoLayerDIP", "TwoLayerParams", "init_two_layer", "sigma_min_closed_form"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str):
    """The public names are imported on first use, so `numerics.checkers` alone loads neither torch nor scipy."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'numerics' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "ACTIVATIONS", "Checker", "DEFAULT_DTYPE", "DIPInstance", "DescentRun", "Evaluation", "HypothesisVerdict",
    "InstanceSpec", "LinearOperator", "Recorder", "Trajectory", "TwoLayerDIP", "TwoLayerParams", "above",
    "activation_constants", "below", "build_instance", "checker", "descent_run", "get_activation", "gradient_descent",
    "gradient_flow", "gradient_flow_reference", "haar_orthogonal", "init_two_layer", "resolve_device",
    "resolve_dtype", "sigma_min_closed_form", "spectral_norm", "tolerance",
]
