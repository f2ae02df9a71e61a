"""What the Help menu shows: the keyboard shortcuts, the lecture notes, the version.

The shortcut list is read from the window's actions each time it opens, so a new action
or a changed key appears there without anyone keeping a second list up to date.
"""

from __future__ import annotations

from pathlib import Path

import PySide6
from PySide6.QtCore import QPointF, QRectF, Qt, qVersion
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from playground.core.datasets import resources_dir
from playground.core.version import app_version

LECTURES_FILE = "lectures.md"


def lecture_notes_candidates() -> list[Path]:
    """Where the lecture notes may be: the one copy, shipped in the package's resources (so
    an installed app has them as a checkout does)."""
    return [resources_dir() / LECTURES_FILE]


def lecture_notes_path() -> Path | None:
    return next((p for p in lecture_notes_candidates() if p.is_file()), None)


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").replace("…", "").strip()


def on_a_normal_keyboard(sequence: QKeySequence) -> bool:
    """Whether every key of ``sequence`` is on an ordinary keyboard: a printable key, or one of
    Escape … F12 (Tab, Backspace, Del, Home, the arrows, F1-F12). The platform's standard
    bindings add keys few people have: X11 gives Undo ``F14`` and the named media/edit keys
    ("Undo", "Copy", "Help", "Back"); listing them beside Ctrl+Z only confuses."""
    if sequence.isEmpty():
        return False
    for i in range(sequence.count()):
        key = sequence[i].key().value
        if key >= Qt.Key.Key_Escape.value and not key <= Qt.Key.Key_F12.value:
            return False
    return True


def shortcut_text(action: QAction) -> str:
    """The keys of ``action`` as the Shortcuts list shows them: those a person can press on an
    ordinary keyboard (``on_a_normal_keyboard``), in the action's order."""
    native = QKeySequence.SequenceFormat.NativeText
    return ", ".join(k.toString(native) for k in action.shortcuts() if on_a_normal_keyboard(k))


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every action of ``window`` that has a shortcut: those in the
    menus, in menu order and named by their menu path, then any others the window holds
    (toolbar-only or hidden actions) under "Other"."""
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, f"{path} › {_plain(action.text())}")
            elif not action.isSeparator() and id(action) not in seen:
                seen.add(id(action))
                keys = shortcut_text(action)
                if keys:
                    rows.append((path, _plain(action.text()), keys))

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu, _plain(top.text()))
    # Python wrappers of the same QAction compare equal but may differ in id(): match by key.
    listed = {(name, keys) for _, name, keys in rows}
    for action in window.findChildren(QAction):
        keys = shortcut_text(action)
        name = _plain(action.text())
        if keys and name and (name, keys) not in listed:
            listed.add((name, keys))
            rows.append(("Other", name, keys))
    return rows


def _close_row(dialog: QDialog, content: QWidget, width: int, height: int) -> None:
    """``content`` above a Close button, filling a dialog that deletes itself when closed."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(content)
    layout.addWidget(buttons)
    dialog.resize(width, height)


class ShortcutsDialog(QDialog):
    """Help > Keyboard Shortcuts: a read-only table of ``shortcut_rows``."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard Shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Shortcut"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        _close_row(self, self.table, 560, 620)


class MarkdownDialog(QDialog):
    """A read-only Markdown document in a window of its own (non-modal: the person can keep
    the notes open beside the canvas)."""

    def __init__(self, title: str, markdown: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.browser = QTextBrowser()
        self.browser.setReadOnly(True)
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(markdown)
        _close_row(self, self.browser, 720, 760)


def lock_pixmap(color: QColor, size: int = 14, ratio: float = 1.0) -> QPixmap:
    """A padlock, painted: the lock emoji shows as an empty box where no emoji font is installed."""
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 14
    p.setPen(QPen(color, 1.6 * s))
    p.setBrush(Qt.BrushStyle.NoBrush)
    shackle = QPainterPath(QPointF(4.2 * s, 6.5 * s))
    shackle.lineTo(4.2 * s, 4.6 * s)
    shackle.arcTo(QRectF(4.2 * s, 1.2 * s, 5.6 * s, 6.0 * s), 180, -180)
    shackle.lineTo(9.8 * s, 6.5 * s)
    p.drawPath(shackle)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawRoundedRect(QRectF(2.5 * s, 6.2 * s, 9 * s, 7 * s), 1.5 * s, 1.5 * s)
    p.end()
    return pixmap


def about_html(application: str) -> str:
    """The About box: name, version (what a bug report needs) and the Qt it runs on."""
    return (f"<b>{application}</b><p>Version {app_version()}</p>"
            "<p>Design, train and look inside neural networks.</p>"
            f"<p style='color: palette(placeholder-text)'>PySide6 {PySide6.__version__}, Qt {qVersion()}</p>")
