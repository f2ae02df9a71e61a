"""Horizontal axes leave room between their tick labels.

The defect (seen in a real window at 1024x700): in a narrow dock the loss and gradient views'
step axes read "2000400060008000", pyqtgraph having picked the tick spacing from the axis'
length alone.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from playground.ui.plots.gradients import GradientView
from playground.ui.plots.loss import LossView
from playground.ui.plots.style import RoomyAxis


def labelled(axis: RoomyAxis, low: float, high: float, size: float) -> tuple[float, list[str]]:
    """The major spacing and the labels of the major ticks in view."""
    spacing = axis.tickSpacing(low, high, size)[0][0]
    first = math.ceil(low / spacing) * spacing
    values = [first + i * spacing for i in range(int((high - first) / spacing + 1e-9) + 1)]
    return spacing, axis.tickStrings(values, 1.0, spacing)


def test_a_narrow_step_axis_labels_fewer_ticks_and_a_wide_one_keeps_them(qtbot: QtBot) -> None:
    axis = RoomyAxis("bottom")
    assert labelled(axis, 0, 9000, 150)[0] >= 5000
    assert labelled(axis, 0, 9000, 700)[0] == 2000  # pyqtgraph's own choice, which fits


@settings(max_examples=200, deadline=None)
@given(low=st.floats(-1e6, 1e6), span=st.floats(1e-3, 1e7), size=st.floats(60, 1600))
def test_labels_never_run_together(qapp: QApplication, low: float, span: float, size: float) -> None:
    axis = RoomyAxis("bottom")
    metrics = QFontMetrics(QFont())
    spacing, labels = labelled(axis, low, low + span, size)
    widths = [metrics.horizontalAdvance(text) for text in labels]
    if len(labels) >= 2:
        pixels_apart = spacing / span * size
        assert pixels_apart >= max(widths) + RoomyAxis.GAP - 1e-6


def test_the_loss_and_gradient_views_step_axes_are_roomy(qtbot: QtBot) -> None:
    loss, gradients = LossView(), GradientView()
    for view in (loss, gradients):
        qtbot.addWidget(view)
    assert isinstance(loss.loss_plot.getAxis("bottom"), RoomyAxis)
    assert isinstance(loss.acc_plot.getAxis("bottom"), RoomyAxis)
    assert isinstance(gradients.time_plot.getAxis("bottom"), RoomyAxis)
