"""TensorFlow Playground's main picture: the network's output over the input plane.

For 2-D datasets the background is what the network says at every point of the plane
(two classes: P(class 1) from orange to blue; more classes: the winning class's colour,
paler where the network is unsure; regression: the output value), with the training points
(light outline) and test points (dark outline) on top. Beside it (a wide view) or below it (a
tall one), small pictures of every hidden unit's output over the same plane show what each
neuron has learned (at most ``MAX_UNITS`` per node, one picture of tiles per node).

The boundary stays the main picture: the unit tiles shrink, move beside the plot or hide so
that the plot keeps ``PLOT_SHARE`` of the view's smaller side (an aspect-locked plot squeezed
to a sliver used to autorange its x axis to ±60,000).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Slot
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QWidget

from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import PictureRequest, RunInfo, describe_input
from playground.ui.plots.style import (
    CLASS0_ORANGE,
    CLASS1_BLUE,
    Caption,
    LayoutLegend,
    apply_lut,
    lut,
    plain_numbers,
    style_legend,
    style_plot,
    symmetric_level,
    two_class_map,
)

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.probes import Grid

GridKind = Literal["classification", "regression"]
Placement = Literal["side", "below"]
#: Hidden-unit pictures per node at most.
MAX_UNITS = 16
#: Edge of a unit tile in pixels, at most and at least: they shrink to leave the plot its share.
UNIT_SIZE = 42
MIN_UNIT_SIZE = 18
#: Pixels between the items of the unit panel (title, captions, tile pictures).
UNIT_SPACING = 4
#: The boundary plot keeps at least this share of the view's smaller side, in both directions;
#: the hidden units get what is left, or are hidden when even their smallest tiles do not fit.
PLOT_SHARE = 0.62
#: Pixels between the cells of the canvas (plot, colour bar, unit panel).
CANVAS_SPACING = 6
#: Width of the node names left of the tiles when they are below the plot, at most.
CAPTION_WIDTH = 110
UNITS_TITLE = "Hidden units over the same plane"
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
class _UnitRow:
    """One hidden node's unit tiles: a caption and one picture of ``count`` tiles."""

    caption: pg.LabelItem
    box: pg.ViewBox
    image: pg.ImageItem
    label: str
    count: int
    total: int


@dataclass(frozen=True)
class _Arrangement:
    """Where the unit tiles go: beside or below the plot, tiles per line, tile edge, title."""

    placement: Placement
    cols: int
    tile: int
    title: bool


def _tile_rows(count: int, cols: int) -> int:
    return -(-count // cols)


def _unit_mosaic(values: np.ndarray, count: int, cols: int, table: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """``count`` unit maps ``(H, W, units)`` as one RGBA picture of ``cols`` tiles per line with
    1-pixel transparent gaps, first row of the plane (largest y) on top, each unit on its own
    symmetric levels; and those levels."""
    h, w = values.shape[:2]
    rows = _tile_rows(count, cols)
    mosaic = np.zeros((rows * (h + 1) - 1, cols * (w + 1) - 1, 4), np.uint8)
    levels = []
    for u in range(count):
        unit = values[..., u]
        level = symmetric_level(unit)
        levels.append(level)
        r, c = divmod(u, cols)
        mosaic[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = apply_lut(unit[::-1], table, -level, level)
    return mosaic, levels


class BoundaryView(PlotView):
    """Decision boundary (``set_grid``) with data points (``set_points``) and hidden-unit
    pictures (``set_unit_grids``). Points and grids are in raw input units, y upwards."""

    animated = True
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
        self._units: dict[str, _UnitRow] = {}
        self._unit_structure: list[tuple[str, int]] = []
        self._unit_levels: dict[str, list[float]] = {}
        self._arrangement: _Arrangement | None = None
        self._placed: Placement | None = None
        self._value_range: tuple[float, float] = (0.0, 1.0)
        #: what the points were last drawn from: they are redrawn only when it changes (a
        #: scatter with a brush per point is the costliest part of a frame)
        self._points_drawn: tuple[Any, ...] | None = None
        #: the colour bar's levels and title as last set
        self._scale: tuple[tuple[float, float], str] | None = None
        self._heat_values: np.ndarray | None = None

        self.units_toggle = QCheckBox("Hidden units")
        self.units_toggle.setChecked(True)
        self.units_toggle.setToolTip("Show what each hidden unit computes over the same plane")
        self.units_toggle.toggled.connect(self._on_units_toggled)
        self.units_toggle.hide()
        self.add_tool(self.units_toggle)

        self.plot = pg.PlotItem()
        self.plot.setAspectLocked(True)
        self.plot.setLabel("bottom", "x₁")
        self.plot.setLabel("left", "x₂")
        self.plot.hideButtons()
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setZValue(-10)
        self.train_points = pg.ScatterPlotItem(size=POINT_SIZE, name="train")
        self.test_points = pg.ScatterPlotItem(size=POINT_SIZE, name="test")
        for item in (self.heat, self.train_points, self.test_points):
            self.plot.addItem(item)
        # the points change only with the data: Qt repaints them from a cached picture when the
        # heat map under them changes, rather than calling their Python paint every frame
        for item in (self.train_points, self.test_points):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.colorbar = pg.ColorBarItem(values=(0, 1), interactive=False, width=12)
        # under the colour bar, beside the plane: over it, it hid points
        self.legend = LayoutLegend(labelTextSize="8pt", verSpacing=-6)
        self.legend.addItem(self.train_points, "train")
        self.legend.addItem(self.test_points, "test")
        self._caption_font = QFont()
        self._caption_font.setPointSizeF(8)
        self._title_font = QFont()
        self._title_font.setPointSizeF(9)
        self._title_font.setBold(True)
        self.units_title = Caption("")
        self.units_title.item.document().setDocumentMargin(0)
        self.units = pg.GraphicsLayout()
        self.units.setSpacing(UNIT_SPACING)
        self.units.setContentsMargins(0, 0, 0, 0)
        self.graphics.addItem(self.plot, row=0, col=0, rowspan=2)
        self.graphics.addItem(self.colorbar, row=0, col=1)
        self.graphics.addItem(self.legend, row=1, col=1)
        layout = self.graphics.ci.layout
        layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        layout.setSpacing(CANVAS_SPACING)
        layout.setRowStretchFactor(0, 1)
        layout.setColumnStretchFactor(0, 1)
        # the axes size themselves to their tick labels after a paint: arrange again then
        self._chosen_with = (0.0, 0.0)
        for name in ("left", "bottom"):
            self.follow(self.plot.getAxis(name).geometryChanged, self._on_axis_resized)
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
        if meta.is_plane:
            return None
        return (f"It needs two input features (x₁, x₂); this dataset has {describe_input(meta)}."
                + (" Filters and Saliency show what an image network looks at." if meta.is_image else ""))

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
        self.set_grid(value.boundary, self._kind)
        self.set_unit_grids(value.units)

    def unit_count(self) -> int:
        """Hidden-unit tiles drawn (shown when ``units_shown()``)."""
        return sum(row.count for row in self._units.values())

    def units_shown(self) -> bool:
        """Whether the hidden units are on show (there are some, the toggle is on, they fit)."""
        return self._placed is not None

    def units_placement(self) -> Placement | None:
        """"side" (right of the plot), "below" or None (hidden)."""
        return self._placed

    def unit_images(self) -> list[pg.ImageItem]:
        """The pictures of unit tiles, one per hidden node."""
        return [row.image for row in self._units.values()]

    def unit_levels(self, node: str) -> list[float]:
        """The symmetric level (±) each unit of ``node`` is drawn with."""
        return list(self._unit_levels.get(node, []))

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
        # coloured here, in one numpy pass, and handed over as RGBA: an ImageItem given a LUT
        # builds a Qt colour table in Python on every render, 30 times a second
        if self._kind == "regression":
            self._value_range = self._regression_range(values[..., 0])
            self._draw_scalar(values[..., 0], self._value_range, "output")
        elif values.shape[-1] <= 2:
            self._draw_scalar(values[..., -1] if values.shape[-1] == 2 else values[..., 0], (0.0, 1.0), "P(class 1)")
        else:
            self.heat.setImage(self._blend_classes(values), autoLevels=False, levels=(0.0, 1.0), lut=None)
            self._heat_values = None
        rect = _rect(grid)
        if self.heat.mapRectToParent(self.heat.boundingRect()) != rect:
            self.heat.setRect(rect)
            self.plot.setRange(rect, padding=0)

    def _draw_scalar(self, values: np.ndarray, levels: tuple[float, float], label: str) -> None:
        """One value per point of the plane through the two-class map between ``levels``, with
        the colour bar's levels and title touched only when they change (either makes its axis
        lay out its ticks again: 2 ms a frame)."""
        self.heat.setImage(apply_lut(values, self._two_class, *levels), autoLevels=False, levels=(0, 255))
        self._heat_values = values
        if (levels, label) == self._scale:
            return
        self._scale = (levels, label)
        self.colorbar.setLevels(levels)
        self.colorbar.getAxis("right").setLabel(label)

    def heat_values(self) -> tuple[np.ndarray, tuple[float, float]] | None:
        """The values the heat map shows (P(class 1) or the regression output) and the levels
        they are coloured between; None while it shows none (or the classes' blend)."""
        if self._grid is None or self._scale is None or self._heat_values is None:
            return None
        return self._heat_values, self._scale[0]

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
        key = (id(self._points), self._kind, self._classes(), self._value_range, id(self._two_class), id(self.colors))
        if key == self._points_drawn:
            return
        self._points_drawn = key
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
        cols = self._arrangement.cols if self._arrangement is not None else MAX_UNITS // 2
        for node, grid in self._unit_grids.items():
            row = self._units[node]
            values = np.nan_to_num(np.asarray(grid.values, dtype=np.float32))
            mosaic, self._unit_levels[node] = _unit_mosaic(values, row.count, min(cols, row.count), self._two_class)
            shape = row.image.image.shape if row.image.image is not None else None
            row.image.setImage(mosaic, autoLevels=False, levels=(0, 255))
            if shape != mosaic.shape:
                row.box.setRange(QRectF(0, 0, mosaic.shape[1], mosaic.shape[0]), padding=0)

    def _rebuild_units(self, structure: list[tuple[str, int]]) -> None:
        """New hidden nodes or unit counts: a caption and a tile picture per node (the only place
        they are made), then the panel is arranged again."""
        self._unit_structure = structure
        self._place_units(None)
        self._units = {}
        for node, count in structure:
            total = self._unit_grids[node].values.shape[-1]
            caption = pg.LabelItem("", size="8pt")
            caption.item.document().setDocumentMargin(0)
            box = pg.ViewBox(lockAspect=True, enableMouse=False, enableMenu=False, invertY=True)
            image = pg.ImageItem(axisOrder="row-major")
            box.addItem(image)
            label = self._unit_labels.get(node, node)
            box.setToolTip(f"{label}: {count} unit{'s' if count != 1 else ''}"
                           + (f" (the first {count} of {total})" if total > count else "")
                           + ", left to right and top to bottom, each on its own ± scale")
            self._units[node] = _UnitRow(caption, box, image, label, count, total)
        self.units_toggle.setVisible(bool(structure))
        self._arrangement = None
        self._arrange()

    # ------------------------------------------------------------------ unit panel layout
    @Slot(bool)
    def _on_units_toggled(self, _on: bool) -> None:
        self._arrange()

    def _canvas_resized(self) -> None:
        self._arrange()

    @Slot()
    def _on_axis_resized(self) -> None:
        over_w, over_h = self._overheads()
        if abs(over_w - self._chosen_with[0]) > 2 or abs(over_h - self._chosen_with[1]) > 2:
            self._arrange()

    def _overheads(self) -> tuple[float, float]:
        """Canvas pixels that are not the plot's box: axes, colour bar and legend column,
        margins (width, height)."""
        left = self.plot.getAxis("left").width() or 45.0
        bottom = self.plot.getAxis("bottom").height() or 40.0
        side = max(self.colorbar.width() if self.colorbar.isVisible() else 0.0, self.legend.width(), 60.0)
        left_margin, top_margin, right_margin, bottom_margin = self.graphics.ci.layout.getContentsMargins()
        return (left + side + left_margin + right_margin + CANVAS_SPACING + 2,
                bottom + top_margin + bottom_margin + 2)

    def _title_height(self) -> float:
        return QFontMetricsF(self._title_font).height() + 2

    def _choose(self) -> _Arrangement | None:
        """The arrangement with the largest tiles that leaves the plot its share (then with the
        title, then the largest plot), or None when not even the smallest tiles leave it. Tiles
        per line are powers of two (or all of a node's units): full lines look tidier."""
        if not self._units or not self.units_toggle.isChecked():
            return None
        width, height = float(self.graphics.width()), float(self.graphics.height())
        if width < 50 or height < 50:
            return None
        over_w, over_h = self._chosen_with = self._overheads()
        # the plot's share, or all it could have anyway when the view is too narrow (or too low)
        target = min(PLOT_SHARE * min(self.width(), self.height()), min(width - over_w, height - over_h) - 1)
        counts = [row.count for row in self._units.values()]
        caption_h = QFontMetricsF(self._caption_font).height() + 2
        title_h = self._title_height()
        caption_w = min(CAPTION_WIDTH, max(QFontMetricsF(self._caption_font).horizontalAdvance(row.label)
                                           for row in self._units.values()) + 6)
        best: tuple[tuple[float, ...], _Arrangement] | None = None
        for tile in range(UNIT_SIZE, MIN_UNIT_SIZE - 1, -2):
            for cols in sorted({c for c in (1, 2, 4, 8, 16) if c < max(counts)} | {max(counts)}):
                lines = [_tile_rows(n, min(cols, n)) for n in counts]
                tiles_w = cols * tile + (cols - 1) * 2
                for title in (True, False):
                    head = title_h + UNIT_SPACING if title else 0.0
                    # beside: each node's caption over its tiles
                    panel_h = head + sum(caption_h + k * tile + (k - 1) * 2 + 2 * UNIT_SPACING for k in lines)
                    plot = min(width - over_w - tiles_w - CANVAS_SPACING, height - over_h)
                    if panel_h <= height - 8 and plot >= target:
                        key = (tile, title, plot, cols)
                        if best is None or key > best[0]:
                            best = (key, _Arrangement("side", cols, tile, title))
                    # below: captions left of the tiles
                    panel_w = caption_w + UNIT_SPACING + tiles_w
                    panel_h = head + sum(k * tile + (k - 1) * 2 + UNIT_SPACING for k in lines)
                    plot = min(width - over_w, height - over_h - panel_h - CANVAS_SPACING)
                    if panel_w <= width - 16 and plot >= target:
                        key = (tile, title, plot, cols)
                        if best is None or key > best[0]:
                            best = (key, _Arrangement("below", cols, tile, title))
        return best[1] if best is not None else None

    def _arrange(self) -> None:
        """Place the unit panel for the canvas' current size (only when the choice changes)."""
        arrangement = self._choose()
        if arrangement == self._arrangement and (arrangement is None) == (self._placed is None):
            return
        cols_changed = arrangement is not None and (self._arrangement is None
                                                    or self._arrangement.cols != arrangement.cols)
        self._arrangement = arrangement
        self._place_units(arrangement)
        # greyed out while the view is too small for them: asked for, but the boundary comes first
        no_room = bool(self._units) and arrangement is None and self.units_toggle.isChecked()
        self.units_toggle.setEnabled(not no_room)
        self.units_toggle.setToolTip("The hidden units need a larger view: the decision boundary comes first"
                                     if no_room else "Show what each hidden unit computes over the same plane")
        if cols_changed and self._unit_grids:
            self._draw_units()

    def _place_units(self, arrangement: _Arrangement | None) -> None:
        """Take the unit panel out of the canvas, fill it again for ``arrangement`` and put it
        beside or below the plot (or leave it out)."""
        if self._placed is not None:
            self.units.clear()
            self.graphics.ci.removeItem(self.units)
            self._placed = None
        if arrangement is None or not self._units:
            return
        a = arrangement
        if a.placement == "side":
            self.graphics.addItem(self.units, row=0, col=2, rowspan=2)
        else:
            self.graphics.addItem(self.units, row=2, col=0, colspan=2)
        self._placed = a.placement
        metrics = QFontMetricsF(self._caption_font)
        caption_w = min(CAPTION_WIDTH, max(metrics.horizontalAdvance(row.label) for row in self._units.values()) + 6)
        tiles_w = a.cols * a.tile + (a.cols - 1) * 2
        line = 0
        if a.title:
            fits = QFontMetricsF(self._title_font).horizontalAdvance(UNITS_TITLE) <= (
                tiles_w if a.placement == "side" else caption_w + tiles_w)
            self.units_title.setText(UNITS_TITLE if fits else "Hidden units", color=self.colors.hex(), bold=True,
                                     size="9pt")
            self.units.addItem(self.units_title, row=0, col=0, colspan=2)
            line = 1
        height = 0.0
        for row in self._units.values():
            cols = min(a.cols, row.count)
            lines = _tile_rows(row.count, cols)
            box_w = cols * a.tile + (cols - 1) * 2
            box_h = lines * a.tile + (lines - 1) * 2
            row.box.setFixedWidth(box_w)
            row.box.setFixedHeight(box_h)
            more = f"first {row.count} of {row.total}" if row.total > row.count else ""
            width = tiles_w if a.placement == "side" else caption_w
            name = metrics.elidedText(row.label, Qt.TextElideMode.ElideRight, width - 4)
            # below the plot the note goes on a second line of the caption, beside it after the name
            text = escape(name, quote=False) + (f"<br>{more}" if more and a.placement == "below" and lines > 1
                                   else f" · {more}" if more else "")
            row.caption.setAttr("justify", "left" if a.placement == "side" else "right")
            row.caption.setText(text, color=self.colors.hex(), size="8pt")
            row.caption.setToolTip(f"{row.label} ({more})" if more else (row.label if name != row.label else ""))
            row.caption.setFixedWidth(width)
            if a.placement == "side":
                self.units.addItem(row.caption, row=line, col=0)
                self.units.addItem(row.box, row=line + 1, col=0)
                self.units.layout.setAlignment(row.box, Qt.AlignmentFlag.AlignLeft)
                line += 2
                height += metrics.height() + 2 + box_h + 2 * UNIT_SPACING
            else:
                self.units.addItem(row.caption, row=line, col=0)
                self.units.addItem(row.box, row=line, col=1)
                self.units.layout.setAlignment(row.box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                line += 1
                height += box_h + UNIT_SPACING
        layout = self.graphics.ci.layout
        if a.placement == "side":
            self.units.setMaximumHeight(16_777_215)
            self.units.setFixedWidth(max(tiles_w, 40))
            layout.setAlignment(self.units, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        else:
            title_h = self._title_height() + UNIT_SPACING if a.title else 0.0
            self.units.setMaximumWidth(16_777_215)
            self.units.setMinimumWidth(0)
            self.units.setFixedHeight(title_h + height)
            layout.setAlignment(self.units, Qt.AlignmentFlag.AlignLeft)
        # lay out now, not at the next event-loop pass: the plot's size is right at once
        self.units.layout.activate()
        layout.activate()

    def _apply_theme(self) -> None:
        c = self.colors
        style_plot(self.plot, c, grid=False)
        style_legend(self.legend, c)
        cmap = two_class_map(c)
        self._two_class = lut(cmap)
        self.colorbar.setColorMap(cmap)
        axis = self.colorbar.getAxis("right")
        plain_numbers(axis)
        axis.setPen(c.dim)
        axis.setTextPen(c.foreground)
        axis.label.setDefaultTextColor(c.foreground)
        for points, outline in ((self.train_points, TRAIN_OUTLINE), (self.test_points, TEST_OUTLINE)):
            points.setBrush(pg.mkBrush(c.dim))  # the legend's sample; points get their own colours
            points.setPen(outline)
        if self._placed is not None:  # captions and title in the new colours
            self._place_units(self._arrangement)

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
