"""Previews of a loaded dataset: a scatter plot of 2-D points coloured by class (or target) or of
a curve's points (x, y), a grid of sample images with their labels, or a table of the first rows
of tabular data.

Each preview takes a core ``Dataset`` and draws from its training split; they hold no state
beyond what they draw, so switching datasets only calls ``show_dataset`` again. The scatter
plot is pyqtgraph's, imported when the first one is made: not before the window's first paint.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QHeaderView, QSizePolicy, QTableView, QVBoxLayout, QWidget

from playground.core.datasets import Dataset
from playground.ui.theme import CanvasColors

#: TensorFlow Playground's class colours (orange negative, blue positive), then a qualitative set.
CLASS_COLORS = ("#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf")
MAX_POINTS = 2000
TABLE_ROWS = 200


def class_color(index: int) -> QColor:
    return QColor(CLASS_COLORS[index % len(CLASS_COLORS)])


def label_text(dataset: Dataset, y: Any) -> str:
    if dataset.target_kind == "classification":
        names = dataset.class_names
        i = int(y)
        return names[i] if i < len(names) else str(i)
    values = np.atleast_1d(np.asarray(y, dtype=float))
    return ", ".join(f"{v:.3g}" for v in values[:3])


class ScatterPreview(QWidget):
    """Training points (filled) and test points (hollow) of a 2-D dataset or a curve."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        self.pg = pg
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setAspectLocked(True)
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.train = pg.ScatterPlotItem(size=5, pen=None)
        self.test = pg.ScatterPlotItem(size=5, brush=None)
        self.plot.addItem(self.train)
        self.plot.addItem(self.test)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def set_colors(self, colors: CanvasColors) -> None:
        self.plot.setBackground(colors.card)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setPen(colors.text_dim)
            self.plot.getAxis(axis).setTextPen(colors.text_dim)

    def _brushes(self, dataset: Dataset, y: np.ndarray) -> list[QColor]:
        if dataset.target_kind == "classification":
            return [class_color(int(v)) for v in y]
        values = y.reshape(len(y), -1)[:, 0]
        lo, hi = float(values.min(initial=0)), float(values.max(initial=1))
        cmap = self.pg.colormap.get("viridis")
        return [cmap.map((v - lo) / (hi - lo or 1.0), mode="qcolor") for v in values]

    def show_dataset(self, dataset: Dataset) -> None:
        """Points of the plane (x1, x2), or of a curve (x, y): its one input against its target."""
        curve = dataset.meta.is_curve
        self.plot.setAspectLocked(not curve)
        for item, split, hollow in ((self.train, dataset.train, False), (self.test, dataset.test, True)):
            x = split.x.numpy()[:MAX_POINTS]
            y = split.y.numpy()[:MAX_POINTS]
            colors = self._brushes(dataset, y)
            across, up = (x[:, 0], y[:, 0]) if curve else (x[:, 0], x[:, 1])
            if hollow:
                item.setData(across, up, pen=[self.pg.mkPen(c, width=1.2) for c in colors], brush=None)
            else:
                item.setData(across, up, brush=colors, pen=None)
        self.plot.autoRange(padding=0.05)


class ImageGridPreview(QWidget):
    """The first training images as tiles with their labels underneath."""

    TILE = 56
    LABEL = 16
    GAP = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: list[QImage] = []
        self.labels: list[str] = []
        self.colors: CanvasColors | None = None
        self.setMinimumHeight(2 * (self.TILE + self.LABEL + self.GAP))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(4 * (self.TILE + self.GAP), 3 * (self.TILE + self.LABEL + self.GAP))

    def set_colors(self, colors: CanvasColors) -> None:
        self.colors = colors
        self.update()

    def show_dataset(self, dataset: Dataset, count: int = 40) -> None:
        x = dataset.train.x[:count].numpy()
        lo, hi = float(x.min(initial=0.0)), float(x.max(initial=1.0))
        scaled = np.clip((x - lo) / (hi - lo or 1.0) * 255, 0, 255).astype(np.uint8)
        self.images = [self._to_image(img) for img in scaled]
        self.labels = [label_text(dataset, y) for y in dataset.train.y[:count].numpy()]
        self.update()

    @staticmethod
    def _to_image(chw: np.ndarray) -> QImage:
        if chw.shape[0] == 3:
            hwc = np.ascontiguousarray(chw.transpose(1, 2, 0))
            h, w, _ = hwc.shape
            return QImage(hwc.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        gray = np.ascontiguousarray(chw[0])
        h, w = gray.shape
        return QImage(gray.data, w, h, w, QImage.Format.Format_Grayscale8).copy()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        colors = self.colors
        cell_w, cell_h = self.TILE + self.GAP, self.TILE + self.LABEL + self.GAP
        columns = max(1, (self.width() + self.GAP) // cell_w)
        rows = max(1, (self.height() + self.GAP) // cell_h)
        x0 = (self.width() - columns * cell_w + self.GAP) / 2
        for i, (image, label) in enumerate(zip(self.images[: columns * rows], self.labels)):
            r, c = divmod(i, columns)
            tile = QRectF(x0 + c * cell_w, r * cell_h + 4, self.TILE, self.TILE)
            p.drawImage(tile, image)
            if colors is not None:
                p.setPen(colors.card_border)
                p.drawRect(tile)
                p.setPen(colors.text)
            p.drawText(QRectF(tile.left() - 4, tile.bottom() + 1, self.TILE + 8, self.LABEL),
                       Qt.AlignmentFlag.AlignCenter, label)
        p.end()


class ArrayTableModel(QAbstractTableModel):
    """The first rows of a tabular dataset: its features, then its target."""

    def __init__(self, dataset: Dataset) -> None:
        super().__init__()
        x = dataset.train.x[:TABLE_ROWS].reshape(min(len(dataset.train), TABLE_ROWS), -1).numpy()
        features = list(dataset.info.get("features") or [f"x{i + 1}" for i in range(x.shape[1])])
        self.headers = [*features, str(dataset.info.get("target") or "target")]
        self.x = x
        self.labels = [label_text(dataset, y) for y in dataset.train.y[:TABLE_ROWS].numpy()]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.x)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() < self.x.shape[1]:
                return f"{self.x[index.row(), index.column()]:.4g}"
            return self.labels[index.row()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.headers[section] if orientation == Qt.Orientation.Horizontal else str(section + 1)


class TablePreview(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setDefaultSectionSize(20)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def show_dataset(self, dataset: Dataset) -> None:
        self.table_model = ArrayTableModel(dataset)
        self.setModel(self.table_model)
