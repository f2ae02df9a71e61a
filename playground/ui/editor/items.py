"""Canvas items: node cards, their ports, and the curved edges between them.

Items are views of model state: they are created, updated and removed by ``GraphScene`` in
answer to ``Graph`` events and shape reports, and hold nothing that is not also in the model
or the report (apart from the transient drag position of a node being moved).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QGuiApplication,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from playground.core.layers import LAYER_TYPES
from playground.core.shapes import NodeReport, format_shape
from playground.ui.editor.icons import paint_layer_icon
from playground.ui.theme import CanvasColors, group_color

NODE_WIDTH = 168.0
NODE_HEIGHT = 74.0
HEADER_HEIGHT = 26.0
CORNER = 8.0
PORT_RADIUS = 5.5
ARROW = 9.0
#: The gradient-flow glow: a ring this far outside the card, stroked this wide.
GLOW_OUT, GLOW_PEN = 3.0, 7.0
#: The dashed outline of a selected invalid node: this far outside the card.
OUTLINE_OUT, OUTLINE_PEN = 4.0, 1.2
#: The vanishing/exploding badge straddles the card's top edge.
BADGE_TOP, BADGE_HEIGHT = -9.0, 16.0
SHADOW_DROP = 2.5
#: One pixel more for antialiasing, so nothing painted is left outside the bounding rect.
_AA = 1.0


@dataclass(frozen=True)
class CardFonts:
    title: QFont
    body: QFont
    shape: QFont
    small: QFont


@lru_cache(maxsize=1)
def card_fonts() -> CardFonts:
    """Fonts of the node cards, derived from the application font (so created after it is set)."""
    def font(delta: float, *, bold: bool = False, mono: bool = False) -> QFont:
        f = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if mono else QFont(QGuiApplication.font())
        f.setPointSizeF(QGuiApplication.font().pointSizeF() + delta)
        f.setBold(bold)
        return f

    return CardFonts(font(0.5, bold=True), font(0.0), font(-0.5, mono=True), font(-1.0))


#: Maps a dragged node's proposed top-left to where it may go (the scene's grid snap).
SnapFn = Callable[[QPointF], QPointF]


class PortItem(QGraphicsItem):
    """An input (left) or output (right) port. ``multi`` ports (Add, Concat) take several edges
    and are drawn as a pill; ``state`` colours the port while a connection is dragged. Its
    colours are its node's (``NodeItem.set_colors`` passes them on)."""

    def __init__(self, node: NodeItem, kind: str, multi: bool = False) -> None:
        super().__init__(node)
        self.node, self.kind, self.multi = node, kind, multi
        self.colors = node.colors
        self.state = ""
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor if kind == "out" else Qt.CursorShape.ArrowCursor)
        self.setPos(0.0 if kind == "in" else NODE_WIDTH, NODE_HEIGHT / 2)
        self.setZValue(1)
        self.setToolTip("Drag from here to an input port to connect" if kind == "out"
                        else "Input" + ("s: connect two or more nodes here" if multi else ""))

    def _body(self) -> QRectF:
        h = PORT_RADIUS * (3.2 if self.multi else 1)
        return QRectF(-PORT_RADIUS, -h, 2 * PORT_RADIUS, 2 * h)

    def boundingRect(self) -> QRectF:
        return self._body().adjusted(-6, -6, 6, 6)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.update()

    def set_colors(self, colors: CanvasColors) -> None:
        self.colors = colors
        self.update()

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colors = self.colors
        fill = {"ok": colors.ok, "bad": colors.error}.get(self.state, colors.card)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(group_color(self.node.group), 2.0))
        p.setBrush(fill)
        p.drawRoundedRect(self._body(), PORT_RADIUS, PORT_RADIUS)


class NodeItem(QGraphicsItem):
    """A node card: coloured header with icon and id, the layer summary, the output shape and
    parameter count, or the first problem in red (all problems in the tooltip).

    What it needs from its scene is pushed in, never looked up (the way Orange's ``NodeItem``
    is handed its palette), so items know nothing of the scene class: ``colors`` (renewed by
    ``set_colors`` when the theme changes) and ``snap``, which maps a dragged position to where
    the node may go (the scene's grid; None moves freely)."""

    def __init__(self, node_id: str, type_name: str, colors: CanvasColors, snap: SnapFn | None = None) -> None:
        super().__init__()
        layer = LAYER_TYPES[type_name]
        self.colors = colors
        self.snap = snap
        self.node_id, self.type_name, self.group = node_id, type_name, layer.group
        self.summary = type_name
        self.shape_text = self.shape_words = "?"
        self.params_text = ""
        self.problems: list[str] = []
        self.edges: list[EdgeItem] = []
        self.flow: QColor | None = None
        self.badge: str | None = None
        self.flow_text = ""
        self._hover = False
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable | flags.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        # Qt keeps the painted card as a pixmap until ``update()``: while training re-tints the
        # edges twice a second, the cards they cross are blitted instead of repainted in Python.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.in_port = PortItem(self, "in", multi=layer.max_inputs is None) if layer.max_inputs != 0 else None
        self.out_port = PortItem(self, "out") if layer.min_outputs != 0 else None
        self._update_tooltip()

    # ------------------------------------------------------------------ state from the report
    def apply_report(self, report: NodeReport | None, data_known: bool) -> None:
        if report is None:
            return
        self.summary = report.summary
        self.problems = [p.message for p in report.problems]
        if report.shape is not None:
            self.shape_text = format_shape(report.shape, report.tokens)
            self.shape_words = report.shape_words
        else:
            self.shape_text = self.shape_words = "?" if data_known else "…"
        self.params_text = f"{report.parameters:,} params" if report.parameters else ""
        self._update_tooltip()
        self.update()

    def set_colors(self, colors: CanvasColors) -> None:
        """The theme changed: repaint the card and its ports in the new colours."""
        self.colors = colors
        for port in (self.in_port, self.out_port):
            if port is not None:
                port.set_colors(colors)
        self.update()

    def set_flow(self, colour: QColor | None, badge: str | None, text: str = "") -> None:
        """Gradient flow while training: a tint on the log-norm colour scale and a
        'vanishing'/'exploding' badge (None clears both)."""
        repaint = colour != self.flow or badge != self.badge
        if not repaint and text == self.flow_text:
            return
        self.flow, self.badge, self.flow_text = colour, badge, text
        self._update_tooltip()
        if repaint:  # else the card is still drawn from its cache
            self.update()

    def _update_tooltip(self) -> None:
        layer = LAYER_TYPES[self.type_name]
        lines = [f"<b>{self.node_id}</b> — {self.summary}"]
        if self.problems:
            lines += [f"<span style='color:#d93838'>⚠ {_escape(m)}</span>" for m in self.problems]
        else:
            lines.append(f"output {self.shape_words}" + (f" · {self.params_text}" if self.params_text else ""))
        if self.flow is not None and self.flow_text:
            lines.append(_escape(self.flow_text))
        lines.append(f"<i>{_escape(layer.help)}</i>")
        self.setToolTip("<p style='white-space:pre-wrap'>" + "<br>".join(lines) + "</p>")

    # ------------------------------------------------------------------ geometry
    def boundingRect(self) -> QRectF:
        """Everything ``paint`` draws: the glow and the dashed outline reach outside the card
        and the badge straddles its top. Qt repaints only this rect when the node changes or
        goes away, so anything painted outside it would stay on screen after a delete or undo."""
        out = max(GLOW_OUT + GLOW_PEN / 2, OUTLINE_OUT + OUTLINE_PEN / 2, SHADOW_DROP) + _AA
        top = min(BADGE_TOP, -out) - _AA
        return QRectF(-out, top, NODE_WIDTH + 2 * out, NODE_HEIGHT + out - top)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT), CORNER, CORNER)
        return path

    @staticmethod
    def glow_rect() -> QRectF:
        """The ring stroked (``GLOW_PEN`` wide) around a node tinted by its gradient norm."""
        return QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT).adjusted(-GLOW_OUT, -GLOW_OUT, GLOW_OUT, GLOW_OUT)

    @staticmethod
    def outline_rect() -> QRectF:
        """The dashed ring (``OUTLINE_PEN`` wide) around a selected invalid node."""
        return QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT).adjusted(-OUTLINE_OUT, -OUTLINE_OUT, OUTLINE_OUT, OUTLINE_OUT)

    def badge_rect(self) -> QRectF:
        """Where the vanishing/exploding badge is drawn (kept within the card's width)."""
        text = self.badge or ""
        width = min(QFontMetricsF(card_fonts().small).horizontalAdvance(text) + 12, NODE_WIDTH - 8)
        return QRectF(NODE_WIDTH - width - 4, BADGE_TOP, width, BADGE_HEIGHT)

    def center(self) -> QPointF:
        return self.pos() + QPointF(NODE_WIDTH / 2, NODE_HEIGHT / 2)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and self.snap is not None:
            return self.snap(value)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)

    # ------------------------------------------------------------------ painting
    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colors = self.colors
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        card = QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colors.shadow)
        p.drawRoundedRect(card.translated(0, SHADOW_DROP), CORNER, CORNER)
        body = QPainterPath()
        body.addRoundedRect(card, CORNER, CORNER)
        if self.flow is not None:
            glow = QColor(self.flow)
            glow.setAlpha(150)
            p.setPen(QPen(glow, GLOW_PEN))
            p.drawRoundedRect(self.glow_rect(), CORNER + 2, CORNER + 2)
            p.setPen(Qt.PenStyle.NoPen)
        p.fillPath(body, colors.card)
        header = QPainterPath()
        header.addRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT))
        p.fillPath(body.intersected(header), group_color(self.group))
        paint_layer_icon(p, QRectF(7, 4, 18, 18), self.type_name, tile=False)
        self._paint_texts(p, colors)
        if self.problems:
            pen = QPen(colors.error, 2.0)
        elif self.isSelected():
            pen = QPen(colors.accent, 2.2)
        else:
            pen = QPen(colors.card_border.darker(115) if self._hover else colors.card_border, 1.0)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(card, CORNER, CORNER)
        if self.problems and self.isSelected():
            p.setPen(QPen(colors.accent, OUTLINE_PEN, Qt.PenStyle.DashLine))
            p.drawRoundedRect(self.outline_rect(), CORNER + 3, CORNER + 3)
        if self.badge:
            self._paint_badge(p)

    def _paint_badge(self, p: QPainter) -> None:
        fonts = card_fonts()
        text = self.badge or ""
        rect = self.badge_rect()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(BADGE_COLOURS.get(text, "#666666")))
        p.drawRoundedRect(rect, 8, 8)
        p.setFont(fonts.small)
        p.setPen(QColor("#ffffff"))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_texts(self, p: QPainter, colors: CanvasColors) -> None:
        pad = 10.0
        fonts = card_fonts()
        p.setFont(fonts.title)
        p.setPen(QColor("#ffffff"))
        title = QRectF(30, 0, NODE_WIDTH - 38, HEADER_HEIGHT)
        p.drawText(title, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   QFontMetricsF(fonts.title).elidedText(self.node_id, Qt.TextElideMode.ElideRight, title.width()))
        p.setFont(fonts.body)
        p.setPen(colors.text)
        line1 = QRectF(pad, HEADER_HEIGHT + 4, NODE_WIDTH - 2 * pad, 20)
        p.drawText(line1, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   QFontMetricsF(fonts.body).elidedText(self.summary, Qt.TextElideMode.ElideRight, line1.width()))
        line2 = QRectF(pad, HEADER_HEIGHT + 24, NODE_WIDTH - 2 * pad, 18)
        if self.problems:
            p.setFont(fonts.small)
            p.setPen(colors.error)
            text = "⚠ " + self.problems[0]
            p.drawText(line2, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                       QFontMetricsF(fonts.small).elidedText(text, Qt.TextElideMode.ElideRight, line2.width()))
            return
        p.setFont(fonts.shape)
        p.setPen(colors.accent)
        p.drawText(line2, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, "→ " + self.shape_text)
        if self.params_text:
            p.setFont(fonts.small)
            p.setPen(colors.text_dim)
            p.drawText(line2, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, self.params_text)


#: Badge colours of the gradient flags (as in the gradient view: vanishing amber, exploding red).
BADGE_COLOURS = {"vanishing": "#d9822b", "exploding": "#d93838"}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: How far a backward edge runs out of its port before it turns, and the radius of its turns.
HOP_OUT, HOP_RADIUS = 9.0, 5.0


def curve(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic from an output port to an input port. Backwards, to a card
    in another row (the hop inside a folded layout's column), it leaves the port, turns into
    the gap between the two rows, runs back along it and turns into the input port, so it
    crosses neither card; backwards within a row it is an S."""
    span, drop = end.x() - start.x(), end.y() - start.y()
    if span < 0 and abs(drop) >= NODE_HEIGHT + 2 * HOP_RADIUS:
        return _hop(start, end)
    dx = max(span / 2, 50.0) if span >= 0 else min(-span / 4, 90.0) + 30.0
    path = QPainterPath(start)
    path.cubicTo(start + QPointF(dx, 0), end - QPointF(dx, 0), end)
    return path


def _hop(start: QPointF, end: QPointF) -> QPainterPath:
    """Right, down (or up) to half way, left, down (up) again and right into ``end``, with
    rounded corners: a backward edge between rows that stays in the gap between them."""
    s = 1.0 if end.y() > start.y() else -1.0
    r, mid = HOP_RADIUS, (start.y() + end.y()) / 2
    right, left = start.x() + HOP_OUT, end.x() - HOP_OUT
    path = QPainterPath(start)
    path.lineTo(right - r, start.y())
    path.quadTo(right, start.y(), right, start.y() + s * r)
    path.lineTo(right, mid - s * r)
    path.quadTo(right, mid, right - r, mid)
    path.lineTo(left + r, mid)
    path.quadTo(left, mid, left, mid + s * r)
    path.lineTo(left, end.y() - s * r)
    path.quadTo(left, end.y(), left + r, end.y())
    path.lineTo(end)
    return path


def paint_arrow_curve(p: QPainter, path: QPainterPath, end: QPointF, pen: QPen) -> None:
    """Stroke ``path`` and put an arrowhead at ``end``, pointing along the curve."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)
    tangent = QLineF(path.pointAtPercent(path.percentAtLength(max(path.length() - ARROW / 2, 0.0))), end)
    if tangent.length() < 1e-6:
        return
    unit = tangent.unitVector()
    d = QPointF(unit.dx(), unit.dy())
    normal = QPointF(-d.y(), d.x())
    base = end - d * ARROW
    head = QPainterPath(end)
    head.lineTo(base + normal * (ARROW * 0.5))
    head.lineTo(base - normal * (ARROW * 0.5))
    head.closeSubpath()
    p.fillPath(head, QBrush(pen.color()))


class EdgeItem(QGraphicsPathItem):
    """A connection from ``src``'s output port to ``dst``'s input port; select it and press Del
    to disconnect."""

    def __init__(self, src: NodeItem, dst: NodeItem, colors: CanvasColors) -> None:
        super().__init__()
        self.src, self.dst = src, dst
        self.colors = colors
        self._hover = False
        self.flow: QColor | None = None
        self._end = QPointF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)
        self.setToolTip(f"{src.node_id} → {dst.node_id}\nSelect and press Delete to disconnect")
        self.update_path()

    @property
    def edge(self) -> tuple[str, str]:
        return self.src.node_id, self.dst.node_id

    def update_path(self) -> None:
        assert self.src.out_port is not None
        assert self.dst.in_port is not None
        start = self.src.out_port.scenePos() + QPointF(PORT_RADIUS, 0)
        self._end = self.dst.in_port.scenePos() - QPointF(PORT_RADIUS + 1, 0)
        self.setPath(curve(start, self._end))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:
        return self.shape().boundingRect().adjusted(-ARROW, -ARROW, ARROW, ARROW)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.update()

    def set_flow(self, colour: QColor | None) -> None:
        if colour != self.flow:
            self.flow = colour
            self.update()

    def set_colors(self, colors: CanvasColors) -> None:
        self.colors = colors
        self.update()

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colors = self.colors
        if self.isSelected():
            pen = QPen(colors.accent, 2.6)
        elif self.flow is not None:
            pen = QPen(self.flow, 3.2)
        else:
            pen = QPen(colors.edge.darker(120) if self._hover and not colors.dark else
                       colors.edge.lighter(130) if self._hover else colors.edge, 2.0 if self._hover else 1.7)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        paint_arrow_curve(p, self.path(), self._end, pen)


class DragEdgeItem(QGraphicsPathItem):
    """The dashed curve that follows the mouse while a connection is dragged."""

    def __init__(self, start: QPointF, colors: CanvasColors) -> None:
        super().__init__()
        self.colors = colors
        self.start = start
        self.end = start
        self.ok = True
        self.setZValue(3)

    def set_end(self, end: QPointF, ok: bool) -> None:
        self.end, self.ok = end, ok
        self.setPath(curve(self.start, end))

    def set_colors(self, colors: CanvasColors) -> None:
        self.colors = colors
        self.update()

    def boundingRect(self) -> QRectF:
        """The curve plus its 2 px pen and the arrowhead, which reaches ``ARROW / 2`` sideways
        of the curve's end (the path item's own rect counts a 1 px pen and no head)."""
        return self.path().controlPointRect().adjusted(-ARROW, -ARROW, ARROW, ARROW)

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colors = self.colors
        pen = QPen(colors.accent if self.ok else colors.error, 2.0, Qt.PenStyle.DashLine)
        paint_arrow_curve(p, self.path(), self.end, pen)


class ReasonBadge(QGraphicsItem):
    """Why a dragged connection is refused, in a small card beside the cursor. Hidden while it
    has no reason to give: an empty red card reads as an error without saying which."""

    PAD = 5.0

    def __init__(self, colors: CanvasColors) -> None:
        super().__init__()
        self.colors = colors
        self.text = ""
        self.setZValue(4)
        self.setVisible(False)

    def set_colors(self, colors: CanvasColors) -> None:
        self.colors = colors
        self.update()

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.prepareGeometryChange()
            self.text = text
        self.setVisible(bool(text))

    def boundingRect(self) -> QRectF:
        size = QFontMetricsF(card_fonts().small).size(0, self.text)
        return QRectF(0, 0, size.width() + 2 * self.PAD, size.height() + 2 * self.PAD)

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self.text:
            return
        colors = self.colors
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(colors.error, 1.0))
        p.setBrush(colors.card)
        p.drawRoundedRect(self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        p.setFont(card_fonts().small)
        p.setPen(colors.error)
        p.drawText(self.boundingRect(), Qt.AlignmentFlag.AlignCenter, self.text)
