"""Helpers for UI tests: scripted dialogs, projects, and simulated mouse gestures on the canvas."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from playground.core.graph import Graph, Node
from playground.core.project import Project, new_project
from playground.ui.editor.items import NODE_WIDTH
from playground.ui.main_window import MainWindow, Prompts
from playground.ui.theme import CanvasColors, ThemeManager

W = TypeVar("W", bound=QWidget)


class ScriptedPrompts(Prompts):
    """Answers dialogs from attributes and records what was asked."""

    def __init__(self) -> None:
        self.save_answer = "discard"
        self.restore_answer = True
        self.paths: list[str] = []
        self.errors: list[tuple[str, str]] = []
        self.asked: list[str] = []
        #: The folder (or suggested file) each file dialog was asked to start in.
        self.directories: list[str] = []

    def ask_save_changes(self, parent: QWidget, name: str) -> str:
        self.asked.append(f"save:{name}")
        return self.save_answer

    def ask_restore(self, parent: QWidget, description: str) -> bool:
        self.asked.append(f"restore:{description}")
        return self.restore_answer

    def show_error(self, parent: QWidget, title: str, message: str) -> None:
        self.errors.append((title, message))

    def _next_path(self) -> str | None:
        return self.paths.pop(0) if self.paths else None

    def open_path(self, parent: QWidget, title: str, directory: str) -> str | None:
        self.directories.append(directory)
        return self._next_path()

    def save_path(self, parent: QWidget, title: str, directory: str) -> str | None:
        self.directories.append(directory)
        return self._next_path()

    def choose_path(self, parent: QWidget, title: str, name_filter: str, folder: bool,
                    directory: str = "") -> str | None:
        self.directories.append(directory)
        return self._next_path()


#: The ``set_theme`` fixture: switch the application to these colours.
SetTheme = Callable[[CanvasColors], None]


def show_at(qtbot: QtBot, widget: W, width: int, height: int) -> W:
    """Show ``widget`` at ``width`` x ``height`` (closed after the test) once it is exposed."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def blank_project(dataset: dict | None = None) -> Project:
    template = new_project()
    return Project("Blank", dataset or {"name": "digits"}, Graph(), template.training)


def chain(*nodes: tuple[str, str], dataset: dict | None = None) -> Project:
    """A project whose nodes are wired in a row, 220 px apart."""
    project = blank_project(dataset)
    for i, (node_id, type_name) in enumerate(nodes):
        project.graph.add_node(Node(node_id, type_name), (i * 220, 0))
        if i:
            project.graph.connect(nodes[i - 1][0], node_id)
    return project


def wait_idle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.document.loader.busy, timeout=10000)


# ---------------------------------------------------------------------- mouse gestures
def viewport_point(window: MainWindow, scene_pos: QPointF) -> QPoint:
    """Where ``scene_pos`` is on the view's viewport, scrolling it into view first."""
    view = window.view
    view.ensureVisible(scene_pos.x() - 5, scene_pos.y() - 5, 10, 10, 80, 80)
    return view.mapFromScene(scene_pos)


def drop_layer(window: MainWindow, type_name: str, scene_pos: QPointF) -> None:
    """Drag ``type_name`` from the palette and drop it at ``scene_pos`` (the drag's mime data
    comes from the palette itself; the drop events go to the view's viewport)."""
    tree = window.palette_widget.tree
    mime: QMimeData = tree.mimeData([tree.type_items()[type_name]])
    viewport = window.view.viewport()
    at = QPointF(viewport_point(window, scene_pos))
    actions, button, mods = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(at.toPoint(), actions, mime, button, mods)
    QApplication.sendEvent(viewport, enter)
    move = QDragMoveEvent(at.toPoint(), actions, mime, button, mods)
    QApplication.sendEvent(viewport, move)
    drop = QDropEvent(at, actions, mime, button, mods)
    QApplication.sendEvent(viewport, drop)


def mouse_drag(window: MainWindow, start: QPointF, end: QPointF, steps: int = 6,
               button: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    """Press at ``start``, move in steps, release at ``end`` (scene coordinates)."""
    viewport = window.view.viewport()
    a = viewport_point(window, start)
    b = window.view.mapFromScene(end)
    QTest.mousePress(viewport, button, Qt.KeyboardModifier.NoModifier, a)
    for i in range(1, steps + 1):
        QTest.mouseMove(viewport, a + (b - a) * (i / steps))
    QTest.mouseRelease(viewport, button, Qt.KeyboardModifier.NoModifier, b)


def drag_connect(window: MainWindow, src: str, dst: str) -> None:
    """Drag from ``src``'s output port to ``dst``'s input port."""
    nodes = window.scene.nodes
    out_port, in_port = nodes[src].out_port, nodes[dst].in_port
    assert out_port is not None
    target = in_port.scenePos() if in_port is not None else nodes[dst].center()
    mouse_drag(window, out_port.scenePos(), target)


def drag_node(window: MainWindow, node_id: str, delta: QPointF) -> None:
    item = window.scene.nodes[node_id]
    grip = item.pos() + QPointF(NODE_WIDTH / 2, 12)
    mouse_drag(window, grip, grip + delta)


def close_window(window: MainWindow, theme: ThemeManager) -> None:
    """Close a test's window without a save prompt, wait for its threads, and free it and its
    theme manager (the caller then delivers the deferred deletes)."""
    window.prompts.save_answer = "discard"
    window.close()
    window.shutdown()
    window.deleteLater()
    theme.deleteLater()
