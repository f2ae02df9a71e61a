"""Autosave and crash recovery: a real app process is killed with SIGKILL after autosaving, and
the next window offers to restore its work; a clean exit or a save removes the recovery file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from playground.core.project import new_project, save_project
from playground.ui.main_window import MainWindow, recovery_path
from playground.ui.settings import SETTINGS_ENV

Factory = Callable[..., MainWindow]
ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("crash_child.py")


def test_recovery_after_kill_9(make_window: Factory, settings_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "project.json"
    save_project(new_project("Crashy"), path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", SETTINGS_ENV: str(settings_dir), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, str(CHILD), str(path)], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    recovery = settings_dir / "recovery.json"
    deadline = time.monotonic() + 60
    try:
        while not recovery.exists():
            if child.poll() is not None:
                pytest.fail(f"the app exited early: {child.stdout.read().decode(errors='replace')}")
            assert time.monotonic() < deadline, "no recovery file was written"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert recovery_path() == recovery

    window = make_window()
    assert window.offer_recovery()
    assert window.prompts.asked[0].startswith("restore:“Crashy” (")
    assert window.document.graph.nodes["h1"].params["units"] == 99
    assert window.document.path == path
    assert window.isWindowModified()
    assert window.scene.nodes["h1"].shape_text == "99"
    window.prompts.save_answer = "discard"
    assert window.close()
    assert not recovery.exists()


def test_autosave_then_save_removes_recovery_and_decline_discards(make_window: Factory, qtbot: QtBot,
                                                                   tmp_path: Path) -> None:
    window = make_window(new_project())
    window.autosave_timer.setInterval(50)
    window.controller.set_param("h2", "units", 5)
    qtbot.waitUntil(recovery_path().exists, timeout=5000)
    assert window.save_to(tmp_path / "saved.json")
    assert not recovery_path().exists()
    window.controller.set_param("h2", "units", 6)
    qtbot.waitUntil(recovery_path().exists, timeout=5000)
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: not recovery_path().exists(), timeout=5000)
    window.controller.set_param("h2", "units", 7)
    window.autosave()
    other = make_window()
    other.prompts.restore_answer = False
    assert not other.offer_recovery()
    assert not recovery_path().exists()
    assert "h1" in other.document.graph.nodes


def test_corrupt_recovery_file_is_dropped(make_window: Factory) -> None:
    recovery_path().write_text("{not json")
    window = make_window()
    assert not window.offer_recovery()
    assert not recovery_path().exists()
    assert not window.prompts.asked
