"""The 2-D datasets of TensorFlow Playground (``src/dataset.ts``), vectorised with numpy.

Two inputs are what a person can see: the decision-boundary view draws them directly, which
is why these are the first datasets a student meets. The generators follow the original
formulas (radii, paddings, label scales) so lessons written for TensorFlow Playground carry
over; ``noise`` runs from 0 to 1 where the original slider ran from 0 to 0.5 (0.5 here is its
noisiest setting).
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
    Loader,
    TargetKind,
    build_dataset,
    register,
    samples_param,
    seed_param,
    test_fraction_param,
)
from playground.core.params import Param

# TensorFlow Playground colours its positive class blue and its negative class orange.
CLASS_NAMES = ("orange", "blue")
_RADIUS = 6.0

PointMaker = Callable[[np.random.Generator, int, float], tuple[np.ndarray, np.ndarray]]


def _two_classes(n: int) -> tuple[int, int]:
    """Sizes of the two halves; the second takes the odd sample so the total is exactly ``n``."""
    return n // 2, n - n // 2


def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    return np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)


def circle(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """A blue disc inside an orange ring; noise can push a point's label across the gap."""
    radius = 5.0
    n_in, n_out = _two_classes(n)
    r = np.concatenate([rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)])
    xy = _polar(r, rng.uniform(0, 2 * np.pi, n))
    jitter = rng.uniform(-radius, radius, size=(n, 2)) * noise
    label = (np.hypot(*(xy + jitter).T) < radius * 0.5).astype(np.int64)
    return xy, label


def xor(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants, blue where x and y share a sign: the classic problem one neuron cannot solve."""
    xy = rng.uniform(-5, 5, size=(n, 2))
    xy += np.where(xy > 0, 0.3, -0.3)
    jitter = rng.uniform(-5, 5, size=(n, 2)) * noise
    shifted = xy + jitter
    label = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return xy, label


def gaussian(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs; more noise means wider blobs that overlap."""
    variance = 0.5 + 7.0 * noise  # the original maps noise 0..0.5 linearly onto variance 0.5..4
    n_neg, n_pos = _two_classes(n)
    centres = np.concatenate([np.full((n_neg, 2), -2.0), np.full((n_pos, 2), 2.0)])
    xy = centres + rng.normal(0.0, np.sqrt(variance), size=(n, 2))
    label = np.concatenate([np.zeros(n_neg, np.int64), np.ones(n_pos, np.int64)])
    return xy, label


def spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals: hard for a shallow network, a test of depth and features."""
    parts = []
    for label, (count, delta) in enumerate(zip(_two_classes(n), (np.pi, 0.0))):
        i = np.arange(count) / count
        xy = _polar(i * 5, 1.75 * i * 2 * np.pi + delta) + rng.uniform(-1, 1, size=(count, 2)) * noise
        parts.append((xy, np.full(count, label, np.int64)))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _uniform_plane(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Points spread evenly over the square, and the jittered positions their targets are read at."""
    xy = rng.uniform(-_RADIUS, _RADIUS, size=(n, 2))
    return xy, xy + rng.uniform(-_RADIUS, _RADIUS, size=(n, 2)) * noise


def plane(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """A tilted plane, target = (x + y) / 10: linear regression in its simplest form."""
    xy, at = _uniform_plane(rng, n, noise)
    return xy, (at.sum(axis=1) / 10.0)[:, None]


_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def multi_gaussian(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Six bumps of height +1 or -1; the target is the strongest bump at that point."""
    xy, at = _uniform_plane(rng, n, noise)
    dist = np.hypot(at[:, None, 0] - _BUMPS[:, 0], at[:, None, 1] - _BUMPS[:, 1])  # (n, 6)
    heights = _BUMPS[:, 2] * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    strongest = np.abs(heights).argmax(axis=1)
    return xy, heights[np.arange(n), strongest][:, None]


def _meta(kind: TargetKind, params: dict[str, Any]) -> DatasetMeta:
    """The shapes for a target kind, with the input features the project chose."""
    if kind == "classification":
        meta = DatasetMeta((2,), "classification", 2, CLASS_NAMES)
    else:
        meta = DatasetMeta((2,), "regression", 1)
    return meta.with_features(params["features"])


def _loader(name: str, generate: PointMaker, kind: TargetKind) -> Loader:
    def load(params: dict[str, Any], ctx: LoadContext) -> Dataset:
        rng = np.random.default_rng(params["seed"])
        x, y = generate(rng, params["samples"], params["noise"])
        return build_dataset(
            name, x, y, _meta(kind, params), ctx, seed=params["seed"], test_fraction=params["test_fraction"],
            info={"source": "generated, after TensorFlow Playground"},
        )

    return load


_PARAMS = (
    samples_param(500, 100_000),
    Param("noise", "float", 0.0, "How much the points are scattered: 0 is clean, 0.5 is very noisy, "
          "1 hides most of the pattern.", minimum=0.0, maximum=1.0),
    test_fraction_param(0.5),
    seed_param(),
)

_ENTRIES: tuple[tuple[str, str, PointMaker, TargetKind], ...] = (
    ("circle", "Circle", circle, "classification"),
    ("xor", "Exclusive or", xor, "classification"),
    ("gaussian", "Two Gaussians", gaussian, "classification"),
    ("spiral", "Spiral", spiral, "classification"),
    ("plane", "Plane (regression)", plane, "regression"),
    ("multi_gaussian", "Multi Gaussian (regression)", multi_gaussian, "regression"),
)

for _name, _title, _generate, _kind in _ENTRIES:
    register(
        DatasetEntry(
            name=_name,
            title=_title,
            group="2-D",
            help=(_generate.__doc__ or "").strip(),
            params=_PARAMS,
            load=_loader(_name, _generate, _kind),
            meta=lambda params, kind=_kind: _meta(kind, params),
            takes_features=True,
        )
    )
