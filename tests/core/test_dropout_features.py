"""The lecture's dropout figure: first-layer features of an MNIST MLP are noise without dropout
and strokes with 20 % input / 50 % hidden dropout.

What a student sees in the Filters view is each h1 unit's 784 weights drawn as a 28x28 picture.
Noise and strokes differ in how alike neighbouring pixels' weights are: independent random
weights (the He init every unit starts from) have a neighbour correlation near 0, a stroke or a
loop several pixels wide one near 1. The tests train both shipped examples for 3 of their 30
epochs (same seed, data and settings otherwise) and compare that correlation over the 256 units.
Measured on the full 30 epochs: median 0.10 without dropout, 0.38 with; units above 0.2:
9 % without, 71 % with.
"""

from __future__ import annotations

import numpy as np
import pytest

from playground.core.build import build_model
from playground.core.datasets import LoadContext, load_dataset
from playground.core.examples import shipped_examples
from playground.core.probes import first_layer_filters
from playground.core.project import load_project
from playground.core.training import Trainer

EXAMPLES = {e.name: e for e in shipped_examples()}
#: A unit whose neighbouring weights correlate above this looks like a shape, not like noise
#: (at 30 epochs: 9 % of the units without dropout, 71 % with).
SMOOTH = 0.2


def neighbour_correlation(weights: np.ndarray) -> np.ndarray:
    """Per unit, the correlation between the weights of horizontally or vertically adjacent
    pixels of its ``(H, W)`` picture (each unit's mean removed): about 0 for noise, near 1 for
    shapes wider than a pixel."""
    w = weights - weights.mean(axis=(1, 2), keepdims=True)
    across = (w[:, :, 1:] * w[:, :, :-1]).sum(axis=(1, 2)) + (w[:, 1:, :] * w[:, :-1, :]).sum(axis=(1, 2))
    energy = (w[:, :, 1:] ** 2).sum(axis=(1, 2)) + (w[:, 1:, :] ** 2).sum(axis=(1, 2))
    return across / energy


def first_layer_pictures(name: str, epochs: int) -> np.ndarray:
    """The shipped example trained for ``epochs``: its h1 units' weights as ``(256, 28, 28)``
    pictures, as the Filters view draws them."""
    project = load_project(EXAMPLES[name].path)
    project.training["epochs"] = epochs
    trainer = Trainer(project, report_interval=None, probes=False, device="cpu")
    trainer.fit()
    weights = trainer.model.h1.linear.weight.detach().cpu().numpy()
    return weights.reshape(-1, 28, 28)


def test_the_measure_tells_noise_from_strokes() -> None:
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((64, 28, 28))
    yy, xx = np.mgrid[:28, :28]
    rings = np.stack([np.exp(-((np.hypot(yy - 14, xx - 14) - r) ** 2) / 4) for r in np.linspace(3, 10, 64)])
    assert abs(np.median(neighbour_correlation(noise))) < 0.05
    assert np.median(neighbour_correlation(rings)) > 0.8
    assert np.all(neighbour_correlation(rings + 0.3 * noise) > SMOOTH), "a shape behind some noise still counts"


def test_dropout_turns_first_layer_noise_into_strokes() -> None:
    # measured at 3 epochs, seeds 1-3: median 0.073-0.078 without, 0.19-0.21 with; units above
    # 0.2: 3-5 % without, 49-53 % with
    without = neighbour_correlation(first_layer_pictures("features_without_dropout", 3))
    with_dropout = neighbour_correlation(first_layer_pictures("features_with_dropout", 3))
    assert np.median(without) < 0.12, "without dropout the units keep their random start"
    assert np.median(with_dropout) > 0.15
    assert np.median(with_dropout) > 2 * np.median(without)
    assert np.mean(without > SMOOTH) < 0.15
    assert np.mean(with_dropout > SMOOTH) > 0.3, "a third of the units or more draw a shape"


@pytest.mark.parametrize("name", ["features_without_dropout", "features_with_dropout"])
def test_the_filters_view_has_the_first_dense_layer_to_draw(name: str) -> None:
    project = load_project(EXAMPLES[name].path)
    data = load_dataset(project.dataset, LoadContext())
    model = build_model(project.graph, data.meta, data.mean, data.std, seed=0)
    filters = first_layer_filters(model, data.input_shape)
    assert filters is not None, "the Filters view would say no layer reads the image"
    assert filters.node_id == "h1"
    assert filters.images.shape == (256, 1, 28, 28)
