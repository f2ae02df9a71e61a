"""The fitted function: for one input and one output, everything the network computes, as a line.

On a curve dataset (one input feature, one regression target) the network's output over a
dense line of inputs is drawn over the training points (filled) and the validation points
(hollow), live while it trains: a student watches one narrow layer bend its line a few times
and give up on the fast wiggles where a few narrow layers follow them. The line of the run
before stays as a faded dashed overlay while the data is the same, so two networks can be
compared on one picture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem, QWidget

from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import PictureRequest, RunInfo, describe_input
from playground.ui.plots.style import LayoutLegend, faded, style_legend, style_plot

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.fit_picture import CurvePoints, FitCurve

POINT_SIZE = 6
LINE_WIDTH = 2.5
#: Share of the targets' range added above and below them: the axes stay put while the line
#: moves (auto-ranging on every frame costs time and makes the picture jump).
Y_PADDING = 0.15
#: Outputs further than this many target ranges outside the view are drawn at that distance:
#: a diverging network's huge or non-finite values must not reach the line item.
CLIP_RANGES = 100.0


def _same_data(a: CurvePoints | None, b: CurvePoints | None) -> bool:
    """Whether two runs learnt from the same training points (so their lines compare)."""
    if a is None or b is None:
        return a is b
    return np.array_equal(a.train_x, b.train_x) and np.array_equal(a.train_y, b.train_y)


class FitView(PlotView):
    """Data points (``set_points``) and the network's line (``set_curve``), in raw units: the
    input across, the target up."""

    animated = True
    dock_id = "fit"
    dock_title = "Fitted function"
    overview = "picture"
    export_name = "fitted_function"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Fitted function", parent)
        self._curve: FitCurve | None = None
        self._points: CurvePoints | None = None
        #: the previous run's name, line and the data it was fitted to (kept while that stays)
        self._previous: tuple[str, FitCurve, CurvePoints | None] | None = None
        #: what the points were last drawn from (a scatter's setData is the costly part)
        self._points_drawn: tuple[int, int] | None = None

        self.plot = pg.PlotItem()
        self.plot.setLabel("bottom", "x (input)")
        self.plot.setLabel("left", "y (target, output)")
        self.plot.hideButtons()
        self.plot.enableAutoRange(False, False)
        self.train_points = pg.ScatterPlotItem(size=POINT_SIZE, name="train")
        self.val_points = pg.ScatterPlotItem(size=POINT_SIZE + 1, name="validation")
        self.previous_line = pg.PlotCurveItem(name="previous run", antialias=True)
        self.line = pg.PlotCurveItem(name="network", antialias=True)
        for item in (self.train_points, self.val_points, self.previous_line, self.line):
            self.plot.addItem(item)
        for item in (self.train_points, self.val_points):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.legend = LayoutLegend(labelTextSize="8pt", horSpacing=4)
        for item, label in ((self.train_points, "train"), (self.val_points, "validation"), (self.line, "network")):
            self.legend.addItem(item, label)
        self.graphics.addItem(self.legend, row=0, col=0)
        self.graphics.ci.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignRight)
        self.graphics.addItem(self.plot, row=1, col=0)
        self.plot.setToolTip("The network's output for every input x (the line) over the examples it "
                             "learns from (filled) and the validation examples it never trains on (hollow)")
        self._apply_theme()

    # ------------------------------------------------------------------ feeding
    def set_points(self, points: CurvePoints | None) -> None:
        """The data under the line; the axes are fitted to it once, here. Other data than the
        previous run's drops that run's line (it was fitted to something else)."""
        if self._previous is not None and not _same_data(self._previous[2], points):
            self._set_previous(None)
        self._points = points
        if points is not None:
            self._fit_range()
        self.schedule()

    def set_curve(self, curve: FitCurve | None) -> None:
        """The network's output over a line of inputs (``fit_picture``); None clears."""
        old = self._curve
        self._curve = curve
        if curve is not None and (old is None or (old.xs[0], old.xs[-1]) != (curve.xs[0], curve.xs[-1])):
            self._fit_range()  # the first line of a run, or one over other inputs
        self.schedule()

    def keep_as_previous(self, label: str) -> None:
        """Keep the current line as the faded overlay named ``label`` and forget the rest: a
        new run starts, and asks for its own data (the overlay stays if that is the same)."""
        if self._curve is not None:
            self._set_previous((label, self._curve, self._points))
        self.clear()

    def _set_previous(self, previous: tuple[str, FitCurve, CurvePoints | None] | None) -> None:
        self._previous = previous
        self.legend.removeItem(self.previous_line)
        if previous is not None:
            self.legend.addItem(self.previous_line, previous[0])
        self._fit_legend()

    def _fit_range(self) -> None:
        """Axes over the data's inputs (and the line's margin) and the targets plus padding."""
        xs, ys = [], []
        if self._points is not None:
            xs += [self._points.train_x, self._points.val_x]
            ys += [self._points.train_y, self._points.val_y]
        if self._curve is not None:
            xs.append(self._curve.xs)
            if self._points is None:
                ys.append(self._curve.ys)
        x, y = np.concatenate(xs), np.concatenate(ys)
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
        if not x.size or not y.size:
            return
        lo, hi = float(y.min()), float(y.max())
        pad = (hi - lo) * Y_PADDING or 1.0
        self.plot.setRange(xRange=(float(x.min()), float(x.max())), yRange=(lo - pad, hi + pad), padding=0)

    # ------------------------------------------------------------------ drawing
    def _canvas_resized(self) -> None:
        self._fit_legend()

    def _fit_legend(self) -> None:
        """The legend's entries in as many columns as the canvas' width holds."""
        self.legend.fit_width(self.graphics.width() - 24)

    def _redraw(self) -> None:
        self._draw_points()
        previous = self._previous[1] if self._previous is not None else None
        for item, curve in ((self.line, self._curve), (self.previous_line, previous)):
            if curve is None:
                item.setData([], [])
            else:
                item.setData(curve.xs, self._drawable(curve.ys), skipFiniteCheck=True)

    def _drawable(self, ys: np.ndarray) -> np.ndarray:
        """Outputs safe to draw: non-finite and huge values pinned far outside the axes."""
        lo, hi = self.plot.getViewBox().viewRange()[1]
        span = (hi - lo) * CLIP_RANGES
        return np.clip(np.nan_to_num(ys, nan=hi + span, posinf=hi + span, neginf=lo - span), lo - span, hi + span)

    def _draw_points(self) -> None:
        key = (id(self._points), id(self.colors))
        if key == self._points_drawn:
            return
        self._points_drawn = key
        if self._points is None:
            self.train_points.clear()
            self.val_points.clear()
            return
        p = self._points
        self.train_points.setData(p.train_x, p.train_y)
        self.val_points.setData(p.val_x, p.val_y)

    def _apply_theme(self) -> None:
        c = self.colors
        style_plot(self.plot, c)
        style_legend(self.legend, c)
        train, val = c.series(0), c.series(1)
        self.train_points.setPen(None)
        self.train_points.setBrush(pg.mkBrush(faded(train, 0.75)))
        self.val_points.setPen(pg.mkPen(val, width=1.5))
        self.val_points.setBrush(pg.mkBrush(faded(c.background, 0.0)))
        self.line.setPen(pg.mkPen(c.foreground, width=LINE_WIDTH))
        self.previous_line.setPen(pg.mkPen(faded(c.foreground, 0.45), width=LINE_WIDTH, style=Qt.PenStyle.DashLine))
        self._points_drawn = None

    # ------------------------------------------------------------------ live-view protocol
    def not_applicable(self, meta: DatasetMeta) -> str | None:
        if meta.is_curve:
            return None
        target = ("classes" if meta.target_kind == "classification"
                  else f"{meta.target_size} regression target{'s' if meta.target_size != 1 else ''}")
        return ("It draws the network's output as a curve over one input, for datasets with one input "
                f"feature and one regression target (such as 'curve'); this dataset has {describe_input(meta)} "
                f"and {target}.")

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        self.show_reason(self.run_reason(info))
        if not info.meta.is_curve:
            self.reset()
        elif previous is not None:
            self.keep_as_previous(previous)
        else:
            self.clear()

    def picture_requests(self, info: RunInfo) -> list[PictureRequest]:
        if not info.meta.is_curve:
            return []
        from playground.core.fit_picture import curve_points, fit_picture

        requests = [PictureRequest("fit", fit_picture)]
        if self._points is None:  # the data does not change during a run: asked once
            requests.append(PictureRequest("curve_points", curve_points))
        return requests

    def on_picture(self, key: str, value: Any) -> None:
        if key == "curve_points":
            self.set_points(value)
        else:
            self.set_curve(value)

    # ------------------------------------------------------------------ state
    def clear(self) -> None:
        """Forget the line and the points (the next run asks for its data again)."""
        self._curve = None
        self._points = None
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        """Forget the previous run's line too."""
        self._set_previous(None)
        self.clear()

    def line_values(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The network's line as drawn (x, y), or None while there is none."""
        xs, ys = self.line.getData()
        return None if xs is None or not len(xs) else (xs, ys)

    def point_counts(self) -> tuple[int, int]:
        """Training and validation points drawn."""
        return len(self.train_points.data), len(self.val_points.data)

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """One row per point: its kind (train, validation, network, the previous run's name), x, y."""
        rows: list[list[Cell]] = []
        if self._points is not None:
            p = self._points
            for kind, xs, ys in (("train", p.train_x, p.train_y), ("validation", p.val_x, p.val_y)):
                rows += [[kind, float(x), float(y)] for x, y in zip(xs, ys)]
        lines = [("network", self._curve)] + ([self._previous[:2]] if self._previous is not None else [])
        for kind, curve in lines:
            if curve is not None:
                rows += [[kind, float(x), float(y)] for x, y in zip(curve.xs, curve.ys)]
        return ["kind", "x", "y"], rows
