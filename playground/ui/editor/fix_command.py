"""The advisor's one-click fix as one undoable edit of the open project.

``playground.core.edits.apply_fix`` computes the fixed project (validated, or a ``UserError``
naming the edit); ``ApplyFixCommand`` swaps the document between the project as it was and
as fixed: the network (nodes, edges, layout, in their order), the training settings and the
dataset, whichever the fix changed. Undo gives back exactly what was there.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from playground.core.edits import apply_fix
from playground.core.graph import Graph
from playground.core.params import UserError
from playground.core.project import Project

if TYPE_CHECKING:
    from playground.ui.document import ProjectDocument


def _state(project: Project) -> tuple[Graph, dict[str, Any], dict[str, Any]]:
    return project.graph.copy(), copy.deepcopy(project.training), copy.deepcopy(project.dataset)


class ApplyFixCommand(QUndoCommand):
    """Replace what a fix changes, in one step named after the fix ("Fix: Use ReLU + He ...")."""

    def __init__(self, document: ProjectDocument, fixed: Project, label: str,
                 parent: QUndoCommand | None = None) -> None:
        super().__init__(f"Fix: {label}", parent)
        self.document = document
        self.old = _state(document.project)
        self.new = _state(fixed)

    def redo(self) -> None:
        self._show(self.new, self.old)

    def undo(self) -> None:
        self._show(self.old, self.new)

    def _show(self, state: tuple[Graph, dict[str, Any], dict[str, Any]],
              other: tuple[Graph, dict[str, Any], dict[str, Any]]) -> None:
        graph, training, dataset = state
        doc = self.document
        if graph.to_dict() != other[0].to_dict() or graph.layout != other[0].layout:
            doc.graph.replace_with(graph)
        if training != other[1]:
            doc.set_training(copy.deepcopy(training))
        if dataset != other[2]:
            doc.set_dataset(copy.deepcopy(dataset))


def push_fix(document: ProjectDocument, fix: Mapping[str, Any], error: Callable[[str, str], None]) -> bool:
    """Apply ``fix`` to the open project as one undo step. When it does not fit the project as
    it is now (it was edited since the run), nothing changes and ``error(title, text)`` says why."""
    try:
        fixed = apply_fix(document.project, fix)
    except UserError as exc:
        error("The fix cannot be applied", f"{exc} The project may have changed since the run; train again "
              "for fresh advice.")
        return False
    document.undo_stack.push(ApplyFixCommand(document, fixed, str(fix.get("label", "advisor fix"))))
    return True
