"""The scroll area every panel and view puts its content in."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


def scrolling(widget: QWidget, *, horizontal: bool = True) -> QScrollArea:
    """``widget`` in a frameless scroll area that resizes it to the area: a dock or view can be
    smaller than the content's minimum (a small laptop screen, many layers) and scrolls instead
    of growing the window. ``horizontal`` False: no horizontal bar (the content wraps to the
    width instead)."""
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    if not horizontal:
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(widget)
    return area
