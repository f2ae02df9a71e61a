"""Layer-type icons drawn with QPainter: a rounded tile in the group colour with a white glyph.

Drawn rather than shipped so every type of the catalogue has an icon that matches its
group colour at any size and device pixel ratio; a type without a glyph shows its initial.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from playground.core.layers import LAYER_TYPES
from playground.ui.theme import group_color

Glyph = Callable[[QPainter], None]
WHITE = QColor("#ffffff")


def _arrow(p: QPainter, x0: float, x1: float, y: float) -> None:
    p.drawLine(QPointF(x0, y), QPointF(x1 - 1, y))
    head = QPainterPath(QPointF(x1, y))
    head.lineTo(x1 - 4.5, y - 3.5)
    head.lineTo(x1 - 4.5, y + 3.5)
    head.closeSubpath()
    p.fillPath(head, WHITE)


def _input(p: QPainter) -> None:
    _arrow(p, 4, 15, 12)
    p.drawLine(QPointF(18, 6), QPointF(18, 18))


def _output(p: QPainter) -> None:
    p.drawLine(QPointF(5, 6), QPointF(5, 18))
    _arrow(p, 8, 20, 12)


def _dense(p: QPainter) -> None:
    left = [QPointF(6, y) for y in (6, 12, 18)]
    right = [QPointF(18, y) for y in (8.5, 15.5)]
    pen = p.pen()
    p.setPen(QPen(QColor(255, 255, 255, 170), 1.0))
    for a in left:
        for b in right:
            p.drawLine(a, b)
    p.setPen(pen)
    p.setBrush(WHITE)
    for c in left + right:
        p.drawEllipse(c, 2.1, 2.1)


def _grid(p: QPainter, n: int, filled: set[int], size: float = 14) -> None:
    cell = size / n
    x0 = y0 = (24 - size) / 2
    for i in range(n):
        for j in range(n):
            r = QRectF(x0 + j * cell, y0 + i * cell, cell, cell)
            if i * n + j in filled:
                p.fillRect(r, WHITE)
            p.drawRect(r)


def _conv(p: QPainter) -> None:
    _grid(p, 3, {4})


def _maxpool(p: QPainter) -> None:
    _grid(p, 2, {1})


def _avgpool(p: QPainter) -> None:
    _grid(p, 2, set())
    p.setBrush(WHITE)
    for x in (8.5, 15.5):
        for y in (8.5, 15.5):
            p.drawEllipse(QPointF(x, y), 1.3, 1.3)


def _flatten(p: QPainter) -> None:
    for i, y in enumerate((6, 10, 14, 18)):
        p.drawLine(QPointF(5 + i, y), QPointF(19 - i, y))


def _activation(p: QPainter) -> None:
    path = QPainterPath(QPointF(4, 17))
    path.lineTo(12, 17)
    path.lineTo(20, 6)
    p.drawPath(path)


def _batchnorm(p: QPainter) -> None:
    path = QPainterPath(QPointF(3, 18))
    path.cubicTo(QPointF(9, 18), QPointF(9, 5), QPointF(12, 5))
    path.cubicTo(QPointF(15, 5), QPointF(15, 18), QPointF(21, 18))
    p.drawPath(path)


def _dropout(p: QPainter) -> None:
    for i, (x, y) in enumerate((x, y) for y in (7, 12, 17) for x in (7, 12, 17)):
        p.setBrush(WHITE if i % 3 != 1 and i != 4 else Qt.BrushStyle.NoBrush)
        p.drawEllipse(QPointF(x, y), 2.0, 2.0)


def _add(p: QPainter) -> None:
    p.drawEllipse(QPointF(12, 12), 7.5, 7.5)
    p.drawLine(QPointF(12, 8), QPointF(12, 16))
    p.drawLine(QPointF(8, 12), QPointF(16, 12))


def _concat(p: QPainter) -> None:
    p.fillRect(QRectF(6, 6, 5, 12), WHITE)
    p.drawRect(QRectF(13, 6, 5, 12))


def _embedding(p: QPainter) -> None:
    """A table of vectors, one row looked up."""
    for i, y in enumerate((5.5, 10.5, 15.5)):
        row = QRectF(6, y, 12, 3.5)
        if i == 1:
            p.fillRect(row, WHITE)
        p.drawRect(row)


def _recurrent(letter: str) -> Glyph:
    """A loop back into the layer (its state feeds the next step) around the type's initial."""
    def glyph(p: QPainter) -> None:
        p.drawArc(QRectF(3.5, 3.5, 17, 17), 60 * 16, 300 * 16)
        head = QPainterPath(QPointF(17.2, 3.9))
        head.lineTo(12.6, 2.6)
        head.lineTo(14.6, 7.4)
        head.closeSubpath()
        p.fillPath(head, WHITE)
        font = p.font()
        font.setPixelSize(9)
        font.setBold(True)
        p.setFont(font)
        p.drawText(QRectF(0, 0, 24, 24), Qt.AlignmentFlag.AlignCenter, letter)
    return glyph


GLYPHS: dict[str, Glyph] = {
    "Input": _input,
    "Output": _output,
    "Dense": _dense,
    "Conv2d": _conv,
    "MaxPool2d": _maxpool,
    "AvgPool2d": _avgpool,
    "Flatten": _flatten,
    "Activation": _activation,
    "BatchNorm": _batchnorm,
    "Dropout": _dropout,
    "Add": _add,
    "Concat": _concat,
    "Embedding": _embedding,
    "RNN": _recurrent("R"),
    "LSTM": _recurrent("L"),
    "GRU": _recurrent("G"),
}


def paint_layer_icon(p: QPainter, rect: QRectF, type_name: str, *, tile: bool = True) -> None:
    """Draw the icon of ``type_name`` into ``rect`` (the canvas uses this without the tile)."""
    layer = LAYER_TYPES.get(type_name)
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.translate(rect.topLeft())
    p.scale(rect.width() / 24, rect.height() / 24)
    if tile:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(group_color(layer.group if layer else ""))
        p.drawRoundedRect(QRectF(0, 0, 24, 24), 5.5, 5.5)
    p.setPen(QPen(WHITE, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    p.setBrush(Qt.BrushStyle.NoBrush)
    glyph = GLYPHS.get(type_name)
    if glyph is not None:
        glyph(p)
    else:
        font = p.font()
        font.setPixelSize(13)
        font.setBold(True)
        p.setFont(font)
        p.drawText(QRectF(0, 0, 24, 24), Qt.AlignmentFlag.AlignCenter, type_name[:1])
    p.restore()


@cache
def layer_icon(type_name: str) -> QIcon:
    """The palette icon of a layer type, rendered at two sizes for crisp HiDPI."""
    icon = QIcon()
    for size in (24, 48):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        paint_layer_icon(p, QRectF(0, 0, size, size), type_name)
        p.end()
        icon.addPixmap(pm)
    return icon


def app_icon() -> QIcon:
    """The window icon: a tiny three-layer network."""
    icon = QIcon()
    for size in (32, 64, 128):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(size / 24, size / 24)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(QColor("#3a78d4")))
        p.drawRoundedRect(QRectF(0, 0, 24, 24), 6, 6)
        p.setPen(QPen(WHITE, 1.4))
        _dense(p)
        p.end()
        icon.addPixmap(pm)
    return icon


def _layout_glyph(p: QPainter) -> None:
    for x, y in ((2, 9), (10, 3), (10, 15), (18, 9)):
        p.drawRoundedRect(QRectF(x, y, 5, 5), 1, 1)
    p.drawLine(QPointF(7, 11.5), QPointF(10, 6))
    p.drawLine(QPointF(7, 11.5), QPointF(10, 17))
    p.drawLine(QPointF(15, 6), QPointF(18, 11.5))
    p.drawLine(QPointF(15, 17), QPointF(18, 11.5))


def _fit_glyph(p: QPainter) -> None:
    for x, y, dx, dy in ((3, 3, 1, 1), (21, 3, -1, 1), (3, 21, 1, -1), (21, 21, -1, -1)):
        p.drawLine(QPointF(x, y), QPointF(x + 5 * dx, y))
        p.drawLine(QPointF(x, y), QPointF(x, y + 5 * dy))
    p.drawRoundedRect(QRectF(8, 9, 8, 6), 1.5, 1.5)


ACTION_GLYPHS: dict[str, Glyph] = {"auto_layout": _layout_glyph, "fit": _fit_glyph}


def action_icon(name: str, color: QColor) -> QIcon:
    """A toolbar icon for an action without a standard one, drawn in ``color`` (the theme's text)."""
    icon = QIcon()
    for size in (24, 48):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(size / 24, size / 24)
        p.setPen(QPen(color, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        ACTION_GLYPHS[name](p)
        p.end()
        icon.addPixmap(pm)
    return icon
