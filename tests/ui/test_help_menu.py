"""The Help menu (shortcuts, lecture notes, examples, about), its place in the menu bar, and
the window's keyboard shortcuts: none shared, none that the desktop keeps for itself."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

import playground
from playground.ui import help as help_module
from playground.ui.main_window import MainWindow
from tests.ui.helpers import ScriptedPrompts

Factory = Callable[..., MainWindow]
PORTABLE = QKeySequence.SequenceFormat.PortableText
#: Cmd+H hides the application on macOS, Cmd+Alt+H hides the others, Cmd+M minimises.
RESERVED = ("Ctrl+H", "Ctrl+Alt+H", "Ctrl+M")


def all_actions(window: MainWindow) -> list[QAction]:
    """Every action of the window: its children (docks, workspace, undo stack) and every menu's."""
    found: dict[QAction, None] = dict.fromkeys(window.findChildren(QAction))

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            found.setdefault(action)
            if isinstance(action.menu(), QMenu):
                walk(action.menu())

    for top in window.menuBar().actions():
        if isinstance(top.menu(), QMenu):
            walk(top.menu())
    return list(found)


def test_help_is_the_last_menu_after_training(make_window: Factory) -> None:
    window = make_window()
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[-1] == "&Help"
    assert "&Training" in titles
    assert titles.index("&Training") < titles.index("&Help")
    texts = [a.text() for a in window.help_menu.actions()]
    assert texts[:3] == ["&Keyboard Shortcuts", "&Lecture Notes", "&Examples"]
    assert window.examples_menu.menuAction() in window.help_menu.actions(), "the same menu as File > Examples"
    assert texts[-1] == "&About"


def test_no_two_actions_share_a_shortcut_and_none_is_reserved(make_window: Factory) -> None:
    window = make_window()
    owners: dict[str, list[str]] = {}
    for action in all_actions(window):
        for key in {k.toString(PORTABLE) for k in action.shortcuts() if not k.isEmpty()}:
            owners.setdefault(key, []).append(action.text())
    assert len(owners) > 30, "the window's actions were found"
    shared = {key: names for key, names in owners.items() if len(names) > 1}
    assert not shared, f"shortcuts used twice: {shared}"
    for key in RESERVED:
        assert key not in owners, f"{key} is kept by macOS (Cmd), used by {owners[key]}"
    assert window.history_action.shortcut().toString(PORTABLE) == "Ctrl+Shift+H"


def test_the_shortcut_list_is_read_from_the_actions(make_window: Factory) -> None:
    window = make_window()
    dialog = window.show_shortcuts()
    listed = {(dialog.table.item(r, 1).text(), dialog.table.item(r, 2).text())
              for r in range(dialog.table.rowCount())}
    for action in all_actions(window):
        keys = help_module.shortcut_text(action)
        if keys and action.text():
            name = action.text().replace("&", "").replace("…", "").strip()
            assert (name, keys) in listed, f"{name} ({keys}) is missing from the list"
    menus = {dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())}
    assert {"File", "Edit", "View", "Training", "Help"} <= menus
    # A new action appears without anyone editing a list.
    window.addAction(QAction("Brand New Thing", window, shortcut=QKeySequence("Ctrl+Alt+B")))
    dialog.close()
    texts = [r[1] for r in help_module.shortcut_rows(window)]
    assert "Brand New Thing" in texts


def test_the_shortcut_list_shows_only_keys_of_an_ordinary_keyboard(make_window: Factory) -> None:
    """Defect: on X11 Undo read "Ctrl+Z, F14, Undo" (the standard bindings add F14 and the
    named Undo key). Each binding is given explicitly here, so the test does not depend on the
    platform's key scheme."""
    window = make_window()
    native = QKeySequence.SequenceFormat.NativeText
    key = Qt.Key
    bindings = {
        "Undo": ([QKeySequence("Ctrl+Z"), QKeySequence(key.Key_F14), QKeySequence(key.Key_Undo)], "Ctrl+Z"),
        "Redo": ([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"), QKeySequence(key.Key_Redo)],
                 "Ctrl+Shift+Z, Ctrl+Y"),
        "Delete": ([QKeySequence(key.Key_Delete), QKeySequence(key.Key_Backspace)], "Del, Backspace"),
        "Start": ([QKeySequence(key.Key_Home), QKeySequence(key.Key_Back)], "Home"),
        "Help": ([QKeySequence(key.Key_F1), QKeySequence(key.Key_Help), QKeySequence(key.Key_F35)], "F1"),
        "Media": ([QKeySequence(key.Key_Copy), QKeySequence(key.Key_Cut), QKeySequence(key.Key_Paste),
                   QKeySequence(key.Key_Find), QKeySequence(key.Key_Open), QKeySequence(key.Key_New),
                   QKeySequence(key.Key_Save), QKeySequence(key.Key_Forward), QKeySequence("Ctrl+F13")], ""),
    }
    for name, (keys, _) in bindings.items():
        action = QAction(f"Probe {name}", window)
        action.setShortcuts(keys)
        window.addAction(action)
    rows = {action: keys for _, action, keys in help_module.shortcut_rows(window)}
    for name, (_, shown) in bindings.items():
        assert rows.get(f"Probe {name}", "") == shown, name
    undo = rows[help_module._plain(window.undo_action.text())]
    assert "F14" not in undo.split(", ")
    assert "Undo" not in undo.split(", ")
    assert undo.startswith(QKeySequence("Ctrl+Z").toString(native))


def test_lecture_notes_render_markdown_read_only(make_window: Factory) -> None:
    window = make_window()
    dialog = window.show_lecture_notes()
    assert dialog is not None
    assert dialog.browser.isReadOnly()
    text = dialog.browser.toPlainText()
    assert "What the playground teaches" in text
    assert "## " not in text, "rendered as Markdown, not shown as source"
    dialog.close()


def test_the_lecture_notes_are_read_from_the_package() -> None:
    """One copy, shipped as package data, so an installed app has them as a checkout does."""
    path = help_module.lecture_notes_path()
    assert path is not None
    assert path.resolve().is_relative_to(Path(playground.__file__).resolve().parent / "resources")


def test_missing_lecture_notes_say_where_they_were_looked_for(make_window: Factory,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window()
    monkeypatch.setattr("playground.ui.main_window.lecture_notes_path", lambda: None)
    assert window.show_lecture_notes() is None
    assert isinstance(window.prompts, ScriptedPrompts)
    title, message = window.prompts.errors[-1]
    assert title == "Lecture notes not found"
    assert "lectures.md" in message


def test_about_names_the_version(make_window: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window()
    box = window.show_about()
    assert f"Version {importlib.metadata.version('nn-playground')}" in box.text()
    box.close()

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert help_module.app_version() == playground.__version__
    monkeypatch.delattr(playground, "__version__")
    assert help_module.app_version() == "unknown"
