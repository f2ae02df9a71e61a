"""Loss and accuracy curves of the running training, with earlier runs overlaid for comparison.

The lectures' first experiments are comparisons: three learning rates, sigmoid against ReLU,
with and without dropout. So besides the live train/validation curves the view keeps up to
``MAX_PREVIOUS`` earlier runs (``keep_as_previous``) as faded dashed curves on the same axes.

Memory is constant however long a run goes: points live in a core ``History`` whose series
merge neighbours when full (``HISTORY_CAPACITY`` points per series), and each redraw hands
those few thousand points to the same curve items.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Slot
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QWidget

from playground.core.history import History, SeriesData
from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import RunInfo
from playground.ui.plots.ranges import StickyViewBox
from playground.ui.plots.style import LayoutLegend, RoomyAxis, faded, style_legend, style_plot

if TYPE_CHECKING:
    from playground.core.training import Report

#: Kept points per curve; older parts of a long run get coarser, never longer.
HISTORY_CAPACITY = 2048
#: Earlier runs kept for comparison; the oldest is dropped when another is kept.
MAX_PREVIOUS = 3
#: Pixels from which the accuracy axis numbers itself; below, only 0, (50,) and 100 are shown.
ACC_TICKS_FROM = 90
#: Validation curves have one point per epoch; below this many points each gets a dot so a
#: single epoch is visible at all (symbols ignore clipToView, so not on longer curves).
SYMBOL_LIMIT = 64

LOSS_SERIES = ("train_loss", "val_loss")
ACC_SERIES = ("train_acc", "val_acc")
SERIES = LOSS_SERIES + ACC_SERIES
_NAMES = {"train_loss": "train loss", "val_loss": "val loss", "train_acc": "train acc", "val_acc": "val acc"}
#: Dash patterns of previous runs, newest first, so several stay apart.
_PREVIOUS_STYLES = (Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)


@dataclass
class _Run:
    """An earlier run: frozen copies of its curves and one curve item per series."""

    label: str
    data: dict[str, SeriesData]
    steps_per_epoch: int | None
    items: dict[str, pg.PlotDataItem]


class LossView(PlotView):
    """Train and validation loss (top) and accuracy (bottom, only when there is any) against
    the step or the epoch, with a hover read-out.

    Feed it with ``add_report`` / ``add_reports``; call ``set_steps_per_epoch`` when known (it is
    otherwise inferred from the first epoch-end report). ``keep_as_previous(label)`` before a
    new run turns the current curves into a comparison overlay.
    """

    animated = True
    dock_id = "loss"
    dock_title = "Loss"
    overview = "row"
    export_name = "loss"
    #: The curve keeps pace with the step counter of the Run panel (at 700 steps/s a 1 s wait
    #: left the curve 450 steps behind it); a redraw costs a few ms, so this is affordable.
    max_interval = 0.1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Loss and accuracy", parent)
        self._history = History(HISTORY_CAPACITY)
        self._steps_per_epoch: int | None = None
        #: steps of the run being shown (where the step axis' headroom ends), once known
        self._total_steps: int | None = None
        self._acc_ticks: list | None = None
        self._previous: list[_Run] = []
        self._data: dict[str, SeriesData] = {}
        self._acc_shown = False

        self.x_axis = QComboBox()
        self.x_axis.addItems(["Step", "Epoch"])
        self.x_axis.setToolTip("Horizontal axis: training steps or epochs")
        self.x_axis.currentIndexChanged.connect(self._on_option)
        self.log_loss = QCheckBox("Log loss")
        self.log_loss.setToolTip("Logarithmic loss axis: shows progress when the loss is already small")
        self.log_loss.toggled.connect(self._on_log)
        self.add_tool(self.x_axis)
        self.add_tool(self.log_loss)

        self.loss_plot = pg.PlotItem(viewBox=StickyViewBox(), axisItems={"bottom": RoomyAxis("bottom")})
        self.acc_plot = pg.PlotItem(viewBox=StickyViewBox(), axisItems={"bottom": RoomyAxis("bottom")})
        self.acc_plot.setXLink(self.loss_plot)
        # a row of its own above the curves: over the plot it hid the newest points
        self.legend = LayoutLegend(labelTextSize="8pt", horSpacing=4)
        for plot, label in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy %")):
            plot.setLabel("left", label)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.getViewBox().setMouseEnabled(x=True, y=False)
        self.acc_plot.setYRange(0, 100, padding=0.02)
        self.acc_plot.enableAutoRange(y=False)
        for plot in (self.loss_plot, self.acc_plot):
            self.follow(plot.getViewBox().sigResized, self._fit_axis_labels)
        self.graphics.addItem(self.legend, row=0, col=0)
        self.graphics.ci.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignRight)
        self.graphics.addItem(self.loss_plot, row=1, col=0)

        self._curves = {name: self._curve(name) for name in SERIES}
        for name in LOSS_SERIES:
            self.legend.addItem(self._curves[name], _NAMES[name])
        self._cursors = [pg.InfiniteLine(angle=90, movable=False) for _ in range(2)]
        for plot, cursor in zip((self.loss_plot, self.acc_plot), self._cursors):
            cursor.hide()
            plot.addItem(cursor, ignoreBounds=True)

        self.readout = QLabel(" ")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setWordWrap(True)
        self.readout.setContentsMargins(8, 0, 8, 2)
        self.body.addWidget(self.readout)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._apply_theme()
        self._update_x_label()
        self._fence()

    def _curve(self, name: str) -> pg.PlotDataItem:
        curve = pg.PlotDataItem(name=_NAMES[name])
        (self.loss_plot if name in LOSS_SERIES else self.acc_plot).addItem(curve)
        return curve

    # ------------------------------------------------------------------ feeding
    def add_report(self, report: Report) -> None:
        """Append one report's losses and accuracies (cheap: buffers only; drawing is throttled)."""
        self._history.add(report.step, train_loss=report.train_loss, val_loss=report.val_loss,
                          train_acc=report.train_acc, val_acc=report.val_acc)
        if self._steps_per_epoch is None and report.epoch_end and report.epoch > 0 and report.step > 0:
            self._steps_per_epoch = max(1, round(report.step / report.epoch))
        self.schedule()

    @Slot(list)
    def add_reports(self, reports: list[Report]) -> None:
        """Append a batch of reports (what the training session delivers) with one redraw."""
        for report in reports:
            self.add_report(report)

    def on_reports(self, reports: Sequence[Report]) -> None:
        self.add_reports(list(reports))

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        if previous is not None:
            self.keep_as_previous(previous)
        self.clear()
        self._total_steps = info.total_steps
        self.set_steps_per_epoch(info.steps_per_epoch)
        self._fence()

    def _fence(self) -> None:
        """The axes' headroom stops at a loss of 0 (no loss is negative; on the log axis there
        is no such floor) and at the run's last step or epoch."""
        box = self.loss_plot.getViewBox()
        end = self._total_steps
        if end is not None and self.x_axis.currentIndex() == 1 and self._steps_per_epoch:
            end = end / self._steps_per_epoch
        box.set_fence(0, 0.0, end)
        box.set_fence(1, None if self.log_loss.isChecked() else 0.0, None)

    def set_steps_per_epoch(self, steps: int) -> None:
        """Steps in one epoch, for the epoch axis."""
        self._steps_per_epoch = max(1, int(steps))
        self.schedule()

    def clear(self) -> None:
        """Forget the current run (previous runs stay)."""
        self._history.clear()
        self._steps_per_epoch = None
        self._data = {}
        self.readout.setText(" ")
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        """Forget the current run and every kept previous run."""
        for run in self._previous:
            self._drop(run)
        self._previous.clear()
        self.clear()
        self.loss_plot.getViewBox().start_afresh()

    # ------------------------------------------------------------------ previous runs
    def keep_as_previous(self, label: str | None = None) -> None:
        """Freeze the current curves as a faded dashed overlay named ``label`` (for example
        "sigmoid") and start empty for the next run. Nothing happens if there is no data."""
        self.flush()
        if self._add_previous(label or f"run {len(self._previous) + 1}", self._data, self._steps_per_epoch):
            self.clear()

    def add_previous_run(self, label: str, lines: Sequence[Mapping[str, Any]]) -> bool:
        """Overlay a finished run from its ``metrics.jsonl`` lines (File > Open Run), as if it
        had been trained here before the current one; False when the lines hold no curve.
        Values that are not finite numbers are skipped, as in a live run."""
        history = History(HISTORY_CAPACITY)
        steps_per_epoch = None
        for line in lines:
            step, epoch = line.get("step"), line.get("epoch")
            if not _number(step):
                continue
            history.add(float(step), **{name: float(line[name]) for name in SERIES if _number(line.get(name))})
            if _number(epoch) and epoch > 0 and step > 0 and steps_per_epoch is None:
                steps_per_epoch = max(1, round(step / epoch))
        data = {name: history[name].data() for name in SERIES if name in history}
        added = self._add_previous(label, data, steps_per_epoch)
        if added:
            self._dirty = True
            self.flush()
        return added

    def _add_previous(self, label: str, series: Mapping[str, SeriesData], steps_per_epoch: int | None) -> bool:
        """Keep ``series`` as the newest overlay (the oldest goes when MAX_PREVIOUS are kept)."""
        data = {name: d for name, d in series.items() if len(d)}
        if not data:
            return False
        if len(self._previous) == MAX_PREVIOUS:
            self._drop(self._previous.pop(0))
        items = {}
        for name in data:
            item = pg.PlotDataItem()
            (self.loss_plot if name in LOSS_SERIES else self.acc_plot).addItem(item)
            items[name] = item
        run = _Run(label, data, steps_per_epoch, items)
        self._previous.append(run)
        legend_item = items.get("train_loss") or next(iter(items.values()))
        self.legend.addItem(legend_item, label)
        self._fit_legend()
        self._style_previous()
        return True

    def previous_labels(self) -> list[str]:
        """Labels of the kept runs, oldest first."""
        return [run.label for run in self._previous]

    def _drop(self, run: _Run) -> None:
        for name, item in run.items.items():
            self.legend.removeItem(item)
            (self.loss_plot if name in LOSS_SERIES else self.acc_plot).removeItem(item)
        self._fit_legend()

    # ------------------------------------------------------------------ drawing
    def _x(self, x: np.ndarray, steps_per_epoch: int | None) -> np.ndarray:
        if self.x_axis.currentIndex() == 1 and steps_per_epoch:
            return x / steps_per_epoch
        return x

    def _redraw(self) -> None:
        self._data = {name: self._history[name].data() for name in SERIES if name in self._history}
        for name, curve in self._curves.items():
            d = self._data.get(name)
            if d is None:
                curve.setData([], [])
                continue
            curve.setData(self._x(d.x, self._steps_per_epoch), _shown(name, d.mean))
            if name.startswith("val"):
                curve.setSymbol("o" if len(d) <= SYMBOL_LIMIT else None)
        for run in self._previous:
            for name, item in run.items.items():
                item.setData(self._x(run.data[name].x, run.steps_per_epoch), _shown(name, run.data[name].mean))
        has_acc = any(name in self._data for name in ACC_SERIES) or any(
            name in run.data for run in self._previous for name in ACC_SERIES)
        self._show_accuracy(has_acc)

    def _show_accuracy(self, show: bool) -> None:
        """The accuracy plot takes space only when there is accuracy (not for regression)."""
        if show == self._acc_shown:
            return
        self._acc_shown = show
        if show:
            self.graphics.addItem(self.acc_plot, row=2, col=0)
            self.graphics.ci.layout.setRowStretchFactor(1, 3)
            self.graphics.ci.layout.setRowStretchFactor(2, 2)
        else:
            self.graphics.removeItem(self.acc_plot)
        self.loss_plot.getAxis("bottom").setStyle(showValues=not show)
        self._update_x_label()

    def _canvas_resized(self) -> None:
        self._fit_legend()

    @Slot()
    def _fit_axis_labels(self) -> None:
        """A vertical axis title only where the plot is taller than the title: in a short dock
        "accuracy %" and "loss" would run into each other (the legend names the curves)."""
        for plot in (self.loss_plot, self.acc_plot):
            axis = plot.getAxis("left")
            needed = QFontMetrics(axis.label.font()).horizontalAdvance(axis.labelText) + 8
            fits = plot.getViewBox().height() >= needed
            if fits != axis.label.isVisible():
                axis.showLabel(fits)
        # a short accuracy plot gets fewer tick numbers than pyqtgraph's spacing would squeeze in
        height = self.acc_plot.getViewBox().height()
        shown = (0, 100) if height < 36 else (0, 50, 100)
        ticks = None if height >= ACC_TICKS_FROM else [[(v, str(v)) for v in shown]]
        if ticks != self._acc_ticks:
            self._acc_ticks = ticks
            self.acc_plot.getAxis("left").setTicks(ticks)

    def _fit_legend(self) -> None:
        """The legend's entries in as many columns as the canvas' width holds."""
        self.legend.fit_width(self.graphics.width() - 24)

    def _update_x_label(self) -> None:
        label = "epoch" if self.x_axis.currentIndex() == 1 else "step"
        self.loss_plot.setLabel("bottom", None if self._acc_shown else label)
        self.acc_plot.setLabel("bottom", label)
        self.loss_plot.showAxis("bottom")

    @Slot(int)
    def _on_option(self, _index: int) -> None:
        self._update_x_label()
        self._fence()
        self._dirty = True
        self.flush()
        self.loss_plot.enableAutoRange(x=True)

    @Slot(bool)
    def _on_log(self, on: bool) -> None:
        self._fence()
        self.loss_plot.setLogMode(y=on)

    def _apply_theme(self) -> None:
        c = self.colors
        for plot in (self.loss_plot, self.acc_plot):
            style_plot(plot, c)
        style_legend(self.legend, c)
        for name, curve in self._curves.items():
            color = c.series(0 if name.startswith("train") else 1)
            # one-pixel (cosmetic) pens for the curves that have a point per report: Qt strokes
            # a wider line as a polygon, which took 1.4 ms a frame for a long run's curve
            curve.setPen(pg.mkPen(color, width=1.5 if name.startswith("val") else 1))
            curve.setSymbolBrush(color)
            curve.setSymbolPen(pg.mkPen(color))
            curve.setSymbolSize(5)
        for cursor in self._cursors:
            cursor.setPen(pg.mkPen(c.dim, width=1, style=Qt.PenStyle.DashLine))
        self._style_previous()

    def _style_previous(self) -> None:
        c = self.colors
        for age, run in enumerate(reversed(self._previous)):
            style = _PREVIOUS_STYLES[age % len(_PREVIOUS_STYLES)]
            for name, item in run.items.items():
                color = faded(c.series(0 if name.startswith("train") else 1), 0.55 - 0.1 * age)
                item.setPen(pg.mkPen(color, width=1, style=style))

    # ------------------------------------------------------------------ hover read-out
    def readout_at(self, x: float) -> dict[str, float]:
        """What the hover label shows at horizontal position ``x`` (in the axis' unit): each
        current curve's value at its nearest point, plus each kept run's train loss."""
        values: dict[str, float] = {}
        for name in SERIES:
            d = self._data.get(name)
            if d is not None and len(d):
                values[_NAMES[name]] = _nearest(self._x(d.x, self._steps_per_epoch), _shown(name, d.mean), x)
        for run in self._previous:
            d = run.data.get("train_loss")
            if d is not None and len(d):
                values[f"{run.label} (train)"] = _nearest(self._x(d.x, run.steps_per_epoch), d.mean, x)
        return values

    @Slot(QPointF)
    def _on_mouse_moved(self, pos: QPointF) -> None:
        for plot in (self.loss_plot, self.acc_plot):
            box = plot.getViewBox()
            if plot.scene() is not None and box.sceneBoundingRect().contains(pos):
                self.show_readout(box.mapSceneToView(pos).x())
                return
        for cursor in self._cursors:
            cursor.hide()

    def show_readout(self, x: float) -> None:
        """Put the cursor line at ``x`` and the values there in the read-out label."""
        values = self.readout_at(x)
        for cursor in self._cursors:
            cursor.setValue(x)
            cursor.setVisible(bool(values))
        if not values:
            self.readout.setText(" ")
            return
        unit = "epoch" if self.x_axis.currentIndex() == 1 and self._steps_per_epoch else "step"
        parts = [f"{unit} {x:,.2f}" if unit == "epoch" else f"{unit} {max(x, 0):,.0f}"]
        for name, value in values.items():
            text = f"{value:.1f}%" if name.endswith("acc") else f"{value:.4g}"
            parts.append(f"{name} <b>{text}</b>")
        self.readout.setText(" · ".join(parts))

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """One row per kept point: run, series, step, mean and the min/max it stands for."""
        self.flush()
        rows: list[list[Cell]] = []
        runs = [(run.label, run.data) for run in self._previous] + [("current", self._data)]
        for label, data in runs:
            for name, d in data.items():
                rows.extend([label, name, float(x), float(m), float(lo), float(hi)]
                            for x, m, lo, hi in zip(d.x, d.mean, d.min, d.max))
        return ["run", "series", "step", "value", "min", "max"], rows


def _number(value: object) -> bool:
    """A finite int or float (not a bool, a string or null) as a metrics line may hold."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return False


def _shown(name: str, values: np.ndarray) -> np.ndarray:
    """Accuracies are stored as fractions and shown as percentages."""
    return values * 100.0 if name in ACC_SERIES else values


def _nearest(xs: np.ndarray, ys: np.ndarray, x: float) -> float:
    """The y of the point whose x is nearest to ``x`` (xs ascending)."""
    i = int(np.searchsorted(xs, x))
    if i == len(xs) or (i > 0 and x - xs[i - 1] < xs[i] - x):
        i -= 1
    return float(ys[i])
