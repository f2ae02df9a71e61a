"""The canvas scene: a projection of the core ``Graph`` plus the gestures that ask to edit it.

The scene subscribes to the graph and rebuilds items from its events; it never edits the
graph. Gestures end in requests (signals) that the controller turns into undo commands:
dropping a palette entry, dragging from an output port to a node, releasing dragged nodes.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QGraphicsScene,
    QGraphicsSceneDragDropEvent,
    QGraphicsSceneMouseEvent,
)

from playground.core.graph import Edge, GraphEvent, Point
from playground.core.shapes import connection_problem
from playground.ui.document import ProjectDocument
from playground.ui.editor.items import (
    NODE_HEIGHT,
    NODE_WIDTH,
    PORT_RADIUS,
    DragEdgeItem,
    EdgeItem,
    NodeItem,
    PortItem,
    ReasonBadge,
)
from playground.ui.editor.layout import COLUMN_SPACING
from playground.ui.theme import CanvasColors

MIME_LAYER = "application/x-nn-playground-layer"
GRID = 20.0
#: Colours of the gradient-flow tint: a node repaints when its gradient norm moves by a level
#: (a sixteenth of a decade on the narrowest scale), not at every re-tint while training.
TINT_LEVELS = 33
SCENE_EXTENT = 20000.0
#: How far left of its output port the cursor must go on the source's own card before the
#: drag counts as aiming at the source itself (and is refused with the reason).
SELF_MARGIN = 24.0


class _LinkDrag:
    """State of one connection drag: the dashed curve, the node under the cursor, and why it
    may not be connected (``connection_problem``: structure, then the shapes the new edge would
    give the target). The reason is worked out when the cursor reaches another node, not on
    every move, so dragging stays smooth on a big graph."""

    def __init__(self, scene: GraphScene, src: NodeItem) -> None:
        assert src.out_port is not None
        self.scene, self.src = scene, src
        self.target: NodeItem | None = None
        self.problem: str | None = None
        self.line = DragEdgeItem(src.out_port.scenePos() + QPointF(PORT_RADIUS, 0), scene.colors)
        self.label = ReasonBadge(scene.colors)
        scene.addItem(self.line)
        scene.addItem(self.label)

    def move(self, pos: QPointF) -> None:
        target = self.scene.node_at(pos, exclude=self.src)
        if target is None and self._over_source(pos):
            target = self.src  # refused with the graph's reason, like a cycle, not silently ignored
        if target is not self.target:
            self._retarget(target)
        end = pos
        if target is not None and target.in_port is not None:
            end = target.in_port.scenePos() - QPointF(PORT_RADIUS + 1, 0)
        self.line.set_end(end, self.problem is None)
        self.label.setPos(pos + QPointF(14, 14))

    def _over_source(self, pos: QPointF) -> bool:
        """Whether the cursor is back on the node the drag started from, away from its output
        port: its own input port, or its card more than ``SELF_MARGIN`` left of its right edge.
        The margin keeps the drag's first pixels (and a vertical move along the port) quiet;
        farther in, a drop would ask the node to feed itself, which deserves its reason."""
        if self.scene.node_at(pos) is not self.src:
            return False
        in_port = self.src.in_port
        if in_port is not None and in_port.contains(in_port.mapFromScene(pos)):
            return True
        return self.src.mapFromScene(pos).x() < NODE_WIDTH - SELF_MARGIN

    def _retarget(self, target: NodeItem | None) -> None:
        if self.target is not None and self.target.in_port is not None:
            self.target.in_port.set_state("")
        self.target = target
        self.problem = None
        if target is not None:
            document = self.scene.document
            self.problem = connection_problem(document.graph, document.meta, self.src.node_id, target.node_id,
                                              document.report)
            if target.in_port is not None:
                target.in_port.set_state("bad" if self.problem else "ok")
        self.label.set_text(self.problem or "")
        self.scene.statusMessage.emit(f"Cannot connect: {self.problem}" if self.problem else "")

    def cancel(self) -> None:
        """Escape: drop the drag without connecting, and leave no port coloured."""
        self._retarget(None)
        self.finish()

    def finish(self) -> tuple[str, str] | None:
        """Remove the drag visuals; the edge to add, when the drop target accepts it."""
        if self.target is not None and self.target.in_port is not None:
            self.target.in_port.set_state("")
        self.scene.removeItem(self.line)
        self.scene.removeItem(self.label)
        if self.target is None:
            return None
        if self.problem:
            self.scene.statusMessage.emit(f"Cannot connect: {self.problem}")
            return None
        return self.src.node_id, self.target.node_id


class GraphScene(QGraphicsScene):
    """Mirrors ``document.graph`` and its shape report; emits edit requests."""

    nodeDropped = Signal(str, QPointF)
    connectRequested = Signal(str, str)
    nodesMoved = Signal(object)
    statusMessage = Signal(str)
    flowScaleChanged = Signal(object)
    #: The canvas went from empty to holding nodes (True) or back (False): the view's hint
    #: covers the whole viewport, so it must repaint all of it, not just the changed items.
    emptinessChanged = Signal(bool)

    def __init__(self, document: ProjectDocument, colors: CanvasColors, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.colors = colors
        self.snap_to_grid = True
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self._link: _LinkDrag | None = None
        self._press_positions: dict[str, QPointF] = {}
        self._dragging = False
        self.setSceneRect(-SCENE_EXTENT, -SCENE_EXTENT, 2 * SCENE_EXTENT, 2 * SCENE_EXTENT)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        document.graph.subscribe(self._on_graph_event)
        document.reportChanged.connect(self.apply_report)
        self.rebuild()

    def close(self) -> None:
        self.document.graph.unsubscribe(self._on_graph_event)

    # ------------------------------------------------------------------ gradient flow
    @Slot(dict, dict)
    def set_gradient_flow(self, norms: Mapping[str, float], flags: Mapping[str, str]) -> None:
        """Tint every node and edge by its log gradient norm on one shared scale, and badge the
        nodes the gradient view flags. An edge takes the norm of the node it feeds (the gradient
        flows back along it), or of its source when that node has no parameters. Empty
        ``norms`` clears the tint. ``flowScaleChanged`` carries the scale for the legend."""
        from playground.ui.plots.colour_scale import LogColourScale  # pyqtgraph: loaded with training

        scale = LogColourScale.around(norms.values()) if norms else None
        for node_id, item in self.nodes.items():
            value = norms.get(node_id)
            colour = scale.colour(value, TINT_LEVELS) if scale is not None and value is not None else None
            text = f"gradient norm {value:.3g}" if value is not None else ""
            item.set_flow(colour, flags.get(node_id) if scale is not None else None, text)
        for (src, dst), edge in self.edges.items():
            value = norms.get(dst, norms.get(src))
            edge.set_flow(scale.colour(value, TINT_LEVELS) if scale is not None and value is not None else None)
        self.flowScaleChanged.emit(scale)

    # ------------------------------------------------------------------ mirroring the model
    def rebuild(self) -> None:
        had_nodes = bool(self.nodes)
        for item in list(self.nodes.values()) + list(self.edges.values()):
            self.removeItem(item)
        self.nodes.clear()
        self.edges.clear()
        graph = self.document.graph
        for node_id in graph.nodes:
            self._add_node_item(node_id)
        for edge in graph.edges:
            self._add_edge_item(edge)
        if bool(self.nodes) != had_nodes:
            self.emptinessChanged.emit(bool(self.nodes))
        # Qt repaints a removed item where it last recorded painting it, and after a training
        # run that is not always where it is on screen: the old nodes' gradient tint stayed
        # drawn over the new ones (Open Run). Another project's nodes: repaint the whole canvas.
        for view in self.views():
            view.viewport().update()

    def _on_graph_event(self, event: GraphEvent) -> None:
        kind = event.kind
        if kind == "node_added" and event.node is not None:
            self._add_node_item(event.node)
            if len(self.nodes) == 1:
                self.emptinessChanged.emit(True)
        elif kind == "node_removed" and event.node is not None:
            item = self.nodes.pop(event.node)
            self.removeItem(item)
            if not self.nodes:
                self.emptinessChanged.emit(False)
        elif kind == "edge_added" and event.edge is not None:
            self._add_edge_item(event.edge)
        elif kind == "edge_removed" and event.edge is not None:
            edge_item = self.edges.pop(event.edge)
            edge_item.src.edges.remove(edge_item)
            edge_item.dst.edges.remove(edge_item)
            self.removeItem(edge_item)
        elif kind == "moved" and event.node is not None:
            self.nodes[event.node].setPos(self._model_pos(event.node))
        elif kind == "reset":
            self.rebuild()

    def _model_pos(self, node_id: str) -> QPointF:
        pos = self.document.graph.layout.get(node_id)
        if pos is not None:
            return QPointF(*pos)
        others = [i.pos().x() for k, i in self.nodes.items() if k != node_id]
        return QPointF(max(others) + COLUMN_SPACING if others else 0.0, 0.0)

    def _add_node_item(self, node_id: str) -> None:
        node = self.document.graph.nodes[node_id]
        item = NodeItem(node_id, node.type, self.colors, snap=self.snapped)
        item.setPos(self._model_pos(node_id))
        self.nodes[node_id] = item
        self.addItem(item)
        item.apply_report(self.document.report.nodes.get(node_id), self._data_known())

    def _add_edge_item(self, edge: Edge) -> None:
        src, dst = self.nodes[edge[0]], self.nodes[edge[1]]
        item = EdgeItem(src, dst, self.colors)
        src.edges.append(item)
        dst.edges.append(item)
        self.edges[edge] = item
        self.addItem(item)

    def _data_known(self) -> bool:
        return self.document.meta is not None or self.document.meta_error is not None

    @Slot()
    def apply_report(self) -> None:
        report, known = self.document.report, self._data_known()
        for node_id, item in self.nodes.items():
            item.apply_report(report.nodes.get(node_id), known)

    def set_colors(self, colors: CanvasColors) -> None:
        """Switch theme: every item is handed the new colours (items never ask the scene)."""
        self.colors = colors
        for item in [*self.nodes.values(), *self.edges.values()]:
            item.set_colors(colors)
        if self._link is not None:
            self._link.line.set_colors(colors)
            self._link.label.set_colors(colors)
        for view in self.views():  # their cached background has the old colours
            view.resetCachedContent()
        self.update()

    # ------------------------------------------------------------------ queries
    def selected_node_ids(self) -> list[str]:
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [n for n in self.document.graph.nodes if n in chosen]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for node_id in node_ids:
            if node_id in self.nodes:
                self.nodes[node_id].setSelected(True)

    def positions(self) -> dict[str, Point]:
        """Where each node is drawn (its layout entry, or where the scene placed it)."""
        return {k: (i.pos().x(), i.pos().y()) for k, i in self.nodes.items()}

    def node_at(self, pos: QPointF, exclude: NodeItem | None = None) -> NodeItem | None:
        """The node under ``pos``, or whose input port is within a few pixels of it."""
        for item in self.items(QRectF(pos - QPointF(10, 10), pos + QPointF(10, 10))):
            node = item.node if isinstance(item, PortItem) else item
            if isinstance(node, NodeItem) and node is not exclude and (
                    isinstance(item, PortItem) or node.contains(node.mapFromScene(pos))):
                return node
        return None

    def snapped(self, pos: QPointF) -> QPointF:
        """``pos`` on the grid while the user drags nodes with snapping on; unchanged otherwise."""
        if not (self._dragging and self.snap_to_grid):
            return pos
        return self.snap(pos)

    def snap(self, pos: QPointF) -> QPointF:
        if not self.snap_to_grid:
            return pos
        return QPointF(round(pos.x() / GRID) * GRID, round(pos.y() / GRID) * GRID)

    def drop_position(self, scene_pos: QPointF) -> QPointF:
        """Top-left of a node dropped with its centre under the cursor."""
        return self.snap(scene_pos - QPointF(NODE_WIDTH / 2, NODE_HEIGHT / 2))

    # ------------------------------------------------------------------ gestures
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._link is None:
            port = self._output_port_at(event.scenePos())
            if port is not None:
                self._link = _LinkDrag(self, port.node)
                self._link.move(event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_positions = {i.node_id: i.pos() for i in self.selectedItems() if isinstance(i, NodeItem)}
            self._dragging = bool(self._press_positions)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._link is not None:
            self._link.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._link is not None and event.button() == Qt.MouseButton.LeftButton:
            link, self._link = self._link, None
            edge = link.finish()
            if edge is not None:
                self.connectRequested.emit(*edge)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self._dragging:
            self._dragging = False
            moves = {}
            for node_id, old in self._press_positions.items():
                item = self.nodes.get(node_id)
                if item is not None and item.pos() != old:
                    moves[node_id] = ((old.x(), old.y()), (item.pos().x(), item.pos().y()))
            self._press_positions = {}
            if moves:
                self.nodesMoved.emit(moves)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self._link is not None:
            self._link.cancel()
            self._link = None
            self.statusMessage.emit("")
            return
        super().keyPressEvent(event)

    def _output_port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem) and item.kind == "out":
                return item
        return None

    # ------------------------------------------------------------------ palette drops
    def dragEnterEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        event.setAccepted(event.mimeData().hasFormat(MIME_LAYER))

    def dragMoveEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        if event.mimeData().hasFormat(MIME_LAYER):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        data = event.mimeData()
        if not data.hasFormat(MIME_LAYER):
            event.ignore()
            return
        type_name = bytes(data.data(MIME_LAYER).data()).decode("utf-8")
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.nodeDropped.emit(type_name, self.drop_position(event.scenePos()))

