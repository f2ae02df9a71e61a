"""Turns requests from the canvas, palette, inspector and menus into undo commands.

Every edit a person makes goes through here and onto the document's ``QUndoStack`` (the role
of Orange's ``SchemeEditWidget``); compound edits (delete a selection, paste, insert a node
into a chain) become one macro, so one Undo takes back one user action.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QMimeData, QObject, QPointF, Signal, Slot
from PySide6.QtGui import QGuiApplication, QUndoStack

from playground.core.graph import Graph, Node, Point
from playground.core.layers import LAYER_TYPES
from playground.core.params import non_default
from playground.core.shapes import connection_problem
from playground.ui.document import ProjectDocument
from playground.ui.editor.clipboard import MIME_NODES, clip_to_text, parse_clip, place_clip
from playground.ui.editor.commands import (
    AddNodeCommand,
    ConnectCommand,
    DisconnectCommand,
    MoveNodesCommand,
    RemoveNodeCommand,
    SetDatasetCommand,
    SetParamsCommand,
    SetTrainingCommand,
)
from playground.ui.editor.layout import COLUMN_SPACING, layered_layout
from playground.ui.editor.scene import GraphScene


def id_stem(type_name: str) -> str:
    """The id stem of a new node: 'Conv2d' -> 'conv', so ids read conv1, conv2, dense1."""
    return re.sub(r"2d$", "", type_name.lower())


class EditorController(QObject):
    """The one place where user gestures become model edits."""

    statusMessage = Signal(str)

    def __init__(self, document: ProjectDocument, scene: GraphScene, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.scene = document, scene
        self._session = 0
        scene.nodeDropped.connect(self.add_node)
        scene.connectRequested.connect(self.connect_nodes)
        scene.nodesMoved.connect(self.move_nodes)

    @property
    def graph(self) -> Graph:
        return self.document.graph

    @property
    def stack(self) -> QUndoStack:
        return self.document.undo_stack

    # ------------------------------------------------------------------ nodes and edges
    @Slot(str, QPointF)
    def add_node(self, type_name: str, pos: QPointF) -> str:
        """Add a node of ``type_name`` with its top-left at ``pos``; returns its id."""
        if type_name not in LAYER_TYPES:
            self.statusMessage.emit(f"Unknown layer type '{type_name}'")
            return ""
        node = Node(self.graph.unique_id(id_stem(type_name)), type_name)
        self.stack.push(AddNodeCommand(self.graph, node, (pos.x(), pos.y())))
        self.scene.select_nodes([node.id])
        self.statusMessage.emit(f"Added {type_name} '{node.id}'")
        return node.id

    def insert_after(self, type_name: str) -> str:
        """Add a node after the selected one and wire it in; a node that fed something else now
        feeds the new node, which feeds that (the rest of the chain moves right to make room)."""
        selected = self.scene.selected_node_ids()
        positions = self.scene.positions()
        if len(selected) != 1:
            right = max((x for x, _ in positions.values()), default=-COLUMN_SPACING)
            return self.add_node(type_name, QPointF(right + COLUMN_SPACING, 0.0))
        anchor = selected[0]
        ax, ay = positions[anchor]
        node = Node(self.graph.unique_id(id_stem(type_name)), type_name)
        downstream = self.graph.outputs_of(anchor)
        self.stack.beginMacro(f"Insert {type_name} '{node.id}' after '{anchor}'")
        self.stack.push(AddNodeCommand(self.graph, node, (ax + COLUMN_SPACING, ay)))
        problem = self.connection_problem(anchor, node.id)
        if problem is None:
            if len(downstream) == 1 and LAYER_TYPES[type_name].min_outputs:
                after = downstream[0]
                moved = self.graph.reachable_from(after)
                unwire = DisconnectCommand(self.graph, anchor, after)
                self.stack.push(unwire)
                self.stack.push(ConnectCommand(self.graph, anchor, node.id, index=unwire.index))
                self.stack.push(ConnectCommand(self.graph, node.id, after, index=unwire.index + 1))
                shifts = {n: (positions[n], (positions[n][0] + COLUMN_SPACING, positions[n][1]))
                          for n in moved if n in positions}
                self.stack.push(MoveNodesCommand(self.graph, shifts))
            else:
                self.stack.push(ConnectCommand(self.graph, anchor, node.id))
        self.stack.endMacro()
        self.scene.select_nodes([node.id])
        self.statusMessage.emit(f"Added {type_name} '{node.id}'" + (f", not connected: {problem}" if problem else
                                                                    f" after '{anchor}'"))
        return node.id

    def connection_problem(self, src: str, dst: str) -> str | None:
        """Why ``src -> dst`` may not be added, by the rules the canvas drag shows: structure,
        then the shapes the edge would give ``dst`` on the current dataset."""
        return connection_problem(self.graph, self.document.meta, src, dst, self.document.report)

    @Slot(str, str)
    def connect_nodes(self, src: str, dst: str) -> bool:
        """Add the edge, or refuse it with the reason in the status bar (however it was asked)."""
        problem = self.connection_problem(src, dst)
        if problem:
            self.statusMessage.emit(f"Cannot connect: {problem}")
            return False
        self.stack.push(ConnectCommand(self.graph, src, dst))
        self.statusMessage.emit(f"Connected {src} → {dst}")
        return True

    @Slot(object)
    def move_nodes(self, moves: Mapping[str, tuple[Point, Point]]) -> None:
        self.stack.push(MoveNodesCommand(self.graph, moves))

    def delete_selection(self, label: str = "Delete") -> int:
        """Delete the selected nodes (with their edges) and the selected edges, as one step."""
        nodes = self.scene.selected_node_ids()
        edges = [e for e in self.scene.selected_edges() if e[0] not in nodes and e[1] not in nodes]
        count = len(nodes) + len(edges)
        if not count:
            return 0
        if count == 1:
            what = f"'{nodes[0]}'" if nodes else f"{edges[0][0]} → {edges[0][1]}"
        else:
            what = f"{count} " + ("nodes" if not edges else "connections" if not nodes else "items")
        self.stack.beginMacro(f"{label} {what}")
        for src, dst in edges:
            self.stack.push(DisconnectCommand(self.graph, src, dst))
        for node_id in nodes:
            self.stack.push(RemoveNodeCommand(self.graph, node_id))
        self.stack.endMacro()
        self.statusMessage.emit(f"{label}: {what}")
        return count

    def select_all(self) -> None:
        self.scene.select_nodes(list(self.graph.nodes))

    def auto_layout(self) -> None:
        """Arrange the network in columns by longest path from the Input, left to right."""
        current = self.scene.positions()
        target = {k: (self.scene.snap(QPointF(*p)).x(), self.scene.snap(QPointF(*p)).y())
                  for k, p in layered_layout(self.graph, current).items()}
        moves = {k: (current[k], target[k]) for k in target if current.get(k) != target[k]}
        if moves:
            self.stack.push(MoveNodesCommand(self.graph, moves, "Auto-layout"))
        self.statusMessage.emit("Arranged the network left to right" if moves else "Already arranged")

    # ------------------------------------------------------------------ parameters and dataset
    def new_session(self) -> None:
        """Start a new inspector session: later edits no longer merge with earlier ones."""
        self._session += 1

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set one parameter; values equal to the default are left out of the file."""
        node = self.graph.nodes.get(node_id)
        if node is None:
            return
        params = dict(node.params)
        params[name] = value
        params = non_default(LAYER_TYPES[node.type].params, params)
        if params != node.params:
            self.stack.push(SetParamsCommand(self.graph, node_id, params, name, self._session))

    def set_dataset(self, spec: Mapping[str, Any], field: str = "name") -> None:
        if dict(spec) != self.document.project.dataset:
            self.stack.push(SetDatasetCommand(self.document, spec, field))

    def set_training(self, training: Mapping[str, Any]) -> None:
        """An undoable change of the training settings; the changed key names the step."""
        old = self.document.project.training
        changed = sorted(k for k in set(old) | set(training) if old.get(k) != training.get(k))
        if changed:
            self.stack.push(SetTrainingCommand(self.document, training, changed[0]))

    # ------------------------------------------------------------------ clipboard
    def _selection_text(self) -> str | None:
        nodes = self.scene.selected_node_ids()
        return clip_to_text(self.graph, nodes, self.scene.positions()) if nodes else None

    def copy(self) -> bool:
        text = self._selection_text()
        if text is None:
            self.statusMessage.emit("Select nodes to copy")
            return False
        mime = QMimeData()
        mime.setData(MIME_NODES, text.encode("utf-8"))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        n = len(self.scene.selected_node_ids())
        self.statusMessage.emit(f"Copied {n} node{'s' if n != 1 else ''}")
        return True

    def release_clipboard(self) -> None:
        """Swap our rich clipboard entry for the same JSON as plain text (which paste also reads).

        Called when the window closes: PySide 6.12 crashes at interpreter exit while the
        clipboard still owns a ``QMimeData`` created from Python."""
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        if mime is not None and mime.hasFormat(MIME_NODES):
            clipboard.setText(mime.text())

    def cut(self) -> None:
        if self.copy():
            self.delete_selection("Cut")

    def paste(self) -> list[str]:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return []
        text = bytes(mime.data(MIME_NODES).data()).decode("utf-8") if mime.hasFormat(MIME_NODES) else mime.text()
        return self._paste_text(text, "Paste")

    def duplicate(self) -> list[str]:
        text = self._selection_text()
        return self._paste_text(text, "Duplicate") if text else []

    def _paste_text(self, text: str, label: str) -> list[str]:
        clip = parse_clip(text)
        if clip is None:
            self.statusMessage.emit("The clipboard holds no nodes to paste")
            return []
        placed = place_clip(self.graph, clip, set(self.scene.positions().values()))
        ids = [n.id for n, _ in placed.nodes]
        self.stack.beginMacro(f"{label} {len(ids)} node{'s' if len(ids) != 1 else ''}")
        for node, pos in placed.nodes:
            self.stack.push(AddNodeCommand(self.graph, node, pos))
        for src, dst in placed.edges:
            self.stack.push(ConnectCommand(self.graph, src, dst))
        self.stack.endMacro()
        self.scene.select_nodes(ids)
        self.statusMessage.emit(f"{label}: {', '.join(ids)}")
        return ids
