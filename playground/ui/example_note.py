"""The side note of an open example: what to look at, what to change next, and why.

An example is a lecture to try, and its lesson (``core.examples.Lesson``) is what turns the
network on the canvas into one. So when an example opens, its note comes up in a "Lesson" dock
tabbed with the Inspector: beside the canvas rather than on it (a card over the canvas hid the
network in a 1024x700 window), in the space the Inspector leaves empty while no node is
selected. Selecting a node brings the Inspector to the front, as before; the Lesson tab, its
close button and ``toggleViewAction`` (View > Panels, Ctrl+Shift+E) show or dismiss the note.
Opening anything but an example takes the note away, so it never describes another network.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QVBoxLayout, QWidget

from playground.core.examples import LESSON_PARTS, Example, Lesson
from playground.ui.editor.scene import GraphScene
from playground.ui.scrolling import scrolling
from playground.ui.theme import ThemeManager

SHORTCUT = "Ctrl+Shift+E"


def has_note(lesson: Lesson) -> bool:
    """Whether there is anything to show: an example missing from the notes file has not."""
    return any((lesson.note, *(getattr(lesson, key) for key in LESSON_PARTS)))


class ExampleNoteDock(QDockWidget):
    """The "Lesson" dock of ``window``, tabbed with ``inspector`` (a dock of the same window);
    ``scene`` is the canvas whose node selection brings the Inspector back to the front."""

    def __init__(self, window: QMainWindow, inspector: QDockWidget, scene: GraphScene, theme: ThemeManager) -> None:
        super().__init__("Lesson", window)
        self.setObjectName("exampleNoteDock")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self._inspector = inspector
        self._scene = scene
        self._theme = theme
        self.example: Example | None = None

        self.topic = QLabel()
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        page = QWidget()
        page.setObjectName("lessonPage")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.setSpacing(2)
        for label in (self.topic, self.title, self.body):
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            layout.addWidget(label)
        layout.addStretch(1)
        self.setWidget(scrolling(page, horizontal=False))

        action = self.toggleViewAction()
        action.setText("&Lesson")
        action.setShortcut(QKeySequence(SHORTCUT))
        action.setStatusTip("Show or hide the open example's lesson: what to look at, what to change, why")
        action.setEnabled(False)
        action.triggered.connect(lambda shown: shown and self.raise_())
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self)
        window.tabifyDockWidget(inspector, self)
        theme.changed.connect(self._restyle)
        scene.selectionChanged.connect(self._on_selection)
        self._restyle()
        self.hide()

    def show_for(self, example: Example | None) -> None:
        """Show ``example``'s lesson in front of the Inspector; an example without a note, or
        None (a project of the person's own), hides the dock and disables its toggle."""
        self.example = example if example is not None and has_note(example.lesson) else None
        self.toggleViewAction().setEnabled(self.example is not None)
        if self.example is None:
            self.hide()
            return
        lesson = self.example.lesson
        self.topic.setText(escape(lesson.topic.upper()))
        self.title.setText(escape(self.example.title))
        self.setToolTip(lesson.note)
        self._fill_body()
        self.show()
        self.raise_()

    def setVisible(self, visible: bool) -> None:  # noqa: N802 (Qt's name)
        """Never shown without a lesson: a window layout saved while an example was open would
        otherwise restore an empty Lesson tab beside another project."""
        super().setVisible(visible and self.example is not None)

    @Slot()
    def _on_selection(self) -> None:
        """A node's settings matter more than the note once one is picked: the Inspector comes
        to the front (the Lesson tab is one click away)."""
        if self.example is not None and self._scene.selected_node_ids():
            self._inspector.raise_()

    def _fill_body(self) -> None:
        if self.example is None:
            return
        lesson = self.example.lesson
        accent = self._theme.colors.accent.name()
        parts = [(heading, getattr(lesson, key)) for key, heading in LESSON_PARTS.items() if getattr(lesson, key)]
        if not parts:  # an older notes file: the one-line note alone
            parts = [("Note", lesson.note)]
        self.body.setText("".join(
            f"<p style='margin-top:8px'><b style='color:{accent}'>{escape(heading)}</b><br>{escape(text)}</p>"
            for heading, text in parts))

    @Slot()
    def _restyle(self) -> None:
        colors = self._theme.colors
        self.topic.setStyleSheet(f"color: {colors.text_dim.name()}; font-size: 8pt; letter-spacing: 1px;")
        self.title.setStyleSheet("font-weight: bold; font-size: 11pt;")
        self._fill_body()
