"""Fixtures of the live-view tests: show a view offscreen, look at its pixels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from playground.ui.plots.base import PlotView

Show = Callable[[PlotView], PlotView]


@pytest.fixture
def show(qtbot: QtBot) -> Show:
    """Register a view with qtbot (closed after the test), show it at a fixed size and draw."""

    def shown(view: PlotView, width: int = 560, height: int = 480) -> PlotView:
        qtbot.addWidget(view)
        view.resize(width, height)
        view.show()
        qtbot.waitExposed(view)
        view.flush()
        return view

    return shown


def pixels(view: PlotView) -> np.ndarray:
    """The view's canvas as an ``(H, W, 3)`` uint8 array."""
    image = view.graphics.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    return np.frombuffer(image.constBits(), np.uint8, h * stride).reshape(h, stride)[:, : 3 * w].reshape(h, w, 3).copy()


def drawn_share(view: PlotView) -> float:
    """Share of canvas pixels that differ clearly from the plot background."""
    rgb = pixels(view).astype(int)
    bg = np.array(view.colors.background.getRgb()[:3])
    return float((np.abs(rgb - bg).sum(axis=2) > 40).mean())

