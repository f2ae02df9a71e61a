"""The open project as the editor sees it: project data, undo stack, dataset state and the
latest shape report.

The core ``Graph`` stays the single source of truth. The document subscribes to it and
re-runs shape inference (core) after every change, so every view reads one ``report``.
Dataset and name edits go through the document's own model methods, which undo commands
call, exactly like graph edits go through ``Graph`` methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoStack

from playground.core.datasets import Dataset, DatasetMeta, resolve_dataset_spec
from playground.core.graph import Graph, GraphEvent
from playground.core.project import Project, new_project
from playground.core.shapes import ShapeReport, infer_shapes
from playground.ui.dataset_loader import DatasetLoader


class ProjectDocument(QObject):
    """Owns the open ``Project`` and tells views when its report or dataset changes."""

    reportChanged = Signal()
    datasetChanged = Signal()
    trainingChanged = Signal()
    datasetStateChanged = Signal()
    projectReset = Signal()
    pathChanged = Signal()

    def __init__(self, project: Project | None = None, parent: QObject | None = None, *,
                 hold_loading: bool = False) -> None:
        super().__init__(parent)
        self.project = project if project is not None else new_project()
        self.undo_stack = QUndoStack(self)
        #: ``hold_loading``: datasets load once ``loader.release()`` is called (the window calls
        #: it at its first paint)
        self.loader = DatasetLoader(self, held=hold_loading)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.meta: DatasetMeta | None = None
        self.meta_error: str | None = None
        self.dataset: Dataset | None = None
        self.dataset_error: str | None = None
        self._token = 0
        self.report: ShapeReport = infer_shapes(self.graph, None)
        self.graph.subscribe(self._on_graph_event)
        self._refresh_dataset()

    # ------------------------------------------------------------------ properties
    @property
    def graph(self) -> Graph:
        return self.project.graph

    @property
    def path(self) -> Path | None:
        return self.project.path

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        return self.project.name or "Untitled"

    # ------------------------------------------------------------------ model methods
    def replace(self, project: Project, *, modified: bool = False) -> None:
        """Show another project (New, Open, restore) in the same graph object, so every view
        stays subscribed; the undo history starts afresh."""
        graph = self.graph
        self.project = Project(project.name, dict(project.dataset), graph, dict(project.training), project.path)
        graph.replace_with(project.graph)
        self.undo_stack.clear()
        if modified:
            self.undo_stack.resetClean()
        else:
            self.undo_stack.setClean()
        self._refresh_dataset()
        self.projectReset.emit()
        self.pathChanged.emit()

    def set_dataset(self, spec: Mapping[str, Any]) -> None:
        """Replace the dataset spec (called by the undo command, never directly by views)."""
        self.project.dataset = dict(spec)
        self._refresh_dataset()
        self.datasetChanged.emit()

    def set_training(self, training: Mapping[str, Any]) -> None:
        """Replace the training settings (called by the undo command, never directly by views)."""
        self.project.training = dict(training)
        self.trainingChanged.emit()

    def network_problems(self) -> list[str]:
        """Every reason the network cannot be built and trained now (empty when it can)."""
        return [p.message for p in self.report.problems]

    def mark_saved(self, path: Path) -> None:
        self.project.path = Path(path)
        self.undo_stack.setClean()
        self.pathChanged.emit()

    def revalidate(self) -> None:
        self.report = infer_shapes(self.graph, self.meta)
        self.reportChanged.emit()

    def shutdown(self) -> None:
        """Stop listening and wait for the loader thread; call before the window goes away."""
        self.graph.unsubscribe(self._on_graph_event)
        self.loader.shutdown()

    # ------------------------------------------------------------------ internals
    def _on_graph_event(self, event: GraphEvent) -> None:
        if event.kind != "moved":
            self.revalidate()

    def _refresh_dataset(self) -> None:
        """Shapes come from the entry's cheap ``meta`` at once; the data itself (for the preview,
        and the shapes of file datasets) is loaded in the background."""
        ctx = self.project.load_context()
        entry, params, problems = resolve_dataset_spec(self.project.dataset, ctx)
        self.dataset = None
        self.dataset_error = None
        self.meta = None
        self.meta_error = None
        if problems or entry is None:
            self.meta_error = self.dataset_error = "; ".join(p.message for p in problems)
            self._token = 0
        else:
            if entry.meta is not None:
                self.meta = entry.meta(params)
            self._token = self.loader.request(self.project.dataset, ctx)
        self.revalidate()
        self.datasetStateChanged.emit()

    @Slot(int, object)
    def _on_loaded(self, token: int, dataset: Dataset) -> None:
        if token != self._token:
            return
        self.dataset = dataset
        if self.meta is None:
            self.meta = dataset.meta
            self.revalidate()
        self.datasetStateChanged.emit()

    @Slot(int, str)
    def _on_failed(self, token: int, message: str) -> None:
        if token != self._token:
            return
        self.dataset_error = message
        if self.meta is None:
            self.meta_error = message
            self.revalidate()
        self.datasetStateChanged.emit()
