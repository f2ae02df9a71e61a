"""Bias or variance: the reference, training, validation and (after the run) test errors side
by side, and the verdict with the lecture's remedies (``playground.core.bias_variance``).

The bars are error rates for classification (100% - accuracy) and losses for regression, where
no reference exists. They follow the epoch-end reports; the test bar appears when the run ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from playground.core.bias_variance import Diagnosis, diagnose_errors, diagnose_losses
from playground.core.shapes import network_reconstructs
from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import RunInfo
from playground.ui.plots.style import Caption, style_plot

if TYPE_CHECKING:
    from playground.core.training import Report, TrainResult

BARS = ("reference", "training", "validation", "test")
#: A canvas shorter than this (pixels) shows the verdict under the chart and the remedies in a
#: tooltip: at 1024x700 the whole text left the chart a line's height.
SHORT_CANVAS = 300
#: Height the chart keeps, whatever the caption needs.
MIN_CHART_HEIGHT = 90


class BiasVarianceView(PlotView):
    """``errors()``: the bars shown, by name; ``diagnosis``: the verdict they give (None before
    the first epoch ends)."""

    dock_id = "bias_variance"
    dock_title = "Bias/variance"
    export_name = "bias_variance"
    overview = "side"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Bias and variance", parent)
        self._classifies = True
        self._reference: float | None = None
        self._errors: dict[str, float] = {}
        self.diagnosis: Diagnosis | None = None
        self._ticks: list[list[tuple[int, str]]] = []
        #: whether the canvas is too short for the remedies under the chart (as last resized)
        self._short = False

        self.caption = Caption("", justify="left")
        self.plot = pg.PlotItem()
        self.plot.setMinimumHeight(MIN_CHART_HEIGHT)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.plot.addItem(self.bars)
        self.graphics.addItem(self.plot, row=0, col=0)
        self.graphics.addItem(self.caption, row=1, col=0)
        self.setToolTip("Training error against a reference (human-level or best known) is the avoidable bias;\n"
                        "validation error against training error is the variance. Work on the larger gap first.")
        self._apply_theme()
        self.schedule()

    def errors(self) -> dict[str, float]:
        return dict(self._errors)

    # ------------------------------------------------------------------ live-view protocol
    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        super().on_run_started(info, previous)
        reconstructs = info.project is not None and network_reconstructs(info.project.graph)
        self._classifies = info.classifies and not reconstructs  # an autoencoder is judged on its loss
        self._reference = info.reference_error if self._classifies else None
        self.clear()

    def on_reports(self, reports: Sequence[Report]) -> None:
        report = next((r for r in reversed(reports) if r.epoch_end), None)
        if report is None or report.train_loss is None or report.val_loss is None:
            return
        if self._classifies:
            if report.train_acc is None or report.val_acc is None:
                return
            self._set("training", 1.0 - report.train_acc)
            self._set("validation", 1.0 - report.val_acc)
        else:
            self._set("training", report.train_loss)
            self._set("validation", report.val_loss)
        self._errors.pop("test", None)
        self._diagnose()

    def on_run_finished(self, result: TrainResult) -> None:
        test = (1.0 - result.test_acc if result.test_acc is not None else None) if self._classifies \
            else result.test_loss
        if test is not None:
            self._set("test", test)
            self.schedule()

    def _set(self, name: str, value: float) -> None:
        self._errors[name] = value
        if self._reference is not None:
            self._errors["reference"] = self._reference

    def _diagnose(self) -> None:
        train, val = self._errors["training"], self._errors["validation"]
        self.diagnosis = (diagnose_errors(train, val, self._reference) if self._classifies
                          else diagnose_losses(train, val))
        self.schedule()

    def clear(self) -> None:
        self._errors = {}
        self.diagnosis = None
        self.schedule()

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        c = self.colors
        shown = [(i, name) for i, name in enumerate(BARS) if name in self._errors]
        scale = 100.0 if self._classifies else 1.0
        brushes = [c.categorical[i % len(c.categorical)] for i, _ in shown]
        self.bars.setOpts(x=[i for i, _ in shown], height=[scale * self._errors[n] for _, n in shown],
                          width=0.6, brushes=brushes, pen=pg.mkPen(None))
        self.plot.setLabel("left", "error (%)" if self._classifies else "loss")
        names = dict(zip(BARS, BARS))
        if self._reference is None:
            names["reference"] = "no reference known" if self._classifies else "no reference"
        ticks = [[(i, names[name]) for i, name in enumerate(BARS)]]
        if ticks != self._ticks:  # new ticks re-lay out the axis: only when they change
            self._ticks = ticks
            self.plot.getAxis("bottom").setTicks(ticks)
        self.plot.setXRange(-0.6, len(BARS) - 0.4, padding=0)
        top = max((scale * v for v in self._errors.values()), default=1.0)
        self.plot.setYRange(0, max(top * 1.15, 1e-6), padding=0)
        d = self.diagnosis
        if d is None:
            self.caption.setText("Shown after the first epoch: training error against the reference, "
                                 "validation error against training error.", color=c.hex(c.dim), size="9pt")
            self.caption.setToolTip("")
            return
        remedies = "".join(f"<br>· {r}" for r in d.remedies)
        # in a short dock the list of remedies would leave the chart no height: it moves to the
        # caption's tooltip, and the verdict stays in view
        short = self._short
        self.caption.setText(f"<b>{d.verdict.capitalize()}</b>: {d.message}{'' if short else remedies}"
                             + ("<br><i>What to try: hover here</i>" if short and remedies else ""),
                             color=c.hex(), size="9pt")
        self.caption.setToolTip(f"<b>What to try</b>{remedies}" if short and remedies else "")

    def _canvas_resized(self) -> None:
        short = self.graphics.height() < SHORT_CANVAS
        if short != self._short:
            self._short = short
            self.schedule()

    def _apply_theme(self) -> None:
        style_plot(self.plot, self.colors)
        self.plot.showGrid(x=False, y=True, alpha=self.colors.grid.alphaF())

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        unit = "error" if self._classifies else "loss"
        return ["split", unit], [[name, self._errors[name]] for name in BARS if name in self._errors]
