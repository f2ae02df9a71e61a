"""Undo commands: each edit is a ``QUndoCommand`` whose redo/undo call one model method.

Commands never touch scene items; the scene follows the model's events (the habit of
Orange's ``document/commands.py``). Undo restores the exact previous state, including node
order, edge order (Concat's input order) and parameter dicts, so undoing everything gives
back the file that was opened, byte for byte.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from playground.core.datasets import REGISTRY
from playground.core.graph import Graph, Node, Point, RemovedNode
from playground.core.layers import LAYER_TYPES
from playground.core.params import Param
from playground.core.training_config import TRAINING_PARAMS

if TYPE_CHECKING:
    from playground.ui.document import ProjectDocument

#: ``QUndoCommand.id`` values of commands that merge with their predecessor.
PARAMS_ID = 1001
DATASET_ID = 1002
TRAINING_ID = 1003


#: Training settings that are sections, not one ``Param``: named as the training panel's rows
#: name them (Schedule, Gradient clipping, Early stopping, Augment).
SECTION_LABELS: dict[str, str] = {
    "scheduler": "schedule",
    "grad_clip": "gradient clipping",
    "early_stopping": "early stopping",
    "augment": "augment",
}


def in_sentence(title: str) -> str:
    """A form label inside "Change …": 'Learning rate' -> 'learning rate', but a symbol or an
    acronym keeps its capitals as the form shows them ('P', 'L1', 'KL weight')."""
    rest = title.split(" ", 1)[0][1:]
    if rest.isalpha() and rest.islower():
        return title[:1].lower() + title[1:]
    return title


def setting_label(params: Iterable[Param], name: str) -> str:
    """What the person knows a setting as: its label in the form (``Param.title``), not the
    key in the file ('lr' read "Undid: Change lr"); the key, spaced, if no schema names it."""
    title = next((p.title for p in params if p.name == name), None)
    if title is not None:
        return in_sentence(title)
    return SECTION_LABELS.get(name, name.replace("_", " "))


class AddNodeCommand(QUndoCommand):
    def __init__(self, graph: Graph, node: Node, pos: Point | None, parent: QUndoCommand | None = None) -> None:
        super().__init__(f"Add {node.type} '{node.id}'", parent)
        self.graph, self.node, self.pos = graph, copy.deepcopy(node), pos

    def redo(self) -> None:
        self.graph.add_node(copy.deepcopy(self.node), self.pos)

    def undo(self) -> None:
        self.graph.remove_node(self.node.id)


class RemoveNodeCommand(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str, parent: QUndoCommand | None = None) -> None:
        node = graph.nodes[node_id]
        super().__init__(f"Delete {node.type} '{node_id}'", parent)
        self.graph, self.node_id = graph, node_id
        self.removed: RemovedNode | None = None

    def redo(self) -> None:
        self.removed = self.graph.remove_node(self.node_id)

    def undo(self) -> None:
        assert self.removed is not None
        self.graph.restore_node(self.removed)


class ConnectCommand(QUndoCommand):
    def __init__(self, graph: Graph, src: str, dst: str, index: int | None = None,
                 parent: QUndoCommand | None = None) -> None:
        super().__init__(f"Connect {src} → {dst}", parent)
        self.graph, self.src, self.dst, self.index = graph, src, dst, index

    def redo(self) -> None:
        self.graph.connect(self.src, self.dst, index=self.index)

    def undo(self) -> None:
        self.graph.disconnect(self.src, self.dst)


class DisconnectCommand(QUndoCommand):
    def __init__(self, graph: Graph, src: str, dst: str, parent: QUndoCommand | None = None) -> None:
        super().__init__(f"Disconnect {src} → {dst}", parent)
        self.graph, self.src, self.dst = graph, src, dst
        self.index = 0

    def redo(self) -> None:
        self.index = self.graph.disconnect(self.src, self.dst)

    def undo(self) -> None:
        self.graph.connect(self.src, self.dst, index=self.index)


class MoveNodesCommand(QUndoCommand):
    """One step for a whole gesture: a drag of several nodes, or an auto-layout."""

    def __init__(self, graph: Graph, moves: Mapping[str, tuple[Point, Point]], text: str = "",
                 parent: QUndoCommand | None = None) -> None:
        n = len(moves)
        super().__init__(text or (f"Move '{next(iter(moves))}'" if n == 1 else f"Move {n} nodes"), parent)
        self.graph, self.moves = graph, dict(moves)

    def redo(self) -> None:
        for node_id, (_, new) in self.moves.items():
            self.graph.move(node_id, new)

    def undo(self) -> None:
        for node_id, (old, _) in self.moves.items():
            self.graph.move(node_id, old)


class SetParamsCommand(QUndoCommand):
    """A parameter edit. Consecutive edits of one field in one inspector session merge into a
    single step (typing 1, 2, 8 into 'units' is one undo), and an edit that returns to the
    original value disappears from the history."""

    def __init__(self, graph: Graph, node_id: str, params: Mapping[str, Any], field: str, session: int = 0,
                 parent: QUndoCommand | None = None) -> None:
        layer = LAYER_TYPES.get(graph.nodes[node_id].type)
        label = setting_label(layer.params if layer else (), field)
        super().__init__(f"Change {label} of '{node_id}'", parent)
        self.graph, self.node_id, self.field, self.session = graph, node_id, field, session
        self.old = copy.deepcopy(graph.nodes[node_id].params)
        self.new = copy.deepcopy(dict(params))

    def id(self) -> int:
        return PARAMS_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, SetParamsCommand) and (other.node_id, other.field, other.session)
                == (self.node_id, self.field, self.session)):
            return False
        self.new = other.new
        self.setObsolete(self.new == self.old)
        return True

    def redo(self) -> None:
        self.graph.set_params(self.node_id, copy.deepcopy(self.new))

    def undo(self) -> None:
        self.graph.set_params(self.node_id, copy.deepcopy(self.old))


class _SetSectionCommand(QUndoCommand):
    """Replace one section of the project file (dataset, training settings): consecutive edits
    of one field merge into one undo step, and an edit back to the original disappears."""

    command_id = -1

    def __init__(self, document: ProjectDocument, old: Mapping[str, Any], new: Mapping[str, Any], field: str,
                 text: str, parent: QUndoCommand | None = None) -> None:
        super().__init__(text, parent)
        self.document, self.field = document, field
        self.old = copy.deepcopy(dict(old))
        self.new = copy.deepcopy(dict(new))

    def id(self) -> int:
        return self.command_id

    def _merges(self, other: QUndoCommand) -> bool:
        return type(other) is type(self) and other.field == self.field

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not self._merges(other):
            return False
        self.new = other.new
        self.setObsolete(self.new == self.old)
        return True

    def redo(self) -> None:
        self._apply(copy.deepcopy(self.new))

    def undo(self) -> None:
        self._apply(copy.deepcopy(self.old))

    def _apply(self, section: dict[str, Any]) -> None:
        raise NotImplementedError


class SetDatasetCommand(_SetSectionCommand):
    """Change the project's dataset. Choosing another dataset is always its own step."""

    command_id = DATASET_ID

    def __init__(self, document: ProjectDocument, spec: Mapping[str, Any], field: str = "name",
                 parent: QUndoCommand | None = None) -> None:
        entry = REGISTRY.get(str(spec.get("name", "")))
        what = "dataset" if field == "name" else f"dataset {setting_label(entry.params if entry else (), field)}"
        super().__init__(document, document.project.dataset, spec, field, f"Change {what}", parent)

    def _merges(self, other: QUndoCommand) -> bool:
        return (super()._merges(other) and self.field != "name"
                and other.new.get("name") == self.new.get("name"))

    def _apply(self, section: dict[str, Any]) -> None:
        self.document.set_dataset(section)


class SetTrainingCommand(_SetSectionCommand):
    """Change the project's training settings."""

    command_id = TRAINING_ID

    def __init__(self, document: ProjectDocument, training: Mapping[str, Any], field: str,
                 parent: QUndoCommand | None = None) -> None:
        super().__init__(document, document.project.training, training, field,
                         f"Change {setting_label(TRAINING_PARAMS, field)}", parent)

    def _apply(self, section: dict[str, Any]) -> None:
        self.document.set_training(section)
