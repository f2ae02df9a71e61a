"""The input features a plane dataset can offer its network, as in TensorFlow Playground.

A point of the plane is (x1, x2); a person chooses which functions of it the first layer
sees (x1^2 and x2^2 make the circle linearly separable). The choice is a project field on
the dataset, ``"features": ["x1^2", "x2^2"]``, and the computation is the model's first step
(``playground.core.modules.PlaneFeatures``), so the data, the plane views and every export
keep taking the raw points.

This catalogue imports neither torch nor Qt: the dataset panel reads it while the window
starts. Its names are the keys of ``PlaneFeatures.FORMULAS`` (a test checks they agree).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from playground.core.params import show_value

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class PlaneFeature:
    """One feature: its project-file name (stable ASCII), how the panel labels it, and why a
    person would pick it."""

    name: str
    label: str
    help: str


FEATURES: dict[str, PlaneFeature] = {f.name: f for f in (
    PlaneFeature("x1", "x₁", "The point's horizontal position, as it is."),
    PlaneFeature("x2", "x₂", "The point's vertical position, as it is."),
    PlaneFeature("x1^2", "x₁²", "The square of x1: large on both sides, so one unit can tell 'far left or "
                 "right' from 'middle'."),
    PlaneFeature("x2^2", "x₂²", "The square of x2: with x1^2, a single layer can draw a circle, because "
                 "x1^2 + x2^2 is the squared distance from the centre."),
    PlaneFeature("x1*x2", "x₁x₂", "The product of x1 and x2: positive where they share a sign, which is "
                 "exactly the XOR pattern."),
    PlaneFeature("sin(x1)", "sin x₁", "The sine of x1: stripes that repeat every 2π, useful for patterns "
                 "that wind or repeat, such as the spiral."),
    PlaneFeature("sin(x2)", "sin x₂", "The sine of x2: horizontal stripes, the counterpart of sin(x1)."),
)}

#: What a plane dataset gives its network when the project names no features: the raw point.
DEFAULT_FEATURES: tuple[str, ...] = ("x1", "x2")


def check_features(value: Any) -> tuple[tuple[str, ...] | None, str | None]:
    """The chosen features in the catalogue's order, or the reason ``value`` is not a choice.

    Order does not matter to a person (it is a set of checkboxes), so it is normalised away:
    ``["x2", "x1"]`` is the default and builds the same network as no choice at all.
    """
    names = ", ".join(FEATURES)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        return None, f"must be a list of feature names from {names}, got {show_value(value)}"
    unknown = [v for v in value if v not in FEATURES]
    if unknown:
        return None, f"has unknown feature {unknown[0]!r} (known: {names})"
    if len(set(value)) != len(value):
        return None, f"names a feature twice ({show_value(list(value))})"
    if not value:
        return None, "must name at least one feature: the network needs an input"
    return canonical(value), None


def canonical(features: Sequence[str]) -> tuple[str, ...]:
    """Known feature names in the catalogue's order."""
    chosen = set(features)
    return tuple(name for name in FEATURES if name in chosen)


def is_transformed(features: Sequence[str]) -> bool:
    """Whether the network sees anything but the raw point (x1, x2), i.e. needs a feature step."""
    return canonical(features) != DEFAULT_FEATURES


def feature_values(points: torch.Tensor, features: Sequence[str]) -> torch.Tensor:
    """The chosen features of raw ``points`` ``(N, 2)``, unstandardised ``(N, len(features))``:
    what the training statistics are taken of and the panel's small heat maps show. Computed
    by the model's own step, so the two can never disagree."""
    import torch

    from playground.core.modules import PlaneFeatures

    n = len(features)
    with torch.no_grad():
        return PlaneFeatures(list(features), torch.zeros(n), torch.ones(n))(points)
