"""TensorFlow Playground's main picture: the network's output over the input plane.

For 2-D datasets the background is what the network says at every point of the plane
(two classes: P(class 1) from orange to blue; more classes: the winning class's colour,
paler where the network is unsure; regression: the output value), with the training points
(light outline) and test points (dark outline) on top. Below, small pictures of every hidden
unit's output over the same plane show what each neuron has learned (at most
``MAX_UNITS`` per node).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QWidget

from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import PictureRequest, RunInfo, describe_input
from playground.ui.plots.style import (
    CLASS0_ORANGE,
    CLASS1_BLUE,
    Caption,
    apply_lut,
    lut,
    style_legend,
    style_plot,
    symmetric_level,
    two_class_map,
)

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.probes import Grid

GridKind = Literal["classification", "regression"]
#: Hidden-unit pictures per node at most, and per row of pictures.
MAX_UNITS = 16
UNITS_PER_ROW = 8
#: Edge of a unit picture in pixels (they shrink when the view is small).
UNIT_SIZE = 42
#: Pixels between unit pictures.
UNIT_SPACING = 3
POINT_SIZE = 7
#: Outlines as TensorFlow Playground draws them, in both themes: they must stand out on the
#: heat map, not on the window background.
TRAIN_OUTLINE = pg.mkPen("#ffffff", width=1)
TEST_OUTLINE = pg.mkPen("#1a1a1a", width=1.5)


def _rect(grid: Grid) -> QRectF:
    """The plane area a grid covers, each value at the centre of its cell."""
    xs, ys = np.asarray(grid.xs, dtype=float), np.asarray(grid.ys, dtype=float)
    dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1) or 1.0
    dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1) or 1.0
    return QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys))


@dataclass
class _Unit:
    box: pg.ViewBox
    image: pg.ImageItem


class BoundaryView(PlotView):
    """Decision boundary (``set_grid``) with data points (``set_points``) and hidden-unit
    pictures (``set_unit_grids``). Points and grids are in raw input units, y upwards."""

    dock_id = "boundary"
    dock_title = "Decision boundary"
    overview = "picture"
    export_name = "decision_boundary"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Decision boundary", parent)
        self._grid: Grid | None = None
        self._kind: GridKind = "classification"
        self._points: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._unit_grids: dict[str, Grid] = {}
        self._unit_labels: dict[str, str] = {}
        self._units: dict[str, list[_Unit]] = {}
        self._unit_structure: list[tuple[str, int]] = []
        self._value_range: tuple[float, float] = (0.0, 1.0)

        self.plot = pg.PlotItem()
        self.plot.setAspectLocked(True)
        self.plot.setLabel("bottom", "x₁")
        self.plot.setLabel("left", "x₂")
        self.plot.hideButtons()
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setZValue(-10)
        self._tag_font = QFont()
        self._tag_font.setPointSizeF(7)
        self.train_points = pg.ScatterPlotItem(size=POINT_SIZE, name="train")
        self.test_points = pg.ScatterPlotItem(size=POINT_SIZE, name="test")
        self.legend = self.plot.addLegend(offset=(-6, 6), labelTextSize="8pt")
        for item in (self.heat, self.train_points, self.test_points):
            self.plot.addItem(item)
        self.colorbar = pg.ColorBarItem(values=(0, 1), interactive=False, width=12)
        self.units_title = Caption("")
        self.units = pg.GraphicsLayout()
        self.units.setSpacing(UNIT_SPACING)
        self.units.setMaximumHeight(0)
        self.graphics.addItem(self.plot, row=0, col=0)
        self.graphics.addItem(self.colorbar, row=0, col=1)
        self.graphics.addItem(self.units_title, row=1, col=0, colspan=2)
        self.graphics.addItem(self.units, row=2, col=0, colspan=2)
        self.graphics.ci.layout.setRowStretchFactor(0, 1)
        self._apply_theme()

    # ------------------------------------------------------------------ feeding
    def set_grid(self, grid: Grid | None, kind: GridKind = "classification") -> None:
        """The network's output over the plane: class probabilities (last axis = class) or a
        regression value (first output shown). None clears."""
        self._grid = grid
        self._kind = kind
        self.schedule()

    def set_points(self, train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray | None = None,
                   test_y: np.ndarray | None = None) -> None:
        """Data points ``(N, 2)`` with class indices (or regression targets)."""
        def as_xy(x: np.ndarray | None) -> np.ndarray:
            return np.empty((0, 2), np.float32) if x is None else np.asarray(x, dtype=np.float32).reshape(-1, 2)

        def as_y(y: np.ndarray | None) -> np.ndarray:
            return np.empty(0, np.float32) if y is None else np.asarray(y, dtype=np.float32).reshape(len(y), -1)[:, 0]

        self._points = (as_xy(train_x), as_y(train_y), as_xy(test_x), as_y(test_y))
        self.schedule()

    def set_unit_grids(self, grids: Mapping[str, Grid], labels: Mapping[str, str] | None = None) -> None:
        """Each hidden node's units over the plane (``probes.unit_grids``), labelled with
        ``labels`` (default: node ids)."""
        self._unit_grids = dict(grids)
        if labels is not None:
            self._unit_labels = dict(labels)
        self.schedule()

    def clear(self) -> None:
        """Forget the grids (the points stay: they belong to the dataset, not the run)."""
        self._grid = None
        self._unit_grids = {}
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        """Forget grids and points."""
        self._points = None
        self.clear()

    # ------------------------------------------------------------------ live-view protocol
    def not_applicable(self, meta: DatasetMeta) -> str | None:
        if meta.input_shape == (2,):
            return None
        return (f"The decision boundary is the network's answer at every point of the input plane, so it "
                f"needs exactly two input features (x₁, x₂). This dataset has {describe_input(meta)}"
                + (": the Filters and Saliency views show what an image network looks at." if meta.is_image
                   else "."))

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        super().on_run_started(info, previous)
        if info.two_d:
            self._kind = "classification" if info.classifies else "regression"
            self._unit_labels = dict(info.labels)
            self.set_points(*info.train, *info.test)
        else:
            self.reset()

    def picture_requests(self, info: RunInfo) -> list[PictureRequest]:
        if not info.two_d:
            return []
        from playground.core.pictures import boundary_picture

        return [PictureRequest("boundary", boundary_picture)]

    def on_picture(self, key: str, value: Any) -> None:
        self.set_grid(value.grid, self._kind)
        self.set_unit_grids(value.units)

    def unit_count(self) -> int:
        """Hidden-unit pictures on show."""
        return sum(len(units) for units in self._units.values())

    def point_counts(self) -> tuple[int, int]:
        """(train, test) points on show."""
        return len(self.train_points.data), len(self.test_points.data)

    # ------------------------------------------------------------------ colours
    def _class_colour(self, k: int, classes: int) -> QColor:
        if classes <= 2 and self._kind == "classification":
            return QColor(CLASS1_BLUE if k == 1 else CLASS0_ORANGE)
        return self.colors.series(k)

    def _classes(self) -> int:
        if self._grid is not None and self._kind == "classification":
            return int(self._grid.values.shape[-1])
        if self._points is not None and self._kind == "classification":
            labels = np.concatenate((self._points[1], self._points[3]))
            return max(2, int(labels.max()) + 1) if labels.size else 2
        return 2

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        self._draw_heat()
        self._draw_points()
        self._draw_units()

    def _draw_heat(self) -> None:
        grid = self._grid
        self.heat.setVisible(grid is not None)
        classes = self._classes()
        self.colorbar.setVisible(grid is not None and (self._kind == "regression" or classes == 2))
        if grid is None:
            return
        values = np.nan_to_num(np.asarray(grid.values, dtype=np.float32))
        if values.ndim == 2:
            values = values[..., None]
        if self._kind == "regression":
            self._value_range = self._regression_range(values[..., 0])
            self.heat.setImage(np.ascontiguousarray(values[..., 0]), autoLevels=False, levels=self._value_range,
                               lut=self._two_class)
            self.colorbar.setLevels(self._value_range)
            self.colorbar.getAxis("right").setLabel("output")
        elif values.shape[-1] <= 2:
            p1 = values[..., -1] if values.shape[-1] == 2 else values[..., 0]
            self.heat.setImage(np.ascontiguousarray(p1), autoLevels=False, levels=(0.0, 1.0), lut=self._two_class)
            self.colorbar.setLevels((0.0, 1.0))
            self.colorbar.getAxis("right").setLabel("P(class 1)")
        else:
            self.heat.setImage(self._blend_classes(values), autoLevels=False, levels=(0.0, 1.0), lut=None)
        rect = _rect(grid)
        if self.heat.mapRectToParent(self.heat.boundingRect()) != rect:
            self.heat.setRect(rect)
            self.plot.setRange(rect, padding=0)

    def _blend_classes(self, probs: np.ndarray) -> np.ndarray:
        """Winning class's colour, faded towards the background as confidence drops to chance."""
        k = probs.shape[-1]
        palette = np.array([self._class_colour(i, k).getRgbF()[:3] for i in range(k)], dtype=np.float32)
        mid = np.array(self.colors.background.getRgbF()[:3], dtype=np.float32)
        confidence = np.clip((probs.max(axis=-1) - 1 / k) / (1 - 1 / k), 0, 1)[..., None] * 0.85
        return np.ascontiguousarray(mid * (1 - confidence) + palette[probs.argmax(axis=-1)] * confidence,
                                    dtype=np.float32)

    def _regression_range(self, values: np.ndarray) -> tuple[float, float]:
        """Levels of a regression map: the targets' range when points are known (steady while
        training), else the map's own range."""
        if self._points is not None and (self._points[1].size or self._points[3].size):
            targets = np.concatenate((self._points[1], self._points[3]))
            lo, hi = float(targets.min()), float(targets.max())
        else:
            lo, hi = float(values.min()), float(values.max())
        return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)

    def _point_brushes(self, labels: np.ndarray) -> list[pg.QtGui.QBrush]:
        if self._kind == "regression":
            lo, hi = self._value_range
            rgba = apply_lut(labels, self._two_class, lo, hi)
            return [pg.mkBrush(*map(int, c)) for c in rgba]
        classes = self._classes()
        brushes = [pg.mkBrush(self._class_colour(k, classes)) for k in range(classes)]
        return [brushes[int(k) % len(brushes)] for k in labels]

    def _draw_points(self) -> None:
        if self._points is None:
            self.train_points.clear()
            self.test_points.clear()
            return
        train_x, train_y, test_x, test_y = self._points
        self.train_points.setData(pos=train_x, brush=self._point_brushes(train_y), pen=TRAIN_OUTLINE)
        self.test_points.setData(pos=test_x, brush=self._point_brushes(test_y), pen=TEST_OUTLINE)
        if self._grid is None and len(train_x):
            self.plot.enableAutoRange()

    def _draw_units(self) -> None:
        structure = [(node, min(g.values.shape[-1], MAX_UNITS)) for node, g in self._unit_grids.items()]
        if structure != self._unit_structure:
            self._rebuild_units(structure)
        for node, grid in self._unit_grids.items():
            values = np.nan_to_num(np.asarray(grid.values, dtype=np.float32))
            for u, unit in enumerate(self._units[node]):
                level = symmetric_level(values[..., u])
                unit.image.setImage(np.ascontiguousarray(values[..., u]), autoLevels=False, levels=(-level, level),
                                    lut=self._two_class)
                unit.image.setRect(_rect(grid))
                unit.box.autoRange(padding=0)

    def _rebuild_units(self, structure: list[tuple[str, int]]) -> None:
        """New hidden nodes or unit counts: new pictures (the only place they are made)."""
        self._unit_structure = structure
        self.units.clear()
        self._units = {}
        row = 0
        for node, count in structure:
            total = self._unit_grids[node].values.shape[-1]
            more = f"<br>first {count} of {total}" if total > count else ""
            rows = -(-count // UNITS_PER_ROW)
            caption = pg.LabelItem(f"{self._unit_labels.get(node, node)}{more}", justify="right",
                                   color=self.colors.hex(), size="8pt")
            self.units.addItem(caption, row=row, col=0, rowspan=rows)
            units = []
            for u in range(count):
                box = pg.ViewBox(lockAspect=True, enableMouse=False, enableMenu=False)
                box.setMinimumSize(28, 28)
                box.setMaximumSize(UNIT_SIZE, UNIT_SIZE)
                image = pg.ImageItem(axisOrder="row-major")
                box.addItem(image)
                tag = pg.TextItem(str(u), color=self.colors.foreground, anchor=(0, 0))
                tag.setFont(self._tag_font)
                tag.setParentItem(box)
                self.units.addItem(box, row=row + u // UNITS_PER_ROW, col=1 + u % UNITS_PER_ROW)
                units.append(_Unit(box, image))
            self._units[node] = units
            row += rows
        # only as tall as the pictures: the boundary plot gets the rest
        self.units.setMaximumHeight(row * (UNIT_SIZE + UNIT_SPACING))
        self.units_title.setText("Hidden units over the same plane" if structure else "",
                                 color=self.colors.hex(), bold=True, size="9pt")

    def _apply_theme(self) -> None:
        c = self.colors
        style_plot(self.plot, c, grid=False)
        style_legend(self.legend, c)
        cmap = two_class_map(c)
        self._two_class = lut(cmap)
        self.colorbar.setColorMap(cmap)
        axis = self.colorbar.getAxis("right")
        axis.enableAutoSIPrefix(False)
        axis.setPen(c.dim)
        axis.setTextPen(c.foreground)
        axis.label.setDefaultTextColor(c.foreground)
        for points, outline in ((self.train_points, TRAIN_OUTLINE), (self.test_points, TEST_OUTLINE)):
            points.setBrush(pg.mkBrush(c.dim))  # the legend's sample; points get their own colours
            points.setPen(outline)
        self._unit_structure = []  # captions and tags take the new colours

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """The grid (one row per plane point, one column per output) and the data points."""
        grid = self._grid
        outputs = 0 if grid is None else (grid.values.shape[-1] if grid.values.ndim == 3 else 1)
        names = ([f"p_class_{k}" for k in range(outputs)] if self._kind == "classification"
                 else [f"output_{k}" for k in range(outputs)])
        header = ["kind", "x", "y", "target", *names]
        rows: list[list[Cell]] = []
        if grid is not None:
            values = np.asarray(grid.values).reshape(len(grid.ys), len(grid.xs), -1)
            for i, y in enumerate(grid.ys):
                rows += [["grid", float(x), float(y), None, *map(float, values[i, j])] for j, x in enumerate(grid.xs)]
        if self._points is not None:
            train_x, train_y, test_x, test_y = self._points
            for kind, xy, labels in (("train", train_x, train_y), ("test", test_x, test_y)):
                rows += [[kind, float(p[0]), float(p[1]), float(t), *([None] * outputs)] for p, t in zip(xy, labels)]
        return header, rows
