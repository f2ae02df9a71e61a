"""Histograms of each node's activations and weights, with the statistics the lectures use.

Small multiples, one row per node from input to output: the activation histogram on the
left, the weight histogram on the right. A saturating network shows up as activations
piled at 0 and 1 (sigmoid) or ±1 (tanh) with a high "saturated" share; a ReLU network with
a bad initialisation or learning rate as a high "dead" share. The shares are shown in the
warning colour from ``WARN_SHARE`` on. Rows scroll when there are many nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QWidget

from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import RunInfo
from playground.ui.plots.ranges import sticky_range
from playground.ui.plots.style import Caption, faded, style_axis
from playground.ui.scrolling import scrolling

if TYPE_CHECKING:
    from playground.core.probes import ActivationStats, Histogram, WeightStats
    from playground.core.training import Report

#: Height of one node's row, in pixels: room for a title, a histogram and tick labels.
ROW_HEIGHT = 118
PLACEHOLDER = "No measurements yet: they arrive while training."
#: Rows made per redraw when the nodes change (each costs ~10 ms of GUI-thread time).
ROWS_PER_FRAME = 2
#: Saturated or dead shares from this value on are shown in the warning colour.
WARN_SHARE = 0.5
#: Node names left of the rows: as wide as the longest name needs, within these bounds (pixels
#: and share of the canvas' width); a longer name is shortened with "…" (whole in its tooltip).
LABEL_MIN_WIDTH = 84
LABEL_MAX_WIDTH = 180
LABEL_MAX_SHARE = 0.3
LABEL_POINT_SIZE = 9.0
#: Pixels around a name in its column: the text item's margins and a little air.
LABEL_PAD = 14


@dataclass
class _Row:
    """The items of one node's row."""

    label: pg.LabelItem
    act_caption: Caption
    weight_caption: Caption
    act_plot: _Histogram
    weight_plot: _Histogram

    @property
    def act_curve(self) -> pg.PlotDataItem:
        return self.act_plot.curve

    @property
    def weight_curve(self) -> pg.PlotDataItem:
        return self.weight_plot.curve


@dataclass
class _Histogram:
    """One histogram: a bare view box with a bottom axis (a full PlotItem per histogram costs
    ~15 ms each to build, which froze the window for half a second when a run started), the
    step curve and the mean line."""

    box: pg.ViewBox
    axis: pg.AxisItem
    curve: pg.PlotDataItem
    mean: pg.InfiniteLine
    ranged: bool = False

    @classmethod
    def create(cls) -> _Histogram:
        box = pg.ViewBox(enableMenu=False)
        box.setMouseEnabled(False, False)
        axis = pg.AxisItem("bottom", linkView=box)
        curve = pg.PlotDataItem(stepMode="center", fillLevel=0, skipFiniteCheck=True)
        mean = pg.InfiniteLine(angle=90, movable=False)
        box.addItem(curve)
        box.addItem(mean)
        return cls(box, axis, curve, mean)

    def show(self, histogram: Histogram | None, mean: float | None) -> None:
        """Draw ``histogram`` as shares of its values, or nothing. Ranges move in steps
        (``sticky_range``), so most redraws leave the axis as it was."""
        self.axis.setVisible(histogram is not None)
        if histogram is None:
            self.curve.setData([], [])
            self.mean.hide()
            self.ranged = False
            return
        counts = np.asarray(histogram.counts, dtype=float)
        shares = 100.0 * counts / max(counts.sum(), 1.0)
        edges = histogram.edges
        self.curve.setData(edges, shares, stepMode="center")
        self.mean.setVisible(mean is not None)
        if mean is not None:
            self.mean.setValue(mean)
        (x0, x1), (_, y1) = self.box.viewRange()
        pad = 0.02 * float(edges[-1] - edges[0])
        x_range = sticky_range((x0, x1) if self.ranged else None, float(edges[0]) - pad, float(edges[-1]) + pad)
        y_range = sticky_range((0.0, y1) if self.ranged else None, 0.0, float(shares.max()) * 1.1 or 1.0)
        self.box.setRange(xRange=x_range, yRange=y_range, padding=0)
        self.ranged = True


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


class ActivationView(PlotView):
    """Per-node activation and weight histograms with mean, std, saturated and dead shares.

    Fed by ``add_report`` (reports without probe results are skipped) or directly by
    ``set_stats``; ``set_node_order`` gives the row order and labels.
    """

    dock_id = "activations"
    dock_title = "Activations"
    export_name = "activations"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Activations and weights", parent)
        self._order: list[str] = []
        self._labels: dict[str, str] = {}
        self._activations: dict[str, ActivationStats] = {}
        self._weights: dict[str, WeightStats] = {}
        self._step: int | None = None
        self._rows: dict[str, _Row] = {}
        self._structure: list[str] = []

        self._label_font = QFont()
        self._label_font.setPointSizeF(LABEL_POINT_SIZE)
        self._label_font.setBold(True)
        self._label_width = float(LABEL_MIN_WIDTH)
        self.body.removeWidget(self.graphics)
        self.scroll = scrolling(self.graphics)
        self.body.addWidget(self.scroll, 1)
        self.placeholder = Caption(PLACEHOLDER)
        self.graphics.addItem(self.placeholder, row=0, col=0)
        self._apply_theme()

    # ------------------------------------------------------------------ feeding
    def set_node_order(self, order: list[str], labels: Mapping[str, str] | None = None) -> None:
        """Rows in this order (input -> output), labelled with ``labels`` (default: node ids)."""
        self._order = list(order)
        self._labels = dict(labels or {})
        self._structure = []  # labels may have changed: rebuild
        self.schedule()

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        super().on_run_started(info, previous)
        self.set_node_order(info.node_order, info.labels)

    def on_reports(self, reports: Sequence[Report]) -> None:
        self.add_reports(list(reports))

    def add_report(self, report: Report) -> None:
        """Take the report's probe results, if it has any (most reports do not)."""
        if report.activations is None and report.weights is None:
            return
        self.set_stats(report.activations or {}, report.weights or {}, report.step)

    @Slot(list)
    def add_reports(self, reports: list[Report]) -> None:
        """Take a batch of reports: only the newest one with probe results matters."""
        for report in reversed(reports):
            if report.activations is not None or report.weights is not None:
                self.add_report(report)
                return

    def set_stats(self, activations: Mapping[str, ActivationStats], weights: Mapping[str, WeightStats],
                  step: int | None = None) -> None:
        """Show these measurements (replacing the previous ones)."""
        self._activations = dict(activations)
        self._weights = dict(weights)
        self._step = step
        self.schedule()

    def clear(self) -> None:
        self._activations = {}
        self._weights = {}
        self._step = None
        self._dirty = True
        self.flush()

    # ------------------------------------------------------------------ drawing
    def _nodes(self) -> list[str]:
        measured = set(self._activations) | set(self._weights)
        known = [n for n in self._order if n in measured]
        return known + sorted(measured - set(known))

    def _redraw(self) -> None:
        nodes = self._nodes()
        if nodes != self._structure:
            self._rebuild(nodes)
        self._build_rows()
        for node, row in self._rows.items():
            self._draw_activation(row, self._activations.get(node))
            self._draw_weights(row, self._weights.get(node))
        self.title_label.setText("Activations and weights" if self._step is None
                                 else f"Activations and weights · step {self._step:,}")
        if len(self._rows) < len(self._structure):
            self.schedule()  # the next rows in the next frame

    def flush(self) -> None:
        """Draw now, every row (the rows are otherwise built a few per frame)."""
        super().flush()
        while len(self._rows) < len(self._structure):
            super().flush()

    def _rebuild(self, nodes: list[str]) -> None:
        """A different set of nodes: the rows are made again, ``ROWS_PER_FRAME`` per redraw."""
        self._structure = nodes
        self.graphics.clear()
        self._rows = {}
        if not nodes:
            self.graphics.addItem(self.placeholder, row=0, col=0)
        layout = self.graphics.ci.layout
        for col in (1, 2):
            layout.setColumnStretchFactor(col, 1)
        self.graphics.setMinimumHeight(max(1, len(nodes)) * ROW_HEIGHT)
        self._label_width = self._fitting_label_width()

    def _build_rows(self) -> None:
        """Make the next few missing rows (the only place items are made): a row costs ~10 ms
        of GUI-thread time, so a deep network's rows are spread over several frames."""
        for i, node in enumerate(self._structure[len(self._rows):len(self._rows) + ROWS_PER_FRAME], len(self._rows)):
            label = pg.LabelItem("", justify="center")
            act_caption, weight_caption = Caption(""), Caption("")
            act_plot, weight_plot = _Histogram.create(), _Histogram.create()
            self.graphics.addItem(label, row=3 * i, col=0, rowspan=3)
            self.graphics.addItem(act_caption, row=3 * i, col=1)
            self.graphics.addItem(weight_caption, row=3 * i, col=2)
            for col, histogram in ((1, act_plot), (2, weight_plot)):
                self.graphics.addItem(histogram.box, row=3 * i + 1, col=col)
                self.graphics.addItem(histogram.axis, row=3 * i + 2, col=col)
            self._rows[node] = row = _Row(label, act_caption, weight_caption, act_plot, weight_plot)
            self._style_row(node, row)

    def _draw_activation(self, row: _Row, stats: ActivationStats | None) -> None:
        c = self.colors
        row.act_plot.show(stats.histogram if stats else None, stats.mean if stats else None)
        if stats is None:
            row.act_caption.setText("activations: not measured", size="8pt", color=c.hex(c.dim))
            return
        parts = [f"mean {stats.mean:.3g}", f"std {stats.std:.3g}"]
        for name, share in (("saturated", stats.saturated), ("dead", stats.dead)):
            if share is not None:
                color = c.warning if share >= WARN_SHARE else c.foreground
                parts.append(f"<span style='color:{color.name()}'>{name} <b>{_percent(share)}</b></span>")
        row.act_caption.setText("activations · " + " · ".join(parts), size="8pt", color=c.hex())

    def _draw_weights(self, row: _Row, stats: WeightStats | None) -> None:
        c = self.colors
        row.weight_plot.show(stats.histogram if stats else None, stats.mean if stats else None)
        text = f"weights · std {stats.std:.3g} · max |w| {stats.max_abs:.3g}" if stats else "no weights"
        row.weight_caption.setText(text, size="8pt", color=c.hex() if stats else c.hex(c.dim))

    def _apply_theme(self) -> None:
        c = self.colors
        self.placeholder.setText(PLACEHOLDER, color=c.hex(c.dim))
        for node, row in self._rows.items():
            self._style_row(node, row)

    def _fitting_label_width(self) -> float:
        """The name column's width: the longest name's, within the bounds."""
        metrics = QFontMetricsF(self._label_font)
        need = max((metrics.horizontalAdvance(self._labels.get(n, n)) for n in self._structure), default=0.0)
        cap = min(LABEL_MAX_WIDTH, max(LABEL_MIN_WIDTH, LABEL_MAX_SHARE * self.graphics.width()))
        return float(round(min(max(need + LABEL_PAD, LABEL_MIN_WIDTH), cap)))

    def _canvas_resized(self) -> None:
        width = self._fitting_label_width()
        if width != self._label_width:
            self._label_width = width
            for node, row in self._rows.items():
                self._name_row(node, row)

    def _name_row(self, node: str, row: _Row) -> None:
        """The node's name in the column's width, shortened with "…" when it is too long."""
        name = self._labels.get(node, node)
        shown = QFontMetricsF(self._label_font).elidedText(name, Qt.TextElideMode.ElideRight,
                                                           self._label_width - LABEL_PAD)
        row.label.setText(escape(shown, quote=False), color=self.colors.hex(), bold=True,
                          size=f"{LABEL_POINT_SIZE:g}pt")
        row.label.setToolTip(name if shown != name else "")
        row.label.setFixedWidth(self._label_width)

    def _style_row(self, node: str, row: _Row) -> None:
        c = self.colors
        self._name_row(node, row)
        for histogram, color in ((row.act_plot, c.series(0)), (row.weight_plot, c.series(2))):
            style_axis(histogram.axis, c)
            histogram.curve.setPen(pg.mkPen(color, width=1.2))
            histogram.curve.setBrush(pg.mkBrush(faded(color, 0.35)))
            histogram.mean.setPen(pg.mkPen(c.foreground, width=1, style=Qt.PenStyle.DashLine))

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """One row per histogram bin, with the node's statistics repeated on each."""
        header = ["node", "label", "kind", "step", "mean", "std", "saturated", "dead", "max_abs",
                  "bin_lo", "bin_hi", "count"]
        rows: list[list[Cell]] = []
        for node in self._nodes():
            label = self._labels.get(node, node)
            a = self._activations.get(node)
            if a is not None:
                edges = a.histogram.edges
                rows += [[node, label, "activation", self._step, a.mean, a.std, a.saturated, a.dead, None,
                          float(edges[i]), float(edges[i + 1]), int(n)] for i, n in enumerate(a.histogram.counts)]
            w = self._weights.get(node)
            if w is not None:
                edges = w.histogram.edges
                rows += [[node, label, "weight", self._step, w.mean, w.std, None, None, w.max_abs,
                          float(edges[i]), float(edges[i + 1]), int(n)] for i, n in enumerate(w.histogram.counts)]
        return header, rows
