"""The Feature maps view: a convolution's channels as a grid, a Dense node's units as bars, the
node a person picks (or clicks on the canvas), the sample they pick, live through the window."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from playground.core.datasets import DatasetMeta
from playground.core.examples import example_path
from playground.core.project import load_project
from playground.ui.main_window import MainWindow
from playground.ui.plots.feature_maps import COMPUTING, PLACEHOLDER, FeatureMapView
from playground.ui.plots.live import RunInfo
from tests.ui.plots import fakes
from tests.ui.plots.conftest import Show, drawn_share
from tests.ui.plots.populated import DIGIT_NAMES, digit_feature_maps, feature_map_view

DIGITS = DatasetMeta((1, 8, 8), "classification", 10, tuple(DIGIT_NAMES))
PLANE = DatasetMeta((2,), "classification", 2)


def run_info(meta: DatasetMeta) -> RunInfo:
    images, labels = fakes.digit_images(12) if meta.is_image else (np.empty((0, 2), np.float32), np.empty(0))
    none = (np.empty((0, 2), np.float32), np.empty(0))
    return RunInfo(10, 100, "cpu", ["in", "conv1", "pool1", "fc", "out"],
                   {"in": "Input 'in'", "conv1": "Conv2d 'conv1'", "fc": "Dense 'fc'"}, meta, "cross_entropy",
                   none, none, (images, labels))


def test_a_convolution_is_a_grid_of_its_channels_on_one_scale(show: Show) -> None:
    view = show(feature_map_view("conv1"))
    assert view.node() == "conv1"
    assert not view.shows_bars()
    assert view.maps_image.isVisible()
    assert view.colorbar.isVisible()
    assert view.maps_image.image.shape == (3 * 8 + 2, 3 * 8 + 2), "eight 8x8 maps tiled three a row"
    conv = digit_feature_maps(fakes.digit_images(12)[0][1], 1).nodes["conv1"].values
    assert view.levels() == pytest.approx((0.0, conv.max())), "ReLU maps: one scale from zero to the largest"
    assert "8 maps of 8×8" in view.caption.text
    assert "sample 1" in view.caption.text
    assert drawn_share(view) > 0.05


def test_scale_each_puts_every_channel_on_its_own_scale(show: Show) -> None:
    view = show(feature_map_view("conv1"))
    shared = view.levels()[1]
    # the sixth map (second row, third column) is a tenth as strong as the others: nearly dark
    assert np.nanmax(view.maps_image.image[9:17, 18:26]) < 0.2 * shared
    view.scale_toggle.setChecked(True)
    view.flush()
    assert view.levels() == pytest.approx((0.0, 1.0))
    assert np.nanmax(view.maps_image.image[9:17, 18:26]) == pytest.approx(1.0)
    assert not view.colorbar.isVisible(), "no common scale to show"


def test_a_dense_node_is_a_strip_of_bars_and_select_node_switches(show: Show) -> None:
    view = show(feature_map_view("conv1"))
    assert view.select_node("fc")
    view.flush()
    assert view.node() == "fc"
    assert view.shows_bars()
    heights = view.bars.opts["height"]
    assert np.array_equal(heights, view.node_maps().values)
    assert len(heights) == 32
    assert "32 units" in view.caption.text
    assert view.select_node("pool1")
    view.flush()
    assert not view.shows_bars()
    assert view.maps_image.image.shape == (3 * 4 + 2, 3 * 4 + 2)


def test_a_node_without_maps_is_remembered_until_maps_for_it_arrive(show: Show) -> None:
    view = show(feature_map_view("conv1"))
    assert not view.select_node("in"), "the Input has no maps"
    assert view.node() == "conv1"
    fresh = FeatureMapView()
    images, labels = fakes.digit_images(12)
    fresh.set_samples(images, labels, DIGIT_NAMES)
    assert not fresh.select_node("fc"), "no maps yet"
    fresh.set_maps(digit_feature_maps(images[0], 0))
    assert fresh.node() == "fc"
    fresh.deleteLater()


def test_picking_a_sample_asks_for_its_maps_and_drops_late_ones_of_the_last(show: Show, qtbot: QtBot) -> None:
    view = show(FeatureMapView())
    assert view.caption.text == PLACEHOLDER, "before a run there is nothing to pick"
    info = run_info(DIGITS)
    view.start_run(info, None)
    images = info.samples[0]
    assert view.picker.current() == 0
    with qtbot.waitSignal(view.picturesWanted):
        view.picker.pick(4)
    request = next(r for r in view.picture_requests(info) if r.key == "feature_maps")
    assert request.compute.keywords["index"] == 4
    assert np.array_equal(request.compute.keywords["image"], images[4])
    with qtbot.waitSignal(view.picturesWanted):  # the maps of sample 0, computed before the pick
        view.on_picture("feature_maps", digit_feature_maps(images[0], 0))
    assert view.node_maps() is None
    view.flush()
    assert view.caption.text == COMPUTING
    view.on_picture("feature_maps", digit_feature_maps(images[4], 4))
    view.flush()
    assert view.node() == "conv1"
    assert "sample 4" in view.caption.text
    view.start_run(info, None)  # the same samples, new weights: the pick stays, the maps go
    assert view.picker.current() == 4
    assert view.node_maps() is None


def test_a_plane_dataset_is_told_why_and_asks_for_nothing(show: Show) -> None:
    view = show(FeatureMapView())
    view.on_project(PLANE)
    reason = view.reason_shown()
    assert reason is not None
    assert "image" in reason
    assert "2 input features" in reason
    assert view.picture_requests(run_info(PLANE)) == []
    view.on_project(DIGITS)
    assert view.reason_shown() is None


def test_export_is_the_shown_nodes_values(show: Show) -> None:
    view = show(feature_map_view("fc"))
    header, rows = view.data_table()
    assert header[:3] == ["sample", "node", "channel_or_unit"]
    assert len(rows) == 32
    assert rows[0][:2] == [1, "fc"]
    view.select_node("conv1")
    assert len(view.data_table()[1]) == 8 * 8 * 8


def test_the_window_shows_the_maps_of_the_node_clicked_on_the_canvas(
        make_window: Callable[..., MainWindow], qtbot: QtBot) -> None:
    path = example_path("lenet_digits")
    assert path is not None
    window = make_window(load_project(path))
    ws = window.training
    ws.docks["feature_maps"].raise_()
    view = ws.view("feature_maps")
    assert isinstance(view, FeatureMapView)
    ws.train(paused=True)
    assert ws.session is not None
    ws.session.step(5)
    qtbot.waitUntil(lambda: view.node_maps() is not None, timeout=20_000)
    window.scene.select_nodes(["conv2"])
    assert view.node() == "conv2"
    assert view.node_maps().values.shape == (16, 4, 4)
    assert ws.view("units").node() == "conv2", "the Units view turns to the clicked node too"
    window.scene.select_nodes(["fc"])
    view.flush()
    assert view.shows_bars()
    assert len(view.bars.opts["height"]) == 64
    ws.stop()
    ws.shutdown()
