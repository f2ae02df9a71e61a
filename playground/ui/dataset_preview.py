"""Previews of a loaded dataset: a scatter plot of 2-D points coloured by class (or target) or of
a curve's points (x, y), a grid of sample images with their labels, the training text of a text
dataset, the symbol strips of the memory task, sequences of values as small line charts, or a
table of the first rows of tabular data.

Each preview takes a core ``Dataset`` and draws from its training split; they hold no state
beyond what they draw, so switching datasets only calls ``show_dataset`` again. The scatter
plot is pyqtgraph's, imported when the first one is made: not before the window's first paint.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QImage, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QHeaderView, QSizePolicy, QTableView, QVBoxLayout, QWidget

from playground.core.datasets import Dataset
from playground.core.datasets.sequences import char_name
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


class PaintedPreview(QWidget):
    """A preview that paints itself in the theme's canvas colours (given by ``set_colors``)."""

    def __init__(self, minimum_height: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colors: CanvasColors | None = None
        self.setMinimumHeight(minimum_height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_colors(self, colors: CanvasColors) -> None:
        self.colors = colors
        self.update()

    def inks(self) -> tuple[QColor, QColor]:
        """The dim and the normal text colour."""
        return (self.colors.text_dim, self.colors.text) if self.colors else (QColor("gray"), QColor("black"))

    def draw_summary(self, p: QPainter, text: str) -> float:
        """``text`` in the dim colour across the top, wrapped to the width; returns where the
        picture below it starts."""
        p.setPen(self.inks()[0])
        flags = int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap)
        box = p.boundingRect(QRectF(4, 2, self.width() - 8, 10 * self.height()), flags, text)
        p.drawText(box, flags, text)
        return box.bottom() + 6


class ImageGridPreview(PaintedPreview):
    """The first training images as tiles with their labels underneath."""

    TILE = 56
    LABEL = 16
    GAP = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(2 * (self.TILE + self.LABEL + self.GAP), parent)
        self.images: list[QImage] = []
        self.labels: list[str] = []

    def sizeHint(self) -> QSize:
        return QSize(4 * (self.TILE + self.GAP), 3 * (self.TILE + self.LABEL + self.GAP))

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


def training_text(dataset: Dataset, start: int, count: int) -> str:
    """The text of ``count`` training windows of a text dataset from window ``start``, in order:
    each window's inputs and its last target (the next character)."""
    vocab = dataset.meta.vocab
    x = dataset.train.x[start:start + count].long().tolist()
    y = dataset.train.y[start:start + count, -1].tolist()
    return "".join("".join(vocab[i] for i in ids) + vocab[last] for ids, last in zip(x, y))


class TextPreview(PaintedPreview):
    """Some of the training text, as the network reads it (one character per token), under a line
    with the text's size, its vocabulary and how it was cut into windows. It starts in the middle
    of the training text, where a book's title page is behind; long lines wrap, and each line ends
    in a dim ⏎: the newline is a character to predict like any other."""

    WINDOWS = 30
    TAB = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(220, parent)
        self.summary = ""
        self.lines: list[str] = []

    def show_dataset(self, dataset: Dataset) -> None:
        meta, info = dataset.meta, dataset.info
        width = meta.input_shape[0] + 1
        windows = len(dataset.train) + len(dataset.val) + len(dataset.test)
        start = len(dataset.train) // 2
        self.summary = (f"{info.get('characters', windows * width):,} characters · {len(meta.vocab)} distinct · "
                        f"{windows:,} windows of {width} · training text from character {start * width:,}:")
        self.lines = [_visible(line.expandtabs(self.TAB))
                      for line in training_text(dataset, start, self.WINDOWS).split("\n")]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        dim, ink = self.inks()
        top = self.draw_summary(p, self.summary)
        p.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        metrics = p.fontMetrics()
        columns = max(8, (self.width() - 16) // max(1, metrics.horizontalAdvance("M")) - 1)
        y = top + metrics.ascent()
        for i, line in enumerate(self.lines):
            pieces = [line[at:at + columns] for at in range(0, len(line), columns)] or [""]
            for piece in pieces:
                if y > self.height():
                    p.end()
                    return
                p.setPen(ink)
                p.drawText(8, int(y), piece)
                y += metrics.lineSpacing()
            if i < len(self.lines) - 1:
                p.setPen(dim)
                p.drawText(8 + metrics.horizontalAdvance(pieces[-1]), int(y - metrics.lineSpacing()), "⏎")
        p.end()


def _visible(line: str) -> str:
    """``line`` with characters that print as nothing named (``char_name``), spaces kept."""
    return "".join(c if c == " " or c.isprintable() else char_name(c) for c in line)


class MemoryPreview(PaintedPreview):
    """Training sequences of the memory task as strips of symbols, the first one in its colour and
    the answer after the arrow in the same colour: the rest is noise to remember it through.
    A sequence too long for the width shows its start, an ellipsis and its last symbol."""

    ROWS = 24
    MAX_CELL, MIN_CELL = 22, 15
    ANSWER = 52  # room for the arrow and the answer's cell

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(220, parent)
        self.summary = ""
        self.sequences: list[list[str]] = []
        self.firsts: list[int] = []
        self.answers: list[int] = []
        self.names: tuple[str, ...] = ()

    def show_dataset(self, dataset: Dataset) -> None:
        meta = dataset.meta
        self.names = meta.vocab
        x = dataset.train.x[:self.ROWS].long().tolist()
        self.sequences = [[meta.vocab[i] for i in row] for row in x]
        self.firsts = [row[0] for row in x]
        self.answers = dataset.train.y[:self.ROWS].tolist()
        self.summary = (f"{meta.input_shape[0]} symbols of {len(meta.vocab)} → the answer is the first one "
                        f"(chance: 1 in {len(meta.vocab)})")
        self.update()

    def _shown(self, row: list[str], cell: float) -> list[str]:
        """The symbols that fit the width: all, or the start, "…" and the last one."""
        fits = max(3, int((self.width() - 8 - self.ANSWER) // cell))
        return row if len(row) <= fits else [*row[:fits - 2], "…", row[-1]]

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        colors = self.colors
        dim, ink = self.inks()
        plain = colors.card if colors else QColor("white")
        border = colors.card_border if colors else QColor("gray")
        y = self.draw_summary(p, self.summary)
        length = max((len(row) for row in self.sequences), default=1)
        cell = max(self.MIN_CELL, min(self.MAX_CELL, (self.width() - 8 - self.ANSWER) / length))
        font = QFont(p.font())
        font.setPixelSize(max(8, int(cell * 0.6)))
        p.setFont(font)
        for row, first, answer in zip(self.sequences, self.firsts, self.answers):
            if y + cell > self.height():
                break
            x = 4.0
            for i, symbol in enumerate(self._shown(row, cell)):
                self._cell(p, QRectF(x, y, cell - 2, cell - 2), symbol, class_color(first) if i == 0 else None,
                           plain, border, ink)
                x += cell
            p.setPen(dim)
            p.drawText(QRectF(x, y, 22, cell - 2), Qt.AlignmentFlag.AlignCenter, "→")
            self._cell(p, QRectF(x + 24, y, cell - 2, cell - 2), self.names[answer], class_color(answer),
                       plain, border, ink)
            y += cell + 2
        p.end()

    @staticmethod
    def _cell(p: QPainter, rect: QRectF, symbol: str, fill: QColor | None, plain: QColor, border: QColor,
              ink: QColor) -> None:
        """One symbol: in its class colour with white ink when it matters, plain otherwise."""
        p.setPen(border if fill is None else fill.darker(120))
        p.setBrush(plain if fill is None else fill)
        p.drawRoundedRect(rect, 3, 3)
        p.setPen(ink if fill is None else QColor("white"))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, symbol)


class WavePreview(PaintedPreview):
    """Training sequences of (T, F) steps as small line charts stacked one above the other (their
    first feature), each ending in a dot: the value after the window, the last step's target."""

    ROWS = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(220, parent)
        self.summary = ""
        self.series = np.zeros((0, 0))
        self.after = np.zeros(0)

    def show_dataset(self, dataset: Dataset) -> None:
        x = dataset.train.x[:self.ROWS].numpy()
        self.series = x[..., 0]
        self.after = dataset.train.y[:self.ROWS].numpy().reshape(len(x), x.shape[1], -1)[:, -1, 0]
        steps, features = dataset.meta.input_shape
        which = f" (feature 1 of {features})" if features > 1 else ""
        self.summary = f"{steps} steps each{which} → the next value at every step; the dot is the last target"
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        dim, _ink = self.inks()
        top = self.draw_summary(p, self.summary)
        if len(self.series):
            scale = float(max(np.abs(self.series).max(), np.abs(self.after).max())) or 1.0
            band = (self.height() - top) / len(self.series)
            width = self.width() - 24.0
            dx = width / self.series.shape[1]
            for i, (values, after) in enumerate(zip(self.series, self.after)):
                middle = top + band * (i + 0.5)
                ys = middle - values / scale * band * 0.42
                p.setPen(dim)
                p.drawLine(QPointF(8, middle), QPointF(8 + width + dx, middle))
                color = class_color(i)
                p.setPen(QPen(color, 1.6))
                p.drawPolyline(QPolygonF([QPointF(8 + k * dx, float(y)) for k, y in enumerate(ys)]))
                p.setBrush(color)
                p.drawEllipse(QPointF(8 + width, middle - after / scale * band * 0.42), 3, 3)
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
