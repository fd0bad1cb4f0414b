"""Numerics: checkers generated from the catalogue, forward operators, the two-layer DIP, trainers, measurements.

Imports `theory` (records only), never `verify`.
"""

from numerics._device import DEFAULT_DTYPE, resolve_device, resolve_dtype
from numerics.activations import ACTIVATIONS, activation_constants, get_activation
from numerics.checkers import Checker, Evaluation, HypothesisVerdict, checker
from numerics.experiments import DescentRun, descent_run
from numerics.instances import DIPInstance, InstanceSpec, build_instance
from numerics.operators import LinearOperator
from numerics.tolerance import above, below, tolerance
from numerics.trainers import Trajectory, gradient_descent, gradient_flow, gradient_flow_reference
from numerics.two_layer import TwoLayerDIP, TwoLayerParams, init_two_layer, sigma_min_closed_form

__all__ = [
    "ACTIVATIONS", "DEFAULT_DTYPE", "Checker", "DIPInstance", "DescentRun", "Evaluation", "HypothesisVerdict",
    "InstanceSpec", "LinearOperator", "Trajectory", "TwoLayerDIP", "TwoLayerParams", "above", "activation_constants",
    "below", "build_instance", "checker", "descent_run", "get_activation", "gradient_descent", "gradient_flow",
    "gradient_flow_reference", "init_two_layer", "resolve_device", "resolve_dtype", "sigma_min_closed_form",
    "tolerance",
]
