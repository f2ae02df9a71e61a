"""The canvas view: zoom (wheel, Ctrl +/-), pan (middle drag or Space + drag), fit to view,
rubber-band selection, and the themed grid background.

The gradient-flow legend is made when first shown (a run's gradients): it is drawn with
pyqtgraph's colour maps, which the window does not import before its first paint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QFont, QKeyEvent, QMouseEvent, QPainter, QPen, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsOpacityEffect, QGraphicsView, QWidget

from playground.ui.editor.scene import GRID, GraphScene

if TYPE_CHECKING:
    from playground.ui.plots.colour_scale import ColourScaleLegend, LogColourScale

MIN_ZOOM = 0.2
MAX_ZOOM = 3.0
ZOOM_STEP = 1.25
MAJOR_EVERY = 5
#: Gap between the gradient legend and the viewport's edges.
LEGEND_MARGIN = 12
#: The legend's opacity when every corner has a node under it (it then also lets clicks through).
LEGEND_FADED = 0.35


class CanvasView(QGraphicsView):
    """A ``QGraphicsView`` with the navigation a node editor needs."""

    zoomChanged = Signal(float)

    def __init__(self, scene: GraphScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self._scene = scene
        self._pan_from: QPoint | None = None
        self._space = False
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        # the dotted grid is drawn once per zoom, scroll or theme, not on every repaint (the
        # canvas repaints twice a second while training re-tints it)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 240)
        self._legend: ColourScaleLegend | None = None
        #: fades the legend when it has to cover a node (the legend takes ownership of it)
        self._legend_fade = QGraphicsOpacityEffect()
        self._legend_fade.setOpacity(LEGEND_FADED)
        self._legend_fade.setEnabled(False)
        self.centerOn(0, 0)
        scene.flowScaleChanged.connect(self.set_flow_scale)
        scene.changed.connect(self._place_legend)
        scene.emptinessChanged.connect(self._repaint_all)

    @Slot()
    def _repaint_all(self) -> None:
        """The empty-canvas hint appeared or went: Qt would repaint only the items that changed
        and leave the rest of the hint's text on screen, behind the first node."""
        self.viewport().update()

    @property
    def legend(self) -> ColourScaleLegend:
        """The gradient-flow legend over the canvas (hidden until a run's gradients tint it)."""
        if self._legend is None:
            from playground.ui.plots.colour_scale import ColourScaleLegend

            legend = ColourScaleLegend(parent=self)
            legend.setAutoFillBackground(True)
            legend.setToolTip("Gradient flow while training: each layer and connection is tinted by the "
                              "L2 norm of its gradient, on this shared log scale")
            legend.hide()
            legend.setGraphicsEffect(self._legend_fade)
            self._legend = legend
        return self._legend

    def _legend_shown(self) -> bool:
        return self._legend is not None and self._legend.isVisible()

    @Slot(object)
    def set_flow_scale(self, scale: LogColourScale | None) -> None:
        """Show the gradient-flow legend for ``scale`` in a corner of the canvas where no node is
        (None hides it)."""
        if scale is None:
            if self._legend is not None:
                self._legend.hide()
            return
        legend = self.legend
        if not legend.isVisible() or (legend.scale.lo, legend.scale.hi) != (scale.lo, scale.hi):
            legend.set_range(scale.lo, scale.hi)  # (a re-tint on the same scale repaints nothing)
            legend.show()
        self._place_legend()  # nodes may have moved under it

    def legend_corners(self) -> list[QRect]:
        """Where the legend may go, in viewport coordinates, best first: bottom-right (where the
        eye expects a key), bottom-left, top-right, top-left."""
        size = self.legend.sizeHint()
        area = self.viewport().rect().adjusted(LEGEND_MARGIN, LEGEND_MARGIN, -LEGEND_MARGIN, -LEGEND_MARGIN)
        left, right = area.left(), area.right() + 1 - size.width()
        top, bottom = area.top(), area.bottom() + 1 - size.height()
        return [QRect(x, y, size.width(), size.height())
                for x, y in ((right, bottom), (left, bottom), (right, top), (left, top))]

    def node_rects(self) -> list[QRect]:
        """Each node as drawn (glow and badge included), in viewport coordinates."""
        return [self.mapFromScene(item.sceneBoundingRect()).boundingRect() for item in self._scene.nodes.values()]

    @Slot()
    def _place_legend(self) -> None:
        """Put the legend in the first corner with no node under it. It is a widget over the
        canvas, so it would hide whatever it covers; when every corner is taken it goes where
        it covers least, faded, and lets clicks through to the nodes beneath."""
        if not self._legend_shown():
            return
        nodes = self.node_rects()

        def covered(rect: QRect) -> int:
            return sum((rect & n).width() * (rect & n).height() for n in nodes if rect.intersects(n))

        spot = min(self.legend_corners(), key=covered)  # min keeps the earliest of equals
        overlap = covered(spot) > 0
        self.legend.setGeometry(spot.translated(self.viewport().pos()))
        self._legend_fade.setEnabled(overlap)
        self.legend.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, overlap)

    def legend_reserve(self) -> int:
        """Height kept free along the bottom by ``fit_to_view`` while the legend shows."""
        return self.legend.sizeHint().height() + 2 * LEGEND_MARGIN if self._legend_shown() else 0

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_legend()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._place_legend()

    # ------------------------------------------------------------------ zoom
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float) -> None:
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        factor = zoom / self.zoom
        if abs(factor - 1.0) > 1e-9:
            self.scale(factor, factor)
            self.zoomChanged.emit(self.zoom)

    def zoom_in(self) -> None:
        self._zoom_centred(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._zoom_centred(self.zoom / ZOOM_STEP)

    def reset_zoom(self) -> None:
        self._zoom_centred(1.0)

    def _zoom_centred(self, zoom: float) -> None:
        anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.set_zoom(zoom)
        self.setTransformationAnchor(anchor)

    def fit_to_view(self) -> None:
        """Show every node, never magnified beyond 100 % (a lone node stays its real size).

        While the gradient legend shows, the nodes are fitted above a band kept free for it
        along the bottom, so it covers none of them."""
        items = list(self._scene.nodes.values())
        if not items:
            self.set_zoom(1.0)
            self.centerOn(0, 0)
            return
        rect = QRectF()
        for item in items + list(self._scene.edges.values()):
            rect = rect.united(item.sceneBoundingRect())
        rect.adjust(-40, -40, 40, 40)
        reserve = self.legend_reserve()
        port = self.viewport().rect()
        room = max(port.height() - reserve, port.height() // 2)
        self.set_zoom(min(max(min(port.width() / rect.width(), room / rect.height()), MIN_ZOOM), 1.0))
        self.centerOn(rect.center() + QPointF(0, (port.height() - room) / 2 / self.zoom))
        self._place_legend()
        self.zoomChanged.emit(self.zoom)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.set_zoom(self.zoom * 1.0015 ** delta)
        event.accept()

    # ------------------------------------------------------------------ pan
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            now = event.position().toPoint()
            delta = now - self._pan_from
            self._pan_from = now
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    # ------------------------------------------------------------------ painting
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        colors = self._scene.colors
        painter.fillRect(rect, colors.background)
        step = GRID if self.zoom >= 0.5 else GRID * MAJOR_EVERY
        left = int(rect.left() // step)
        top = int(rect.top() // step)
        minor = QPen(colors.grid, 0)
        major = QPen(colors.grid_major, 0)
        for i in range(left, int(rect.right() // step) + 1):
            x = i * step
            painter.setPen(major if round(x / GRID) % MAJOR_EVERY == 0 else minor)
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        for j in range(top, int(rect.bottom() // step) + 1):
            y = j * step
            painter.setPen(major if round(y / GRID) % MAJOR_EVERY == 0 else minor)
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if self._scene.nodes:
            return
        painter.save()
        painter.resetTransform()
        font = QFont(painter.font())
        font.setPointSizeF(12)
        painter.setFont(font)
        painter.setPen(self._scene.colors.text_dim)
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter,
                         "Drag layers from the palette onto the canvas\n"
                         "then drag from an output port ● to an input port to connect them")
        painter.restore()
