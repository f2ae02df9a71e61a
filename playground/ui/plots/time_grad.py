"""Gradient through time: backpropagation through time made visible.

For each recurrent node, the norm of the loss gradient reaching its hidden state at every time
step (``Report.time_grad``, measured by ``core.sequence_probe.time_gradients`` at the probes'
cadence), on a log axis: a plain RNN's line falls by orders of magnitude towards the first
steps, which is why it cannot learn what they hold, where an LSTM's stays up. "Keep" pins the
current lines as faint dashed ones, labelled with node, kind and run, so a student can train
the RNN, keep it, switch the layer to an LSTM, train again and see both on one picture. Kept
lines stay through new runs (an edited network too) until "Clear kept", Reset Weights or
another project.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QCheckBox, QPushButton, QWidget

from playground.core.layers import RECURRENT_TYPES
from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import RunInfo, describe_input
from playground.ui.plots.style import Caption, DecadeAxis, LayoutLegend, decade_label, faded, style_legend, style_plot

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.graph import Graph
    from playground.core.training import Report

LINE_WIDTH = 2.5
KEPT_WIDTH = 1.8
KEPT_ALPHA = 0.55
#: Kept lines take the categorical colours from here on, so they differ from the current ones.
KEPT_FIRST_COLOUR = 3
#: Lines kept at most (the oldest goes first): more no longer read apart.
MAX_KEPT = 6
#: Decades a zero gradient (a step cut off by truncated BPTT) is drawn below the smallest one.
ZERO_DECADES = 1.0
#: A first-to-last ratio above this reads as a number (0.3×), below it as a power of ten (10⁻⁹).
SHOWN_AS_NUMBER = 0.01
PLACEHOLDER = ("Train the network (F5): the gradient reaching each time step of the recurrent layers appears "
               "here, measured as the run goes and at every epoch's end.")


def recurrent_ids(graph: Graph, types: tuple[str, ...] = RECURRENT_TYPES) -> list[str]:
    """The graph's nodes of the recurrent ``types`` (by default RNN, LSTM, GRU), in the graph's order."""
    return [node.id for node in graph.nodes.values() if node.type in types]


def needs_sequences(meta: DatasetMeta, what: str) -> str | None:
    """Why a view about steps through time (``what`` it shows) has nothing for non-sequence data."""
    if meta.is_sequence:
        return None
    return (f"It shows {what}, for sequence datasets (such as 'memory' or 'text'); this dataset has "
            f"{describe_input(meta)}.")


def needs_recurrent(graph: Graph, layers: str, what: str, types: tuple[str, ...] = RECURRENT_TYPES) -> str | None:
    """Why a view about recurrent layers of ``types`` has nothing for a network without one: add
    ``layers`` to see ``what`` (a plain RNN, which has no gates, is named as such)."""
    if recurrent_ids(graph, types):
        return None
    if recurrent_ids(graph):
        return (f"A plain RNN has no gates: its state is rewritten at every step, which is why it forgets. Make it "
                f"{layers} (the Advisor's fix, or Compare Runs on its kind) to see {what}.")
    return f"This network has no recurrent layer: add {layers} (the Recurrent group of the palette) to see {what}."


@dataclass(frozen=True)
class Kept:
    """A pinned line: its legend label, colour index and norms per step."""

    label: str
    colour: int
    norms: tuple[float, ...]


def log_norms(norms: Sequence[float], floor: float) -> np.ndarray:
    """log10 of gradient norms, zeros (and NaN) at ``floor``, infinities at 300 (off the axes)."""
    values = np.asarray(norms, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(np.where(values > 0, values, np.nan))
    logs = np.where(np.isposinf(values), 300.0, logs)
    return np.where(np.isfinite(logs), logs, floor)


def relative_to_last(norms: Sequence[float]) -> list[float]:
    """Each step's norm as a share of the last step's (unchanged when the last is not a positive
    number): lines of runs whose losses differ in size compare by their shape alone."""
    last = norms[-1] if norms else 0.0
    return [v / last for v in norms] if last > 0 and math.isfinite(last) else list(norms)


class TimeGradView(PlotView):
    """One line per recurrent node: gradient norm (log) against time step, from the newest report
    that carries ``time_grad``; kept lines from earlier runs as faint dashed ones.

    Feeding: ``on_reports`` (or ``add_reports``); ``set_labels`` names the nodes; ``keep()`` pins
    the current lines, ``clear_kept()`` drops the pins."""

    dock_id = "time_grad"
    dock_title = "Gradient through time"
    export_name = "gradient_through_time"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Gradient through time", parent)
        self._labels: dict[str, str] = {}
        self._norms: dict[str, list[float]] = {}
        self._step = 0
        self._run = ""
        self._runs = 0
        self._kept: list[Kept] = []

        self.keep_button = QPushButton("Keep")
        self.keep_button.setToolTip("Pin the current lines (faint, dashed) so that the next run, say with an LSTM "
                                    "instead of the RNN, is drawn over them")
        self.clear_button = QPushButton("Clear kept")
        self.clear_button.setToolTip("Remove the pinned lines")
        self.relative_box = QCheckBox("÷ last step")
        self.relative_box.setToolTip("Draw every line as a share of its own last step, so that runs compare by how "
                                     "fast their gradient fades, not by how large their loss is\n(a network that has "
                                     "learnt its task has a small loss and small gradients everywhere)")
        self.relative_box.toggled.connect(self._on_relative)
        self.add_tool(self.relative_box)
        self.keep_button.clicked.connect(self.keep)
        self.clear_button.clicked.connect(self.clear_kept)
        self.add_tool(self.keep_button)
        self.add_tool(self.clear_button)

        self.caption = Caption(PLACEHOLDER)
        self.plot = pg.PlotItem(axisItems={"left": DecadeAxis("left")})
        self.plot.setLabel("left", "gradient norm at h_t")
        self.plot.setLabel("bottom", "time step t (0: first input)")
        self.plot.setMouseEnabled(False, False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setToolTip("How much of the loss gradient reaches the hidden state at each step, backwards through "
                             "time from the last.\nA line falling towards step 0 (orders of magnitude on this log "
                             "axis) means the first steps barely learn: the vanishing gradient of a plain RNN.\nAn "
                             "LSTM's gated cell keeps it up. Zero (a step cut off by truncated BPTT) is drawn at "
                             "the bottom.")
        self.legend = LayoutLegend(labelTextSize="8pt", horSpacing=6)
        self.graphics.addItem(self.caption, row=0, col=0)
        self.graphics.addItem(self.legend, row=1, col=0)
        self.graphics.ci.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignRight)
        self.graphics.addItem(self.plot, row=2, col=0)
        self.graphics.ci.layout.setRowStretchFactor(2, 1)
        self._curves: list[pg.PlotCurveItem] = []
        self._legend_labels: list[str] | None = None
        self._apply_theme()
        self._update_buttons()
        self.schedule()

    # ------------------------------------------------------------------ feeding
    def set_labels(self, labels: dict[str, str]) -> None:
        """How the legend names each node ("LSTM 'lstm'"; the id where none is given)."""
        self._labels = dict(labels)
        self.schedule()

    def on_reports(self, reports: Sequence[Report]) -> None:
        self.add_reports(reports)

    def add_reports(self, reports: Sequence[Report]) -> None:
        """Take the newest report that measured the gradient through time (most do not)."""
        newest = next((r for r in reversed(reports) if r.time_grad), None)
        if newest is None:
            return
        self._norms = {node: list(values) for node, values in newest.time_grad.items()}
        self._step = newest.step
        self._update_buttons()
        self.schedule()

    def norms(self) -> dict[str, list[float]]:
        """The current lines' norms per node."""
        return {node: list(values) for node, values in self._norms.items()}

    def kept(self) -> list[Kept]:
        return list(self._kept)

    @Slot()
    def keep(self) -> None:
        """Pin the current lines (the oldest pins go beyond MAX_KEPT)."""
        run = f" · {self._run}" if self._run else ""
        for node, values in self._norms.items():
            label = f"{self._labels.get(node, node)}{run}"
            self._kept = [k for k in self._kept if k.label != label]
            self._kept.append(Kept(label, KEPT_FIRST_COLOUR + len(self._kept), tuple(values)))
        self._kept = self._kept[-MAX_KEPT:]
        self._update_buttons()
        self.schedule()

    @Slot(bool)
    def _on_relative(self, _relative: bool) -> None:
        self.schedule()

    @Slot()
    def clear_kept(self) -> None:
        self._kept = []
        self._update_buttons()
        self.schedule()

    def _update_buttons(self) -> None:
        self.keep_button.setEnabled(bool(self._norms))
        self.clear_button.setEnabled(bool(self._kept))

    # ------------------------------------------------------------------ live-view protocol
    def not_applicable(self, meta: DatasetMeta) -> str | None:
        return needs_sequences(meta, "how the loss gradient reaches each time step of a sequence inside a "
                                     "recurrent layer")

    def network_reason(self, graph: Graph) -> str | None:
        return needs_recurrent(graph, "an RNN, LSTM or GRU", "how its gradient travels back through time")

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        self.show_reason(self.run_reason(info))
        self._runs += 1
        self._run = f"run {self._runs}"
        self.set_labels(info.labels)
        self.clear()

    # ------------------------------------------------------------------ state
    def clear(self) -> None:
        """Forget the current lines (the kept ones stay)."""
        self._norms = {}
        self._step = 0
        self._update_buttons()
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        """Another project, or its weights reset: forget the kept lines too, and count runs from
        the start again (as the workspace does)."""
        self._runs = 0
        self._run = ""
        self._kept = []
        self.clear()

    # ------------------------------------------------------------------ drawing
    def _lines(self) -> list[tuple[str, int, bool, Sequence[float]]]:
        """(label, colour index, kept, norms) of every line, current ones first."""
        current = [(self._labels.get(node, node), i, False, values)
                   for i, (node, values) in enumerate(self._norms.items())]
        return current + [(k.label, k.colour, True, k.norms) for k in self._kept]

    def _redraw(self) -> None:
        relative = self.relative_box.isChecked()
        lines = [(label, colour, kept, relative_to_last(values) if relative else values)
                 for label, colour, kept, values in self._lines()]
        self.plot.setLabel("left", "gradient at h_t ÷ at the last step" if relative else "gradient norm at h_t")
        positive = [v for _, _, _, values in lines for v in values if v > 0 and math.isfinite(v)]
        low = math.floor(math.log10(min(positive))) if positive else -6.0
        high = math.ceil(math.log10(max(positive))) if positive else 0.0
        floor = low - ZERO_DECADES if any(v == 0 for _, _, _, values in lines for v in values) else low
        while len(self._curves) < len(lines):
            curve = pg.PlotCurveItem(antialias=True)
            self.plot.addItem(curve)
            self._curves.append(curve)
        c = self.colors
        for curve, (_label, colour, kept, values) in zip(self._curves, lines):
            pen = (pg.mkPen(faded(c.series(colour), KEPT_ALPHA), width=KEPT_WIDTH, style=Qt.PenStyle.DashLine)
                   if kept else pg.mkPen(c.series(colour), width=LINE_WIDTH))
            curve.setPen(pen)
            curve.setZValue(0 if kept else 1)
            curve.setData(np.arange(len(values), dtype=np.float64), log_norms(values, floor))
            curve.setVisible(True)
        for curve in self._curves[len(lines):]:
            curve.setVisible(False)
        steps = max((len(values) for _, _, _, values in lines), default=0)
        self.plot.setXRange(0, max(steps - 1, 1), padding=0.02)
        self.plot.setYRange(floor, max(high, floor + 1), padding=0.05)
        self._fill_legend([label + (" (kept)" if kept else "") for label, _, kept, _ in lines])
        self._write_caption()

    def _fill_legend(self, labels: list[str]) -> None:
        if labels == self._legend_labels:
            return
        self._legend_labels = labels
        self.legend.clear()
        for curve, label in zip(self._curves, labels):
            self.legend.addItem(curve, label)
        style_legend(self.legend, self.colors)
        self.legend.fit_width(self.graphics.width() - 24)

    def _write_caption(self) -> None:
        """What the current lines say, in words: the first step's share of the last step's gradient."""
        c = self.colors
        if not self._norms:
            text = PLACEHOLDER if not self._kept else "Kept lines shown; train to draw the current run over them."
            self.caption.setText(text, color=c.hex(c.dim), size="9pt")
            return
        parts = []
        for node, values in self._norms.items():
            first, last = (values[0], values[-1]) if values else (0.0, 0.0)
            if last > 0 and first > 0 and math.isfinite(first / last):
                ratio = first / last
                share = decade_label(math.log10(ratio)) if ratio < SHOWN_AS_NUMBER else f"{ratio:.2g}×"
                parts.append(f"<b>{self._labels.get(node, node)}</b>: step 0 gets {share} of the last step's gradient")
            else:
                parts.append(f"<b>{self._labels.get(node, node)}</b>: no gradient reaches step 0")
        self.caption.setText(" · ".join(parts) + f" <span style='color:{c.hex(c.dim)}'>(step {self._step:,})</span>",
                             color=c.hex(), size="9pt")

    def _canvas_resized(self) -> None:
        self.legend.fit_width(self.graphics.width() - 24)

    def _apply_theme(self) -> None:
        style_plot(self.plot, self.colors)
        style_legend(self.legend, self.colors)
        self._legend_labels = None

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """One row per line and step: the line's label, whether it is kept, the step, the norm."""
        return ["line", "kept", "step", "gradient_norm"], [
            [label, kept, t, float(v)] for label, _, kept, values in self._lines() for t, v in enumerate(values)]
