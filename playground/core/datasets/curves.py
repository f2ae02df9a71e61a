"""One-dimensional regression: y = f(x) + noise, a curve a person can see the network fit.

With one input and one output, the whole function a network computes is a line drawn over the
data (the "Fit" view), so the lecture's universal-approximation point becomes visible: one
hidden layer can bend its line only once per unit, while a few narrow layers compose their
bends. The shapes are chosen to make that difference show: the default has several wiggles of
rising frequency, more than a handful of units can follow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from playground.core.datasets.base import (
    Dataset,
    DatasetEntry,
    DatasetMeta,
    LoadContext,
    build_dataset,
    register,
    samples_param,
    seed_param,
    test_fraction_param,
)
from playground.core.params import Param

#: The inputs are drawn evenly from [-X_RANGE, X_RANGE].
X_RANGE = 3.0
META = DatasetMeta((1,), "regression", 1)

Shape = Callable[[np.ndarray], np.ndarray]


def wiggles(x: np.ndarray) -> np.ndarray:
    """Three waves, each faster than the one before: a few units follow the slow left end, not the fast right one."""
    return np.sin(np.pi * (x + X_RANGE) ** 2 / (2 * X_RANGE))


def sine(x: np.ndarray) -> np.ndarray:
    """Two and a half periods of a sine: smooth, every bend alike."""
    return np.sin(2.5 * x)


def steps(x: np.ndarray) -> np.ndarray:
    """A staircase of sharp steps: each step needs units of its own."""
    return np.floor(x) / X_RANGE


def polynomial(x: np.ndarray) -> np.ndarray:
    """A cubic, x³/9 − x: one gentle bend each way, easy even for a small network."""
    return x ** 3 / 9.0 - x


SHAPES: dict[str, Shape] = {"wiggles": wiggles, "sine": sine, "steps": steps, "polynomial": polynomial}


def curve(rng: np.random.Generator, n: int, noise: float, shape: str) -> tuple[np.ndarray, np.ndarray]:
    """``n`` inputs ``(n, 1)`` drawn evenly over the range and their targets ``(n, 1)``:
    the shape's value plus Gaussian noise of standard deviation ``noise``."""
    x = rng.uniform(-X_RANGE, X_RANGE, size=(n, 1))
    y = SHAPES[shape](x) + rng.normal(0.0, 1.0, size=(n, 1)) * noise
    return x, y


def _load(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    rng = np.random.default_rng(params["seed"])
    x, y = curve(rng, params["samples"], params["noise"], params["function"])
    return build_dataset("curve", x, y, META, ctx, seed=params["seed"], test_fraction=params["test_fraction"],
                         info={"source": f"generated: y = {params['function']}(x) + noise"})


_FUNCTION_HELP = "The curve to fit: " + "; ".join(
    f"{name}: {(shape.__doc__ or '').strip().rstrip('.')}" for name, shape in SHAPES.items()) + "."

register(
    DatasetEntry(
        name="curve",
        title="Curve (1-D regression)",
        group="1-D",
        help="One input x and one target y = f(x) + noise: the network's whole function is a line "
             "over the data, so you can watch it bend to fit.",
        params=(
            Param("function", "choice", "wiggles", _FUNCTION_HELP, choices=tuple(SHAPES)),
            samples_param(300, 100_000),
            Param("noise", "float", 0.05, "Standard deviation of the noise added to each target: 0 is a clean "
                  "curve, 0.3 hides its small wiggles.", minimum=0.0, maximum=1.0),
            test_fraction_param(0.3),
            seed_param(),
        ),
        load=_load,
        meta=lambda _params: META,
    )
)
