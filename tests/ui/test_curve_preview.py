"""The dataset panel lists the curve in a group of its own and previews it as its points (x, y):
the input across, the target up."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pytestqt.qtbot import QtBot

from playground.core.datasets import load_dataset
from playground.ui.dataset_preview import ScatterPreview
from playground.ui.main_window import MainWindow
from tests.ui.helpers import chain, wait_idle


def test_the_panel_shows_a_curve_as_points_of_input_against_target(
        make_window: Callable[..., MainWindow], qtbot: QtBot) -> None:
    spec = {"name": "curve", "samples": 120}
    window = make_window(chain(("in", "Input"), ("h", "Dense"), ("out", "Output"), dataset=spec))
    wait_idle(qtbot, window)
    preview = window.dataset_panel.preview.currentWidget()
    assert isinstance(preview, ScatterPreview)
    data = load_dataset(spec)
    across, up = preview.train.getData()
    assert np.array_equal(across, data.train.x[:, 0].numpy())
    assert np.array_equal(up, data.train.y[:, 0].numpy())
    assert len(preview.test.getData()[0]) == len(data.test)
    assert not preview.plot.getViewBox().state["aspectLocked"], "x and y are different quantities"
    combo = window.dataset_panel.combo
    assert combo.findData("multi_gaussian") < combo.findText("1-D CURVES") == combo.findData("curve") - 1, (
        "the curves have a group of their own, after the plane's datasets")
