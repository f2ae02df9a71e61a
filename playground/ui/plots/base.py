"""What every live view shares: a tool row with the export button, a pyqtgraph canvas,
theme changes, and redraws throttled to the report cadence.

Views are fed plain data (floats, numpy arrays, core dataclasses) by method calls on the GUI
thread. A feed method only stores the data and calls ``schedule()``; the drawing happens in
``_redraw()`` at most ``MAX_REDRAW_HZ`` times a second, and not at all while the view is
hidden (a hidden dock costs nothing). ``flush()`` draws pending data at once, for exports,
screenshots and tests.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, QTimer, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QGraphicsItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.ui.plots.export import Cell, ExportButton, export_picture, write_csv
from playground.ui.plots.style import PlotColors

#: Redraws per second at most, whatever the rate of incoming data (STYLE.md: <= 30 Hz). Each
#: redraw of a pyqtgraph plot costs several ms of GUI-thread Python (axes above all); with
#: every view visible, 12 Hz keeps the event loop responsive and leaves the GIL to training.
MAX_REDRAW_HZ = 12


class PlotView(QWidget):
    """Base class of the live views. Subclasses implement ``_redraw``, ``_apply_theme``,
    ``clear`` and ``data_table``, and may override ``picture_item`` and ``reset``."""

    #: File name stem the export dialog suggests.
    export_name = "plot"

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colors = PlotColors.of(self)
        self._dirty = False
        self._last_draw = -1.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)

        self.title_label = QLabel(title)
        self.title_label.setStyleSheet("font-weight: 600;")
        self.export_button = ExportButton(self)
        self.toolbar = QHBoxLayout()
        self.toolbar.setContentsMargins(4, 2, 4, 0)
        self.toolbar.addWidget(self.title_label)
        self.toolbar.addStretch(1)
        self.toolbar.addWidget(self.export_button)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(self.colors.background)
        self.graphics.ci.setContentsMargins(4, 4, 8, 4)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(2)
        self.body.addLayout(self.toolbar)
        self.body.addWidget(self.graphics, 1)

    def sizeHint(self) -> QSize:
        return QSize(520, 380)

    def add_tool(self, widget: QWidget) -> None:
        """Put a control in the tool row, left of the export button."""
        self.toolbar.insertWidget(self.toolbar.count() - 1, widget)

    # ------------------------------------------------------------------ redraw throttle
    def schedule(self) -> None:
        """Ask for a redraw: at once if the last one is old enough, else when it is."""
        self._dirty = True
        if not self._timer.isActive():
            wait = self._last_draw + 1.0 / MAX_REDRAW_HZ - time.monotonic()
            self._timer.start(max(0, int(wait * 1000)))

    def flush(self) -> None:
        """Draw pending data now (visible or not): before an export, a screenshot, a test."""
        self._timer.stop()
        if self._dirty:
            self._draw()

    @Slot()
    def _on_timer(self) -> None:
        if self.isVisible():
            self._draw()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self.schedule()

    def _draw(self) -> None:
        self._dirty = False
        self._last_draw = time.monotonic()
        self._redraw()

    def _redraw(self) -> None:
        """Push the stored data into the existing graphics items (never create items here
        unless the shape of the data changed)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ theme
    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.colors = PlotColors.of(self)
            self.graphics.setBackground(self.colors.background)
            self._apply_theme()
            self.schedule()

    def _apply_theme(self) -> None:
        """Restyle axes, labels and colour maps from ``self.colors``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ state
    def clear(self) -> None:
        """Forget the current data (a new run is starting)."""
        raise NotImplementedError

    def reset(self) -> None:
        """Back to the state just after construction: the current data and any kept
        previous-run overlays are gone (a different project was opened)."""
        self.clear()

    # ------------------------------------------------------------------ export
    def picture_item(self) -> QGraphicsItem:
        """The graphics item that is this view's picture (the whole canvas by default)."""
        return self.graphics.ci

    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """The view's data as a header and rows, for CSV export."""
        raise NotImplementedError

    def export_picture(self, path: str | Path) -> Path:
        """Write the view's picture to ``path`` (``.png`` or ``.svg``)."""
        self.flush()
        return export_picture(self.picture_item(), path)

    def export_data(self, path: str | Path) -> Path:
        """Write the view's data to ``path`` as CSV."""
        header, rows = self.data_table()
        return write_csv(path, header, rows)
