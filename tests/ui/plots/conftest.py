"""Fixtures of the live-view tests: show a view offscreen, look at its pixels."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from playground.ui.plots.base import PlotView

if TYPE_CHECKING:
    from playground.core.training import Trainer
    from playground.ui.plots.live import RunInfo

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


def deliver(view: PlotView, trainer: Trainer, info: RunInfo) -> list[str]:
    """What the workspace does between two steps: compute the view's requests, hand them over;
    the keys asked for, in order."""
    keys = []
    for request in view.picture_requests(info):
        keys.append(request.key)
        view.on_picture(request.key, request.compute(trainer))
    view.flush()
    return keys
