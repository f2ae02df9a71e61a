"""What every live view shares: a tool row with the export button, a pyqtgraph canvas,
theme changes, and redraws throttled to the report cadence.

Views are fed plain data (floats, numpy arrays, core dataclasses) by method calls on the GUI
thread. A feed method only stores the data and calls ``schedule()``; the drawing happens in
``_redraw()`` at most ``MAX_REDRAW_HZ`` times a second, and not at all while the view is
hidden (a hidden dock costs nothing). ``flush()`` draws pending data at once, for exports,
screenshots and tests.
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QPaintEvent, QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QGraphicsItem, QGridLayout, QLabel, QVBoxLayout, QWidget

from playground.ui.plots.draw_budget import DrawBudget
from playground.ui.plots.export import Cell, ExportButton, export_picture, write_csv
from playground.ui.plots.live import PictureRequest, RunInfo
from playground.ui.plots.style import PlotColors
from playground.ui.plots.tool_row import FlowLayout, TitleLabel

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.graph import Graph
    from playground.core.training import Report, TrainResult

#: Redraws per second at most, whatever the rate of incoming data (STYLE.md: <= 30 Hz). With ten
#: views on screen during an image run, 12 a second within 2 % each held the GUI thread at 33 %
#: of a core and the window at 0.62 of the headless rate; 6 within 0.6 %: 21 %, 0.79 (idle
#: machine, digits CNN, bench/ui_latency.py --layout all).
MAX_REDRAW_HZ = 6
#: Redraws per second at most of an animated view (the run's live pictures: the loss curve,
#: the gradient curves, the decision boundary): animation rate, with room above the 30 a
#: second that looks smooth, but not 60: the GUI thread holds the GIL while Qt paints, so
#: every frame drawn is time the training thread waits.
ANIMATION_HZ = 40
#: Redraws per second at least, however costly the view: on its own it never lags more than a
#: second (while an image run trains, the window's views also share one budget, ``draw_budget``,
#: which holds them back longer when many are on screen).
MIN_REDRAW_HZ = 1
#: Share of the GUI thread's time one view may spend redrawing and painting. The GUI thread's
#: Python holds the GIL the training thread needs between its tensor operations, so every
#: millisecond drawn is taken from training: a view that costs 10 ms a frame redraws at most
#: every 10 ms / DUTY (1.7 s), a cheap one up to MAX_REDRAW_HZ.
DUTY = 0.006
#: The share an animated view may take: a 6 ms frame can still be drawn 30 times a second.
ANIMATION_DUTY = 0.2
#: Seconds after a view comes on screen during which the shared drawing budget does not hold it
#: back (its first redraws, and the pictures it asked for on coming on screen, show at once).
JUST_SHOWN = 3.0
#: Milliseconds kept free between two views' redraws, so that input, timers and the other
#: views' paints get a turn instead of every view drawing in one long event-loop pass.
REDRAW_GAP_MS = 6
#: The reason a view does not apply is set in a column at most this wide (pixels), centred.
REASON_WIDTH = 440


class _Canvas(pg.GraphicsLayoutWidget):
    """The view's pyqtgraph canvas, timing its paints (Qt paints after the redraw that asked
    for it, so a redraw's cost is its own time plus that of the paints that follow). Costs are
    the GUI thread's CPU time: what it takes from the training thread (the GIL), not the time
    other processes on a busy machine took from it."""

    def __init__(self, view: PlotView) -> None:
        super().__init__()
        self._view = view

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        began = time.thread_time()
        super().paintEvent(event)
        self._view._charge(time.thread_time() - began)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        view = getattr(self, "_view", None)  # pyqtgraph resizes the canvas while it is built
        if view is not None:
            view._canvas_resized()


class PlotView(QWidget):
    """Base class of the live views. Subclasses implement ``_redraw``, ``_apply_theme``,
    ``clear`` and ``data_table``, and may override ``picture_item`` and ``reset``; the
    live-view protocol (``live.py``) has do-nothing defaults here."""

    #: The dock the workspace makes for the view: its object-name stem and its title.
    dock_id: ClassVar[str] = ""
    dock_title: ClassVar[str] = ""
    #: Where the view's dock goes: "row" (curves side by side under the canvas in the overview
    #: layout of ``--screenshot --train-steps``), "picture" (the run's main picture, beside the
    #: training panel there), "tab" (behind the curves), or "side" (text a person reads during
    #: and after a run: tabbed with the training panel, in every layout).
    overview: ClassVar[str] = "tab"
    #: File name stem the export dialog suggests.
    export_name = "plot"
    #: Longest wait between two redraws, however costly they are: a view that is the run's
    #: main feedback (the loss curve beside the step counter) sets it short.
    max_interval: ClassVar[float] = 1.0 / MIN_REDRAW_HZ
    #: Whether the view is one of a 2-D run's live pictures (TensorFlow Playground's kind of
    #: run: a tiny network, a picture of the plane), redrawn at animation rate within
    #: ANIMATION_DUTY while such a run goes; otherwise, and on image runs (whose steps need the
    #: GIL more than the curves need frames), at most MAX_REDRAW_HZ within DUTY.
    animated: ClassVar[bool] = False
    #: The view wants its pictures now (a person picked a sample, a method...).
    picturesWanted = Signal()
    #: When any view last redrew (views keep REDRAW_GAP_MS between their redraws).
    _last_any_draw = -1.0

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colors = PlotColors.of(self)
        self._dirty = False
        self._last_draw = -1.0
        #: redraws so far (what the live benchmark counts as picture updates)
        self.redraws = 0
        #: whether the view redraws at animation rate now (an animated view during a 2-D run)
        self.animating = False
        #: GUI-thread seconds spent on the last redraw and the paints since; smoothed cost
        self._spent = 0.0
        self._cost = 0.0
        #: what the view's dock last said about being seen (None: not in a dock, follow isVisible)
        self._on_screen: bool | None = None
        #: the drawing time the window's views share while an image run trains (None: the view
        #: is not in a window's workspace, and only its own DUTY limits it)
        self.draw_budget: DrawBudget | None = None
        #: when the view last came on screen (its dock shown, its tab raised)
        self._shown_at = -math.inf
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)

        self.title_label = TitleLabel(title)
        self.export_button = ExportButton(self)
        #: The view's controls (``add_tool``): right of the title, or on a second row when the
        #: view is too narrow for the whole title and them side by side.
        self.tools = QWidget()
        self._tools = FlowLayout(self.tools)
        self._tools_wrapped = False
        self.toolbar = QGridLayout()
        self.toolbar.setContentsMargins(4, 2, 4, 0)
        self.toolbar.setVerticalSpacing(2)
        self.toolbar.addWidget(self.title_label, 0, 0)
        self.toolbar.addWidget(self.tools, 0, 1, Qt.AlignmentFlag.AlignRight)
        self.toolbar.addWidget(self.export_button, 0, 2)
        self.toolbar.setColumnStretch(0, 1)
        self.title_label.changed.append(self._fit_tools)

        self.graphics = _Canvas(self)
        self.graphics.setBackground(self.colors.background)
        self.graphics.ci.setContentsMargins(4, 4, 8, 4)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(2)
        self.body.addLayout(self.toolbar)
        self.body.addWidget(self.graphics, 1)
        #: Why the view shows nothing for this project, drawn over its content (``show_reason``):
        #: a heading and the reason in a centred column of dim text on the plot background.
        self.reason = QLabel(self)
        self.reason.setObjectName("notApplicable")
        self.reason.setWordWrap(True)
        self.reason.setTextFormat(Qt.TextFormat.RichText)
        self.reason.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reason.setAutoFillBackground(True)
        self.reason.setBackgroundRole(QPalette.ColorRole.Base)
        self.reason.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._reason_text: str | None = None
        self.reason.hide()

    def sizeHint(self) -> QSize:
        return QSize(520, 380)

    @staticmethod
    def follow(signal: Any, method: Callable[[], object]) -> None:
        """Call the view's ``method`` when one of its own graphics items signals (an axis or a
        view box resized), through a weak reference: such items signal while the view is torn
        down, and a connection to the bound method would call into a view the garbage
        collector is already clearing (AttributeError, then a segmentation fault in CI)."""
        ref = weakref.WeakMethod(method)

        def forward(*_args: object) -> None:
            bound = ref()
            if bound is not None:
                bound()

        signal.connect(forward)

    def add_tool(self, widget: QWidget) -> None:
        """Put a control in the tool row, left of the export button."""
        self._tools.addWidget(widget)
        self._fit_tools()

    def tools_wrapped(self) -> bool:
        """Whether the controls sit on a second row (the view is too narrow for one)."""
        return self._tools_wrapped

    def _fit_tools(self) -> None:
        """Title, controls and export button on one row when the whole title fits beside the
        controls, else the controls below, flowing onto as many lines as the width needs (the
        title is shortened with "…" only when even the title and the export button do not
        fit)."""
        if self._tools.count() == 0:
            return
        margins = self.toolbar.contentsMargins()
        spacing = max(self.toolbar.horizontalSpacing(), 0)
        need = (self.title_label.full_width() + self.tools.sizeHint().width() + self.export_button.sizeHint().width()
                + 2 * spacing + margins.left() + margins.right())
        wrap = need > self.width()
        if wrap == self._tools_wrapped:
            return
        self._tools_wrapped = wrap
        self.toolbar.removeWidget(self.tools)
        if wrap:  # a line of their own, more when even that is too narrow
            self.toolbar.addWidget(self.tools, 1, 0, 1, 3)
        else:
            self.toolbar.addWidget(self.tools, 0, 1, Qt.AlignmentFlag.AlignRight)

    # ------------------------------------------------------------------ redraw throttle
    def schedule(self) -> None:
        """Ask for a redraw: at once if the last one is old enough, else when it is (at most
        MAX_REDRAW_HZ, and no more often than the view's cost allows within DUTY; animated views
        ANIMATION_HZ within ANIMATION_DUTY)."""
        self._dirty = True
        if not self._timer.isActive():
            wait = self._last_draw + self.redraw_interval() - time.monotonic()
            self._timer.start(max(0, int(wait * 1000)))

    def redraw_interval(self) -> float:
        """Seconds between two redraws, from what the view's redraws have been costing (never
        longer than ``max_interval``)."""
        rate, duty = (ANIMATION_HZ, ANIMATION_DUTY) if self.animating else (MAX_REDRAW_HZ, DUTY)
        return min(max(1.0 / rate, self._cost / duty), self.max_interval)

    @property
    def undrawn(self) -> bool:
        """Whether the view holds data it has not drawn yet."""
        return self._dirty

    @property
    def redraw_cost(self) -> float:
        """GUI-thread seconds a redraw and the paints after it have been costing (smoothed)."""
        return self._cost

    def flush(self) -> None:
        """Draw pending data now (visible or not): before an export, a screenshot, a test."""
        self._timer.stop()
        if self._dirty:
            self._draw()

    @Slot(bool)
    def set_on_screen(self, shown: bool) -> None:
        """Whether the view can be seen, as its dock says (``QDockWidget.visibilityChanged``):
        a tab behind another is still "visible" to Qt but must draw and ask for nothing, and a
        view that comes on screen mid-run (its tab raised, its dock reopened) wants its pictures
        now rather than at the next round of requests."""
        self._on_screen = shown
        if shown:
            self._shown_at = time.monotonic()
            if self._dirty:
                self.schedule()
            self.picturesWanted.emit()

    def on_screen(self) -> bool:
        """Whether a person can see the view now (shown, and not a tab behind another)."""
        return self.isVisible() and self._on_screen is not False

    @Slot()
    def _on_timer(self) -> None:
        if not self.on_screen():
            return
        since = (time.monotonic() - PlotView._last_any_draw) * 1000
        if since < REDRAW_GAP_MS:  # another view just drew: let the event loop breathe first
            self._timer.start(int(REDRAW_GAP_MS - since) + 1)
            return
        owed = self.draw_budget.wait() if self._budgeted() else 0.0
        if owed > 0:  # the window's views have drawn their share: after the debt is paid
            self._timer.start(math.ceil(owed * 1000))
            return
        self._draw()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._shown_at = time.monotonic()
        if self._dirty:
            self.schedule()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit_tools()
        super().resizeEvent(event)
        self._place_reason()

    def _canvas_resized(self) -> None:
        """The canvas got a new size (views whose layout depends on it override this)."""

    def _place_reason(self) -> None:
        """Over everything under the tool row (a sample picker too, not only the plots), with
        narrower margins in a small dock so the whole reason stays readable."""
        top = self.toolbar.geometry().bottom() + 2
        self.reason.setGeometry(0, top, self.width(), max(0, self.height() - top))
        side = max(8 if self.width() < 360 else 24, (self.width() - REASON_WIDTH) // 2)
        vertical = 4 if self.height() < 320 else 16
        self.reason.setContentsMargins(side, vertical, side, vertical)

    def _draw(self) -> None:
        self._dirty = False
        # the previous redraw's cost, now that its paints are done: smoothed, so one slow
        # frame (a first draw that builds items) does not hold the view back for long
        self._cost = 0.7 * self._cost + 0.3 * self._spent if self._last_draw >= 0 else self._spent
        began = time.thread_time()
        self._redraw()
        self.redraws += 1
        self._spent = 0.0
        self._charge(time.thread_time() - began)
        self._last_draw = PlotView._last_any_draw = time.monotonic()

    def _budgeted(self) -> bool:
        """Whether the window's shared budget may hold this view back now: not an animating
        view, nor one a person has just brought on screen (a tab raised mid-run shows its
        content, and the pictures it asked for, at once rather than after the other views)."""
        return (self.draw_budget is not None and not self.animating
                and time.monotonic() - self._shown_at > JUST_SHOWN)

    def _charge(self, seconds: float) -> None:
        """GUI-thread seconds spent on the view's redraw or a paint: its own cost, and the
        window's shared budget's (not an animating view's: its frames are not held back)."""
        self._spent += seconds
        if self.draw_budget is not None and not self.animating:
            self.draw_budget.charge(seconds)

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
            if self._reason_text:
                self._write_reason()
            self._apply_theme()
            self.schedule()

    def _apply_theme(self) -> None:
        """Restyle axes, labels and colour maps from ``self.colors``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ live-view protocol
    def on_project(self, meta: DatasetMeta | None) -> None:
        """The open project (or its dataset) changed; ``meta`` is None while the data loads.
        A view that cannot show this kind of data says why instead of drawing empty axes."""
        self.show_reason(self.not_applicable(meta) if meta is not None else None)

    def not_applicable(self, meta: DatasetMeta) -> str | None:
        """Why this view has nothing to show for such a dataset, or None when it applies."""
        return None

    def network_reason(self, graph: Graph) -> str | None:
        """Why this view has nothing to show for such a network (a confusion matrix of an
        autoencoder, which predicts no classes), or None when it applies."""
        return None

    def reason_for(self, meta: DatasetMeta, graph: Graph | None) -> str | None:
        """Why the view has nothing to show for this dataset and network, or None."""
        return self.not_applicable(meta) or (self.network_reason(graph) if graph is not None else None)

    def run_reason(self, info: RunInfo) -> str | None:
        """``reason_for`` the run's dataset and network."""
        return self.reason_for(info.meta, info.project.graph if info.project is not None else None)

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        """A run began: forget the last run's data (views that compare runs keep it as an
        overlay named ``previous`` when that is given)."""
        self.show_reason(self.run_reason(info))
        self.clear()

    def start_run(self, info: RunInfo, previous: str | None) -> None:
        """What the workspace calls when a run begins: whether the view animates during it,
        then ``on_run_started`` (which views override without calling this)."""
        self.animating = self.animated and info.meta.animates and self.run_reason(info) is None
        self.on_run_started(info, previous)

    def on_reports(self, reports: Sequence[Report]) -> None:
        """A batch of training reports, oldest first: buffer what the view draws."""

    def on_run_finished(self, result: TrainResult) -> None:
        """The run ended (after its last reports): how, and its test split's figures."""

    def select_node(self, node_id: str) -> bool:
        """A node was selected on the canvas: a view about one node turns to it; False when the
        view has nothing for it."""
        return False

    def needs_attention(self) -> bool:
        """After ``on_run_finished``: whether the view holds something a person should read now
        (the workspace brings its tab to the front)."""
        return False

    def picture_requests(self, info: RunInfo) -> list[PictureRequest]:
        """Computations on the live model the view wants now (asked only while it is shown)."""
        return []

    def on_picture(self, key: str, value: Any) -> None:
        """The result of one of this view's picture requests."""

    def show_reason(self, text: str | None) -> None:
        """Cover the view with ``text`` (why it does not apply), or uncover it (None)."""
        self.tools.setEnabled(not text)  # choosers of a view that shows nothing do nothing
        if not text:
            self._reason_text = None
            self.reason.hide()
            return
        self._reason_text = text
        self._write_reason()
        self._place_reason()
        self.reason.show()
        self.reason.raise_()

    def _write_reason(self) -> None:
        """A heading in the plot's text colour over the reason in the dim placeholder colour."""
        heading = f"{self.dock_title or 'This view'}: nothing to show for this dataset"
        self.reason.setText(f"<p style='font-size:10.5pt; font-weight:600; color:{self.colors.hex()}'>"
                            f"{escape(heading)}</p><p style='font-size:10pt'>{escape(self._reason_text or '')}</p>")

    def reason_shown(self) -> str | None:
        """The reason the view is covered with, or None."""
        return self._reason_text if not self.reason.isHidden() else None

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
