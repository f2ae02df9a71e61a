"""Opening files never freezes the window: the reading runs on a worker thread while the
window keeps painting, and a bad file still gives its message."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from playground.core.project import Project
from playground.ui.main_window import MainWindow

Factory = Callable[..., MainWindow]


def test_opening_a_slow_file_keeps_the_window_painting(make_window: Factory, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: the project was read and parsed on the GUI thread; a file that took a while (a
    large one, a slow disk) froze the window until it was done."""
    window = make_window()
    readers: list[threading.Thread] = []

    def slow_load(path: str | Path) -> Project:
        readers.append(threading.current_thread())
        time.sleep(0.5)
        return Project(name="Slow one", path=Path(path))

    monkeypatch.setattr("playground.ui.main_window.load_project", slow_load)
    ticks: list[float] = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    try:
        assert window.open_path(tmp_path / "slow.json")
    finally:
        timer.stop()
    assert readers
    assert readers[0] is not threading.main_thread()
    assert len(ticks) >= 5, "the GUI thread's event loop stood still while the file was read"
    assert window.document.project.name == "Slow one"


def test_a_bad_file_read_off_the_gui_thread_still_gives_its_message(make_window: Factory, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window()
    errors: list[str] = []
    monkeypatch.setattr(window.prompts, "show_error", lambda parent, title, message: errors.append(message))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    before = window.document.project.name
    assert not window.open_path(bad)
    assert errors
    assert "bad.json" in errors[0]
    assert window.document.project.name == before
