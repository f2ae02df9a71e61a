"""Gradient magnitudes per layer: over time, and as a bar profile from input to output.

This is the lectures' vanishing-gradient picture: with ten sigmoid layers the first layers'
gradients sit orders of magnitude below the last, and with ReLU + He initialisation the bars
even out. Both plots use log10 units, so "orders of magnitude" is a distance you can see.

Nodes whose latest norm is below ``low`` x or above ``high`` x the Output node's norm, where
the run shows the consequence too (the advisor's definitions, ``gradient_flags``), are flagged,
coloured and labelled in the bar profile, and published as data (``flags()``,
``flagsChanged``) for the editor's node badges.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QSpinBox, QWidget

from playground.core.advisor import RunTrends
from playground.core.history import History
from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.gradient_flags import DEFAULT_HIGH, DEFAULT_LOW, EXPLODING, Flag, gradient_flags
from playground.ui.plots.live import RunInfo
from playground.ui.plots.ranges import StickyViewBox
from playground.ui.plots.style import Caption, DecadeAxis, LayoutLegend, RoomyAxis, faded, style_legend, style_plot
from playground.ui.plots.tool_row import labelled
from playground.ui.scrolling import scrolling

if TYPE_CHECKING:
    from playground.core.training import Report

#: Kept points per node curve (constant memory for any run length).
HISTORY_CAPACITY = 1024
#: Bar thickness as a share of the row.
BAR_HEIGHT = 0.7
#: Pixels per bar at least, so that node names and flags never run into each other; with many
#: layers the bar plot grows and the view scrolls.
ROW_HEIGHT = 18
#: Rows' worth of room above the first bar, for the threshold lines' labels.
TOP_ROWS = 1.8
#: Pixels the curves over time get at least.
TIME_PLOT_HEIGHT = 150
FLAG_POINT_SIZE = 8.0
#: Decades a threshold line must move by before it is moved (less is under a pixel).
LINE_STEP = 0.005
#: Seconds between two updates of the step in the bars' title.
TITLE_INTERVAL = 0.25


def _log10(value: float) -> float:
    """log10 of a norm; -inf for zero, +inf for inf, NaN for NaN."""
    if math.isnan(value):
        return math.nan
    return math.log10(value) if value > 0 else -math.inf


class GradientView(PlotView):
    """Per-node gradient L2 norms: one curve per node over steps (log axis, coloured by
    depth), and the latest values as horizontal bars ordered input (top) to output (bottom).

    Feed with ``add_report``/``add_reports``; ``set_node_order`` gives the order and labels
    (otherwise the order of the first report's ``grad_norm`` is used and labels are node ids).
    ``flagsChanged(dict)`` fires whenever the set of flagged nodes or their flags change.
    """

    flagsChanged = Signal(dict)
    animated = True
    dock_id = "gradients"
    dock_title = "Gradients"
    overview = "row"
    export_name = "gradients"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Gradient magnitudes", parent)
        self._order: list[str] = []
        self._labels: dict[str, str] = {}
        self._output: str | None = None
        self._latest: dict[str, float] = {}
        self._step = 0
        self._flags: dict[str, Flag] = {}
        #: the run's trends, which confirm a flag as the advisor's findings do
        self._trends = RunTrends(None)
        self._previous: tuple[str, dict[str, float]] | None = None
        self._history = History(HISTORY_CAPACITY)
        self._structure: list[str] = []
        self._bar_labels: list[str] | None = None

        self.low_spin = self._threshold_spin(round(math.log10(DEFAULT_LOW)), -12, 0,
                                             "Flag a layer as vanishing when its gradient norm is below this "
                                             "multiple of the output layer's")
        self.high_spin = self._threshold_spin(round(math.log10(DEFAULT_HIGH)), 0, 12,
                                              "Flag a layer as exploding when its gradient norm is above this "
                                              "multiple of the output layer's")
        self.add_tool(labelled("vanishing <", self.low_spin))
        self.add_tool(labelled("exploding >", self.high_spin))

        self.time_plot = pg.PlotItem(viewBox=StickyViewBox(),
                                     axisItems={"left": DecadeAxis("left"), "bottom": RoomyAxis("bottom")})
        self.time_plot.setLabel("left", "gradient norm")
        self.time_plot.setLabel("bottom", "step")
        self.time_plot.setClipToView(True)
        self.time_plot.setDownsampling(auto=True, mode="peak")
        self.time_plot.setMinimumHeight(TIME_PLOT_HEIGHT)
        # beside the curves, as wide as its labels: the curves get the rest of the row
        self.legend = LayoutLegend(labelTextSize="8pt", verSpacing=-8)
        self.bar_plot = pg.PlotItem(axisItems={"bottom": DecadeAxis("bottom")})
        self.bar_plot.setLabel("bottom", "latest gradient L2 norm")
        self.bar_plot.getViewBox().invertY(True)
        self.bar_plot.getViewBox().setMouseEnabled(False, False)
        self.bar_plot.hideButtons()
        self.bar_plot.showGrid(x=True, y=False)
        # every node's name, however many: the rows are tall enough for them (ROW_HEIGHT)
        self.bar_plot.getAxis("left").setStyle(textFillLimits=[(0, 1.0)])
        self.graphics.addItem(self.time_plot, row=0, col=0)
        self.graphics.addItem(self.legend, row=0, col=1)
        self.graphics.ci.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)
        self.bar_title = Caption("")
        self.graphics.addItem(self.bar_title, row=1, col=0, colspan=2)
        self.graphics.addItem(self.bar_plot, row=2, col=0, colspan=2)
        layout = self.graphics.ci.layout
        layout.setRowStretchFactor(0, 2)
        layout.setRowStretchFactor(2, 3)
        layout.setColumnStretchFactor(0, 1)
        layout.setColumnStretchFactor(1, 0)
        # many layers make the bar plot taller than the dock: the canvas scrolls
        self.body.removeWidget(self.graphics)
        self.scroll = scrolling(self.graphics, horizontal=False)
        self.body.addWidget(self.scroll, 1)
        self._rows = -1
        self._bar_span = (-6.0, 0.0)
        self._flag_font = QFont()
        self._flag_font.setPointSizeF(FLAG_POINT_SIZE)

        self._curves: dict[str, pg.PlotDataItem] = {}
        self.bars = pg.BarGraphItem(x0=[0], y=[0], height=BAR_HEIGHT, width=[0])
        self.previous_bars = pg.BarGraphItem(x0=[0], y=[0], height=BAR_HEIGHT, width=[0])
        self.previous_bars.setZValue(1)
        self._limits = [pg.InfiniteLine(angle=90, movable=False, label=text,
                                        labelOpts={"position": 0.01, "anchors": [(0.5, 0), (0.5, 0)]})
                        for text in ("vanishing", "exploding")]
        for item in (self.bars, self.previous_bars, *self._limits):
            self.bar_plot.addItem(item)
        for line in self._limits:
            line.setZValue(-1)
        self._flag_texts: list[pg.TextItem] = []
        #: the bar title's text apart from the step, and when it was last written
        self._title_kind: tuple[str, str | None, str] | None = None
        self._title_at = 0.0
        self.follow(self.bar_plot.getViewBox().sigResized, self._fit_bar_range)
        self._fit_rows(0)
        self._apply_theme()

    def _threshold_spin(self, value: int, lo: int, hi: int, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setValue(value)
        spin.setPrefix("×1e")
        spin.setToolTip(tip)
        spin.valueChanged.connect(self._on_thresholds)
        return spin

    # ------------------------------------------------------------------ feeding
    def set_node_order(self, order: list[str], labels: Mapping[str, str] | None = None,
                       output: str | None = None) -> None:
        """Nodes input -> output (topological order), their display labels, and the node whose
        norm is the reference for flags (default: the last node of ``order`` that reports a norm,
        which is the Output node)."""
        self._order = list(order)
        self._labels = dict(labels or {})
        self._output = output
        self._update_flags()
        self.schedule()

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        if previous is not None:
            self.keep_as_previous(previous)
        self.clear()
        self.set_node_order(info.node_order, info.labels)

    def on_reports(self, reports: Sequence[Report]) -> None:
        self.add_reports(list(reports))

    def add_report(self, report: Report) -> None:
        """Take one report's gradient norms: cheap (buffers and flags; drawing is throttled)."""
        self.add_reports([report])

    @Slot(list)
    def add_reports(self, reports: list[Report]) -> None:
        """Take a batch of reports (what the training session delivers); flags are judged on
        the newest."""
        taken = [r for r in reports if r.grad_norm]
        for report in reports:
            self._trends.add(report)
        for report in taken:
            self._history.add_mapping(report.step, {k: _log10(v) for k, v in report.grad_norm.items()})
        if not taken:
            return
        self._latest = dict(taken[-1].grad_norm)
        self._step = taken[-1].step
        self._update_flags()
        self.schedule()

    def set_thresholds(self, low: float, high: float) -> None:
        """Flag below ``low`` x and above ``high`` x the output's norm (rounded to decades, as
        the spin boxes show them)."""
        self.low_spin.setValue(round(math.log10(low)))
        self.high_spin.setValue(round(math.log10(high)))

    def thresholds(self) -> tuple[float, float]:
        """(low, high) multiples of the output layer's gradient norm."""
        return 10.0 ** self.low_spin.value(), 10.0 ** self.high_spin.value()

    def latest(self) -> dict[str, float]:
        """The latest gradient norm of each node, as shown in the bars (input -> output)."""
        return {node: self._latest[node] for node in self._nodes()}

    def flags(self) -> dict[str, Flag]:
        """Nodes flagged "vanishing" or "exploding" by the latest norms and current thresholds."""
        return dict(self._flags)

    def clear(self) -> None:
        """Forget the current run (a kept previous profile stays)."""
        self._latest = {}
        self._step = 0
        self._trends = RunTrends(None)
        self._history.clear()
        self._update_flags()
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        """Forget the current run and the previous profile."""
        self._previous = None
        self.clear()
        self.time_plot.getViewBox().start_afresh()

    def keep_as_previous(self, label: str | None = None) -> None:
        """Keep the current final profile as a dashed outline (for example "sigmoid") under the
        next run's bars, and start empty. Nothing happens if there is no data."""
        if not self._latest:
            return
        self._previous = (label or "previous run", dict(self._latest))
        self.clear()

    def previous_label(self) -> str | None:
        return self._previous[0] if self._previous else None

    # ------------------------------------------------------------------ derived state
    def _nodes(self) -> list[str]:
        """Nodes with a norm, input -> output."""
        known = [n for n in self._order if n in self._latest]
        return known + [n for n in self._latest if n not in set(self._order)]

    def _reference(self) -> str | None:
        if self._output is not None:
            return self._output if self._output in self._latest else None
        nodes = self._nodes()
        return nodes[-1] if nodes else None

    def _label(self, node: str) -> str:
        return self._labels.get(node, node)

    def _update_flags(self) -> None:
        low, high = self.thresholds()
        flags = (gradient_flags(self._latest, self._nodes(), low, high, self._reference(), self._trends)
                 if self._latest else {})
        if flags != self._flags:
            self._flags = flags
            self.flagsChanged.emit(dict(flags))

    @Slot(int)
    def _on_thresholds(self, _value: int) -> None:
        if self.low_spin.value() > self.high_spin.value():
            self.high_spin.setValue(self.low_spin.value())
        self._update_flags()
        self.schedule()

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        nodes = self._nodes()
        curve_nodes = [n for n in self._order if n in self._history] + [
            n for n in self._history.names() if n not in set(self._order)]
        if curve_nodes != self._structure:
            self._rebuild(curve_nodes)
        for node, curve in self._curves.items():
            d = self._history[node].data()
            curve.setData(d.x, d.mean)
        self._draw_bars(nodes)

    def _rebuild(self, nodes: list[str]) -> None:
        """New or reordered nodes: one curve and one flag label per node, legend in order."""
        self._structure = nodes
        for node in [n for n in self._curves if n not in nodes]:
            self.time_plot.removeItem(self._curves.pop(node))
        for node in nodes:
            if node not in self._curves:
                self._curves[node] = self.time_plot.plot(skipFiniteCheck=True)
        self.legend.clear()
        for node in nodes:
            self.legend.addItem(self._curves[node], self._label(node))
        self._color_curves()

    def _color_curves(self) -> None:
        n = len(self._structure)
        for i, node in enumerate(self._structure):
            self._curves[node].setPen(pg.mkPen(self.colors.depth(i / max(n - 1, 1)), width=1))

    def _draw_bars(self, nodes: list[str]) -> None:
        c = self.colors
        logs = np.array([_log10(self._latest[n]) for n in nodes], dtype=float)
        prev_logs = np.array([_log10(self._previous[1].get(n, math.nan)) for n in nodes], dtype=float) \
            if self._previous else np.empty(0)
        reference = self._reference()
        ref_log = _log10(self._latest[reference]) if reference else math.nan
        low, high = self.thresholds()
        limits = [ref_log + math.log10(low), ref_log + math.log10(high)] if math.isfinite(ref_log) else []
        finite = [v for v in (*logs, *prev_logs, *limits) if math.isfinite(v)]
        lo = math.floor(min(finite)) - 0.5 if finite else -6.0
        hi = math.ceil(max(finite)) + 0.5 if finite else 0.0

        def clip(values: np.ndarray) -> np.ndarray:
            return np.clip(np.nan_to_num(values, nan=lo, posinf=hi, neginf=lo), lo, hi)

        ys = np.arange(len(nodes), dtype=float)
        while len(self._flag_texts) < len(nodes):
            text = pg.TextItem(anchor=(0, 0.5))
            text.setFont(self._flag_font)
            text.textItem.document().setDocumentMargin(0)  # as tall as its line, not 8 px more
            self._flag_texts.append(text)
            self.bar_plot.addItem(text)
        brushes = []
        for i, node in enumerate(nodes):
            flag = self._flags.get(node)
            if flag is None:
                brushes.append(pg.mkBrush(self.colors.depth(i / max(len(nodes) - 1, 1))))
            else:
                brushes.append(pg.mkBrush(c.error if flag == EXPLODING else c.warning))
        self.bars.setVisible(bool(nodes))
        if nodes:  # pyqtgraph's BarGraphItem cannot take empty pen lists
            self.bars.setOpts(x0=np.full(len(nodes), lo), y=ys, width=clip(logs) - lo, height=BAR_HEIGHT,
                              brushes=brushes, pens=[pg.mkPen(faded(c.foreground, 0.25))] * len(nodes))
        shown = bool(self._previous) and bool(nodes)
        self.previous_bars.setVisible(shown)
        if shown:
            self.previous_bars.setOpts(x0=np.full(len(nodes), lo), y=ys, width=clip(prev_logs) - lo,
                                       height=BAR_HEIGHT + 0.15)
        for line, value in zip(self._limits, limits or [math.nan, math.nan]):
            line.setVisible(math.isfinite(value))
            # moving a line re-lays it out (0.4 ms): not for a change no one could see
            if math.isfinite(value) and abs(line.value() - value) > LINE_STEP:
                line.setValue(value)
        for i, text in enumerate(self._flag_texts):
            flag = self._flags.get(nodes[i]) if i < len(nodes) else None
            text.setVisible(flag is not None)
            if flag is not None:
                if text.toPlainText() != f" {flag}":
                    text.setText(f" {flag}")
                    text.setColor(c.error if flag == EXPLODING else c.warning)
                # in a column right of the bars: never over a bar, an outline or another flag
                text.setPos(hi, float(i))
        labels = [self._label(n) for n in nodes]
        if labels != self._bar_labels:  # new ticks re-lay out the axis: only when they change
            self._bar_labels = labels
            axis = self.bar_plot.getAxis("left")
            axis.setTicks([list(enumerate(labels))])
            # wide enough for the labels now (the axis only grows by itself after a paint)
            metrics = QFontMetrics(axis.style["tickFont"] or QFont())
            axis.setWidth(max((metrics.horizontalAdvance(t) for t in labels), default=20) + 14)
        self._bar_span = (lo, hi)
        self._fit_bar_range()
        if len(nodes) != self._rows:
            self._fit_rows(len(nodes))
        self._write_bar_title(bool(nodes))

    def _write_bar_title(self, any_nodes: bool) -> None:
        """"latest, step N": the step is brought up to date a few times a second, not at every
        frame (each new text is laid out as HTML again)."""
        now = time.monotonic()
        title = f"latest, step {self._step:,}" if any_nodes else "no gradients yet"
        if self._previous:
            title += f"  ·  dashed: {self._previous[0]}"
        fresh = (title.split(",")[0], self._previous[0] if self._previous else None, self.colors.hex())
        if fresh == self._title_kind and now - self._title_at < TITLE_INTERVAL:
            return
        self._title_kind, self._title_at = fresh, now
        self.bar_title.setText(title, size="9pt", color=self.colors.hex())

    def _flag_width(self) -> float:
        """Pixels the flag column needs ("exploding" is the longest flag)."""
        return QFontMetrics(self._flag_font).horizontalAdvance(f" {EXPLODING} ") + 10

    @Slot()
    def _fit_bar_range(self) -> None:
        """The bars' decades, and right of them a column as wide as the flags in pixels when
        any node is flagged (its width in decades depends on the plot's width)."""
        lo, hi = self._bar_span
        right = hi
        if self._flags:
            box = self.bar_plot.getViewBox().width()
            flag = self._flag_width()
            right = hi + (hi - lo) * (flag / (box - flag) if box > 2 * flag else 0.3)
        self.bar_plot.setXRange(lo, right, padding=0)

    def _fit_rows(self, rows: int) -> None:
        """At least ROW_HEIGHT pixels per bar (and room above the first for the threshold
        labels): the bar plot, and the canvas, grow with the number of nodes."""
        self._rows = rows
        count = max(rows, 1)
        self.bar_plot.setYRange(-TOP_ROWS, count - 0.4, padding=0)
        axis_height = self.bar_plot.getAxis("bottom").height() or 40.0
        self.bar_plot.setMinimumHeight((count + TOP_ROWS - 0.4) * ROW_HEIGHT + axis_height)
        layout = self.graphics.ci.layout
        layout.invalidate()
        needed = layout.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()
        _left, top, _right, bottom = self.graphics.ci.layout.getContentsMargins()
        self.graphics.setMinimumHeight(int(needed + top + bottom) + 2)

    def _apply_theme(self) -> None:
        c = self.colors
        style_plot(self.time_plot, c)
        style_plot(self.bar_plot, c, grid=False)
        self.bar_plot.showGrid(x=True, y=False, alpha=c.grid.alphaF())
        style_legend(self.legend, c)
        self.previous_bars.setOpts(brush=None, pen=pg.mkPen(c.foreground, width=1.5, style=Qt.PenStyle.DashLine))
        for line, color in zip(self._limits, (c.warning, c.error)):
            line.setPen(pg.mkPen(faded(color, 0.8), width=1, style=Qt.PenStyle.DashLine))
            line.label.setColor(color)
        for text in self._flag_texts:  # recoloured by the next redraw
            text.setText("")
        self._color_curves()

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """Latest (and previous) profile rows, then every kept point of every node's curve."""
        header = ["kind", "node", "label", "step", "grad_norm", "min", "max", "flag"]
        rows: list[list[Cell]] = [["latest", n, self._label(n), self._step, v, None, None, self._flags.get(n, "")]
                                  for n, v in self.latest().items()]
        if self._previous:
            rows += [[f"previous: {self._previous[0]}", n, self._label(n), None, v, None, None, ""]
                     for n, v in self._previous[1].items()]
        for node in self._history.names():
            d = self._history[node].data()
            rows += [["history", node, self._label(node), float(x), 10.0 ** m, 10.0 ** lo, 10.0 ** hi, ""]
                     for x, m, lo, hi in zip(d.x, d.mean, d.min, d.max)]
        return header, rows
