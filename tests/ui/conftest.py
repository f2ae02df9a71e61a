"""UI test fixtures: windows with temp settings and scripted dialogs.

``make_window`` is a factory (napari's ``make_napari_viewer`` habit): it points the settings
and recovery file at a temp folder, answers every dialog through ``ScriptedPrompts``, closes
each window it made, and fails the test if a thread it started is still running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from playground.core.project import Project
from playground.ui.app import create_application
from playground.ui.collector import gui_thread_gc
from playground.ui.main_window import MainWindow
from playground.ui.settings import SETTINGS_ENV
from playground.ui.theme import CanvasColors, ThemeManager, make_palette
from tests.ui.helpers import ScriptedPrompts, SetTheme, close_window, wait_idle


@pytest.fixture(autouse=True)
def gc_on_event_loop(qapp: QApplication) -> None:
    """Garbage collection as the app runs it: from the event loop, never inside a paint."""
    gui_thread_gc.install()


@pytest.fixture
def set_theme(qapp: QApplication) -> Iterator[SetTheme]:
    """Switch the whole application's palette as ThemeManager does (put back afterwards)."""
    saved = QPalette(qapp.palette())

    def switch(colors: CanvasColors) -> None:
        qapp.setPalette(make_palette(colors))
        QApplication.processEvents()

    yield switch
    qapp.setPalette(saved)
    QApplication.processEvents()


@pytest.fixture
def settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "settings"
    monkeypatch.setenv(SETTINGS_ENV, str(folder))
    return folder


@pytest.fixture
def make_window(qtbot: QtBot, qapp: QApplication, settings_dir: Path) -> Iterator[Callable[..., MainWindow]]:
    create_application()
    before = set(threading.enumerate())
    made: list[tuple[MainWindow, ThemeManager]] = []

    def factory(project: Project | None = None, *, persist: bool = True, theme: str = "light") -> MainWindow:
        manager = ThemeManager(QApplication.instance(), theme)
        window = MainWindow(manager, project, persist=persist, prompts=ScriptedPrompts())
        made.append((window, manager))
        window.show()
        window.activateWindow()
        assert QTest.qWaitForWindowActive(window)
        wait_idle(qtbot, window)
        window.view.fit_to_view()
        return window

    yield factory
    for window, manager in made:
        close_window(window, manager)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    deadline = time.monotonic() + 5
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    while leaked and time.monotonic() < deadline:
        time.sleep(0.05)
        leaked = [t for t in leaked if t.is_alive()]
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


