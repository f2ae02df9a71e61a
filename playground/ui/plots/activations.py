"""Histograms of each node's activations and weights, with the statistics the lectures use.

Small multiples, one row per node from input to output: the activation histogram on the
left, the weight histogram on the right. A saturating network shows up as activations
piled at 0 and 1 (sigmoid) or ±1 (tanh) with a high "saturated" share; a ReLU network with
a bad initialisation or learning rate as a high "dead" share. The shares are shown in the
warning colour from ``WARN_SHARE`` on. Rows scroll when there are many nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QScrollArea, QWidget

from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.style import Caption, faded, style_plot

if TYPE_CHECKING:
    from playground.core.probes import ActivationStats, Histogram, WeightStats
    from playground.core.training import Report

#: Height of one node's row, in pixels: room for a title, a histogram and tick labels.
ROW_HEIGHT = 118
PLACEHOLDER = "No measurements yet: they arrive while training."
#: Saturated or dead shares from this value on are shown in the warning colour.
WARN_SHARE = 0.5


@dataclass
class _Row:
    """The items of one node's row."""

    label: pg.LabelItem
    act_caption: Caption
    weight_caption: Caption
    act_plot: pg.PlotItem
    act_curve: pg.PlotDataItem
    act_mean: pg.InfiniteLine
    weight_plot: pg.PlotItem
    weight_curve: pg.PlotDataItem
    weight_mean: pg.InfiniteLine


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


class ActivationView(PlotView):
    """Per-node activation and weight histograms with mean, std, saturated and dead shares.

    Fed by ``add_report`` (reports without probe results are skipped) or directly by
    ``set_stats``; ``set_node_order`` gives the row order and labels.
    """

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

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.body.removeWidget(self.graphics)
        self.scroll.setWidget(self.graphics)
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
        for node, row in self._rows.items():
            self._draw_activation(row, self._activations.get(node))
            self._draw_weights(row, self._weights.get(node))
        self.title_label.setText("Activations and weights" if self._step is None
                                 else f"Activations and weights · step {self._step:,}")

    def _rebuild(self, nodes: list[str]) -> None:
        """A different set of nodes: new rows (the only place items are made)."""
        self._structure = nodes
        self.graphics.clear()
        self._rows = {}
        if not nodes:
            self.graphics.addItem(self.placeholder, row=0, col=0)
        for i, node in enumerate(nodes):
            label = pg.LabelItem(self._labels.get(node, node), justify="center")
            label.setFixedWidth(84)
            act_caption, weight_caption = Caption(""), Caption("")
            act_plot, act_curve, act_mean = self._histogram_plot()
            weight_plot, weight_curve, weight_mean = self._histogram_plot()
            self.graphics.addItem(label, row=2 * i, col=0, rowspan=2)
            self.graphics.addItem(act_caption, row=2 * i, col=1)
            self.graphics.addItem(weight_caption, row=2 * i, col=2)
            self.graphics.addItem(act_plot, row=2 * i + 1, col=1)
            self.graphics.addItem(weight_plot, row=2 * i + 1, col=2)
            self._rows[node] = _Row(label, act_caption, weight_caption, act_plot, act_curve, act_mean, weight_plot,
                                    weight_curve, weight_mean)
        layout = self.graphics.ci.layout
        for col in (1, 2):
            layout.setColumnStretchFactor(col, 1)
        self.graphics.setMinimumHeight(max(1, len(nodes)) * ROW_HEIGHT)
        self._apply_theme()

    def _histogram_plot(self) -> tuple[pg.PlotItem, pg.PlotDataItem, pg.InfiniteLine]:
        plot = pg.PlotItem()
        plot.hideAxis("left")
        plot.hideButtons()
        plot.setMouseEnabled(False, False)
        plot.setMenuEnabled(False)
        curve = plot.plot(stepMode="center", fillLevel=0, skipFiniteCheck=True)
        mean = pg.InfiniteLine(angle=90, movable=False)
        plot.addItem(mean)
        return plot, curve, mean

    @staticmethod
    def _draw_histogram(plot: pg.PlotItem, curve: pg.PlotDataItem, mean_line: pg.InfiniteLine,
                        histogram: Histogram | None, mean: float | None) -> None:
        plot.showAxis("bottom", histogram is not None)
        if histogram is None:
            curve.setData([], [])
            mean_line.hide()
            return
        counts = np.asarray(histogram.counts, dtype=float)
        shares = 100.0 * counts / max(counts.sum(), 1.0)
        edges = histogram.edges
        curve.setData(edges, shares, stepMode="center")
        mean_line.setVisible(mean is not None)
        if mean is not None:
            mean_line.setValue(mean)
        plot.setXRange(float(edges[0]), float(edges[-1]), padding=0.02)
        plot.setYRange(0, float(shares.max()) * 1.1 or 1.0, padding=0)

    def _draw_activation(self, row: _Row, stats: ActivationStats | None) -> None:
        c = self.colors
        self._draw_histogram(row.act_plot, row.act_curve, row.act_mean,
                             stats.histogram if stats else None, stats.mean if stats else None)
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
        self._draw_histogram(row.weight_plot, row.weight_curve, row.weight_mean,
                             stats.histogram if stats else None, stats.mean if stats else None)
        text = f"weights · std {stats.std:.3g} · max |w| {stats.max_abs:.3g}" if stats else "no weights"
        row.weight_caption.setText(text, size="8pt", color=c.hex() if stats else c.hex(c.dim))

    def _apply_theme(self) -> None:
        c = self.colors
        self.placeholder.setText(PLACEHOLDER, color=c.hex(c.dim))
        for node, row in self._rows.items():
            row.label.setText(self._labels.get(node, node), color=c.hex(), bold=True, size="9pt")
            for plot, curve, mean, color in ((row.act_plot, row.act_curve, row.act_mean, c.series(0)),
                                             (row.weight_plot, row.weight_curve, row.weight_mean, c.series(2))):
                style_plot(plot, c, grid=False)
                curve.setPen(pg.mkPen(color, width=1.2))
                curve.setBrush(pg.mkBrush(faded(color, 0.35)))
                mean.setPen(pg.mkPen(c.foreground, width=1, style=Qt.PenStyle.DashLine))

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
