"""Every live view filled with realistic made-up data: shared by the common view tests and
``shots.py``, so the tests check exactly what the screenshots show."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from playground.core.datasets.curves import wiggles
from playground.core.feature_maps import FeatureMaps, NodeMaps
from playground.core.fit_picture import CurvePoints, FitCurve
from playground.core.reconstruction import CodeScatter, DecodedGrid, ReconstructionPicture, Samples
from playground.core.unit_probe import MaximisedInput, TopExamples
from playground.ui.plots.activations import ActivationView
from playground.ui.plots.base import PlotView
from playground.ui.plots.boundary import BoundaryView
from playground.ui.plots.confusion import ConfusionView, confusion_matrix
from playground.ui.plots.feature_maps import FeatureMapView
from playground.ui.plots.filters import FilterView
from playground.ui.plots.fit import FitView
from playground.ui.plots.gradients import GradientView
from playground.ui.plots.loss import LossView
from playground.ui.plots.reconstruction import ReconstructionView
from playground.ui.plots.saliency import SaliencyView
from playground.ui.plots.unit_view import UnitChoice, UnitView
from tests.ui.plots import fakes
from tests.ui.plots.populated_sequences import SEQUENCE_VIEWS

DIGIT_NAMES = [str(i) for i in range(10)]


def loss_view() -> LossView:
    """A sigmoid run kept as the previous run under a faster ReLU run."""
    view = LossView()
    view.add_reports(fakes.training_run(decay=0.3, final_loss=0.45, seed=1))
    view.keep_as_previous("sigmoid")
    view.add_reports(fakes.training_run(decay=0.9, final_loss=0.05))
    view.set_steps_per_epoch(50)
    return view


def gradient_view() -> GradientView:
    """The lecture's ten sigmoid layers (vanishing) over the flat ReLU + He profile."""
    view = GradientView()
    view.set_node_order(fakes.DEEP_NODES, fakes.DEEP_LABELS)
    view.add_reports(fakes.training_run(decay=0.9, seed=1))
    view.keep_as_previous("ReLU + He")
    view.add_reports(fakes.training_run(decay=0.3))
    return view


def activation_view() -> ActivationView:
    view = ActivationView()
    nodes = ["h1", "act1", "h2", "drop", "out"]
    view.set_node_order(nodes, {"h1": "Dense 1", "act1": "ReLU", "h2": "Dense 2", "drop": "Dropout", "out": "Output"})
    rng = np.random.default_rng(0)
    acts = {"h1": fakes.activation(rng, "sigmoid"), "act1": fakes.activation(rng, "relu"),
            "h2": fakes.activation(rng, "linear"), "drop": fakes.activation(rng, "linear"),
            "out": fakes.activation(rng, "linear")}
    weights = {"h1": fakes.weights(rng, 64), "h2": fakes.weights(rng, 32), "out": fakes.weights(rng, 16)}
    view.add_report(fakes.report(120, activations=acts, weights=weights))
    return view


def filter_view() -> FilterView:
    view = FilterView()
    view.set_filters(fakes.gabor_filters(16, 5), "conv", "Conv 1")
    return view


def saliency_view() -> SaliencyView:
    """Two digits picked (one misclassified) with plain-gradient and guided maps."""
    view = SaliencyView()
    images, labels = fakes.digit_images(12)
    pred = labels.copy()
    pred[3] = 5
    view.set_samples(images, labels, pred, DIGIT_NAMES)
    view.select([0, 3])
    rng = np.random.default_rng(0)
    for i in (0, 3):
        image = images[i]
        vanilla = np.abs(np.gradient(image[0])[0])[None] + rng.random((1, 8, 8))
        guided = (image - image.mean()) / 16 * rng.random((1, 8, 8))
        view.set_maps(image, {"vanilla": vanilla, "guided": guided}, index=i)
    return view


def digit_feature_maps(image: np.ndarray, index: int) -> FeatureMaps:
    """LeNet-like maps of one 8x8 digit: eight edge detectors' ReLU outputs, their 2x2 max
    pooling, and a Dense layer of 32 units (some silent, as ReLU units are)."""
    rng = np.random.default_rng(index)
    x = image[0] / 16
    shifts = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
    conv = np.stack([np.maximum(x - np.roll(x, s, axis=(0, 1)), 0) for s in shifts]).astype(np.float32)
    conv[5] *= 0.1  # a weak channel: its own scale shows its shape
    pool = conv.reshape(8, 4, 2, 4, 2).max(axis=(2, 4))
    dense = np.maximum(rng.normal(0.2, 0.8, 32), 0).astype(np.float32)
    logits = rng.normal(0, 2, 10).astype(np.float32)
    nodes = {"conv1": NodeMaps("conv1", "Conv2d", conv, 8), "pool1": NodeMaps("pool1", "MaxPool2d", pool, 8),
             "fc": NodeMaps("fc", "Dense", dense, 32), "out": NodeMaps("out", "Output", logits, 10)}
    return FeatureMaps(index, image, nodes)


FEATURE_MAP_LABELS = {"conv1": "Conv2d 'conv1'", "pool1": "MaxPool2d 'pool1'", "fc": "Dense 'fc'",
                      "out": "Output 'out'"}


def feature_map_view(node: str = "conv1") -> FeatureMapView:
    """The second digit picked, a convolution's maps shown."""
    view = FeatureMapView()
    view.set_node_labels(FEATURE_MAP_LABELS)
    images, labels = fakes.digit_images(12)
    view.set_samples(images, labels, DIGIT_NAMES)
    view.picker.pick(1)
    view.picker.set_predictions(labels)
    view.select_node(node)
    view.set_maps(digit_feature_maps(images[1], 1))
    return view


def unit_view() -> UnitView:
    """A LeNet channel that likes rings: its top examples are the ring digits, its bottom ones
    the bars, and the made input a bright ring on grey."""
    view = UnitView()
    view.set_choices({"conv1": UnitChoice("Conv2d 'conv1'", 8, "channel"), "fc": UnitChoice("Dense 'fc'", 64, "unit"),
                      "out": UnitChoice("Output 'out'", 10, "class")}, DIGIT_NAMES)
    view.select_unit(2)
    images, labels = fakes.digit_images(16)
    top, bottom = np.arange(0, 16, 2), np.arange(1, 16, 2)
    values = np.linspace(2.4, 1.1, 8).astype(np.float32)
    view.set_examples(TopExamples("conv1", 2, top, values, images[top], labels[top], bottom, values - 2.0,
                                  images[bottom], labels[bottom], 0.7, 288))
    yy, xx = np.mgrid[0:8, 0:8]
    ring = 4 + 12 * np.exp(-((np.hypot(xx - 3.5, yy - 3.5) - 2.5) ** 2))
    view.set_maximised(MaximisedInput("conv1", 2, ring[None].astype(np.float32), 4.8, 0.3, 40))
    return view


def boundary_view() -> BoundaryView:
    """Two moons with a fitted boundary and two hidden layers' units."""
    view = BoundaryView()
    x, y = fakes.moons(200)
    test_x, test_y = fakes.moons(60, seed=1)
    view.set_points(x, y, test_x, test_y)
    view.set_grid(fakes.moons_grid())
    view.set_unit_grids(fakes.unit_grids(units=8), {"h1": "Dense 1", "h2": "Dense 2"})
    return view


def confusion_view() -> ConfusionView:
    """Digits at 85% with 9s often taken for 4s."""
    rng = np.random.default_rng(0)
    true = rng.integers(0, 10, 360)
    pred = np.where(rng.random(360) < 0.88, true, rng.integers(0, 10, 360))
    pred[(true == 9) & (rng.random(360) < 0.3)] = 4
    view = ConfusionView()
    view.set_matrix(confusion_matrix(true, pred, 10), DIGIT_NAMES)
    return view


def fit_view() -> FitView:
    """The default curve's noisy points under a line that follows the slow waves and misses
    the fastest one, over the previous run's flatter line."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 160).astype(np.float32)
    y = (wiggles(x) + rng.normal(0, 0.05, 160)).astype(np.float32)
    xs = np.linspace(-3.6, 3.6, 400, dtype=np.float32)
    view = FitView()
    view.set_points(CurvePoints(x[:120], y[:120], x[120:], y[120:]))
    view.set_curve(FitCurve(xs, 0.6 * np.tanh(xs)))
    view.keep_as_previous("one layer of 8")
    view.set_points(CurvePoints(x[:120], y[:120], x[120:], y[120:]))
    view.set_curve(FitCurve(xs, np.where(xs < 1.5, wiggles(xs), 0.2 * np.sin(xs)).astype(np.float32)))
    return view


def reconstruction_view() -> ReconstructionView:
    """A denoising autoencoder with a two-unit code: blurred reconstructions of noisy digits,
    codes in ten clusters, and a grid that fades from rings to bars across the code plane."""
    rng = np.random.default_rng(0)
    images, labels = fakes.digit_images(8)
    noisy = np.clip(images + rng.normal(0, 4, images.shape), 0, 16).astype(np.float32)
    blurred = (images + np.roll(images, 1, axis=3) + np.roll(images, 1, axis=2)) / 3
    samples = Samples(images, noisy, blurred.astype(np.float32), labels, ((blurred - images) ** 2).mean(axis=(1, 2, 3)))
    classes = rng.integers(0, 10, 400)
    angles = classes * 2 * np.pi / 10
    points = (np.stack([np.cos(angles), np.sin(angles)], 1) * 3 + rng.normal(0, 0.6, (400, 2))).astype(np.float32)
    code = CodeScatter("code", 2, (2,), points, classes, False, (0.55, 0.45))
    xs = ys = np.linspace(-3, 3, 7, dtype=np.float32)
    weight = np.clip((xs[None, :] + ys[:, None] + 6) / 12, 0, 1)[:, :, None, None, None]
    grid = DecodedGrid(xs, ys, (weight * images[0] + (1 - weight) * images[1]).astype(np.float32))
    view = ReconstructionView()
    view.set_class_names(DIGIT_NAMES, {"code": "Dense 'code'"})
    view.set_picture(ReconstructionPicture(samples, code, grid))
    return view


VIEWS: dict[str, Callable[[], PlotView]] = {
    "loss": loss_view,
    "gradients": gradient_view,
    "activations": activation_view,
    "filters": filter_view,
    "saliency": saliency_view,
    "boundary": boundary_view,
    "confusion": confusion_view,
    "fit": fit_view,
    "reconstruction": reconstruction_view,
    "units": unit_view,
    "feature_maps": feature_map_view,
    **SEQUENCE_VIEWS,
}
