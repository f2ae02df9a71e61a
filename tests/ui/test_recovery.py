"""Autosave and crash recovery, one recovery file per window: a real app process is killed with
SIGKILL after autosaving, and the next window offers to restore its work, while a window of a
process still running is never offered another's work nor deletes it; a clean exit or a save
removes only the window's own file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from playground.core.project import dumps, new_project, parse_project, save_project
from playground.ui.main_window import MainWindow
from playground.ui.recovery import LEGACY_FILE, RECOVERY_FORMAT, recovery_folder
from playground.ui.settings import SETTINGS_ENV

Factory = Callable[..., MainWindow]
ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("crash_child.py")


def records() -> list[Path]:
    return sorted(recovery_folder().glob("*.json"))


@contextmanager
def app_process(project: Path, settings_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """The real app with one unsaved edit, running until the block ends (then killed -9);
    yields the process and its recovery file once written."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", SETTINGS_ENV: str(settings_dir), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, str(CHILD), str(project)], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    try:
        while not records():
            if child.poll() is not None:
                pytest.fail(f"the app exited early: {child.stdout.read().decode(errors='replace')}")
            assert time.monotonic() < deadline, "no recovery file was written"
            time.sleep(0.05)
        yield child, records()[0]
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()


def test_a_running_app_keeps_its_work_and_after_kill_9_it_is_offered(make_window: Factory, settings_dir: Path,
                                                                      tmp_path: Path) -> None:
    path = tmp_path / "project.json"
    save_project(new_project("Crashy"), path)
    with app_process(path, settings_dir) as (child, recovery):
        record = json.loads(recovery.read_text())
        assert record["format"] == RECOVERY_FORMAT
        assert record["pid"] == child.pid
        # Defect: a second window was offered the running app's work, and No deleted it.
        other = make_window()
        other.prompts.restore_answer = False
        assert not other.offer_recovery()
        assert not other.prompts.asked
        assert recovery.exists()
        assert other.close()
        assert recovery.exists()
    assert child.returncode == -signal.SIGKILL

    window = make_window()
    assert window.offer_recovery()
    assert window.prompts.asked[0].startswith("restore:“Crashy” (")
    assert window.document.graph.nodes["h1"].params["units"] == 99
    assert window.document.path == path
    assert window.isWindowModified()
    assert window.scene.nodes["h1"].shape_text == "99"
    assert records() == [window.recovery.path]  # the work is this window's own file now
    window.prompts.save_answer = "discard"
    assert window.close()
    assert not records()
    assert not list(recovery_folder().iterdir())  # no lock file left either


def test_two_windows_each_keep_their_own_file(make_window: Factory, qtbot: QtBot, tmp_path: Path) -> None:
    first = make_window(new_project())
    first.controller.set_param("h2", "units", 5)
    first.autosave()
    mine = first.recovery.path
    assert mine.exists()
    second = make_window()
    second.prompts.restore_answer = False
    assert not second.offer_recovery()
    assert not second.prompts.asked
    second.controller.set_param("h1", "units", 3)
    second.autosave()
    assert sorted(records()) == sorted([mine, second.recovery.path])
    assert second.save_to(tmp_path / "saved.json")
    assert records() == [mine]
    second.controller.set_param("h1", "units", 4)
    second.autosave()
    second.prompts.save_answer = "discard"
    assert second.close()
    assert records() == [mine]
    kept = parse_project(json.loads(mine.read_text())["project"], "record")
    assert kept.graph.nodes["h2"].params["units"] == 5


def test_autosave_then_save_or_undo_removes_the_file(make_window: Factory, qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window(new_project())
    window.autosave_timer.setInterval(50)
    own = window.recovery.path
    window.controller.set_param("h2", "units", 5)
    qtbot.waitUntil(own.exists, timeout=5000)
    assert window.save_to(tmp_path / "saved.json")
    assert not own.exists()
    window.controller.set_param("h2", "units", 6)
    qtbot.waitUntil(own.exists, timeout=5000)
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: not own.exists(), timeout=5000)


def _orphan(name: str, when: float, file: str) -> Path:
    """A record left by a window that is gone (no lock file: its process ended)."""
    record = {"format": RECOVERY_FORMAT, "path": None, "time": when,
              "project": json.loads(dumps(new_project(name))), "window": file, "pid": 1, "started": when}
    path = recovery_folder() / f"{file}.json"
    path.write_text(json.dumps(record))
    return path


def test_several_orphans_no_discards_each_yes_keeps_the_rest(make_window: Factory) -> None:
    old, new = _orphan("Older", 1_700_000_000, "a"), _orphan("Newer", 1_700_000_100, "b")
    window = make_window()
    assert window.offer_recovery()
    assert len(window.prompts.asked) == 1
    assert window.prompts.asked[0].startswith("restore:“Newer” (never saved)")
    assert "1 more unsaved project was found" in window.prompts.asked[0]
    assert window.document.project.name == "Newer"
    assert not new.exists()
    assert old.exists()
    assert window.close()

    again = make_window()
    again.prompts.restore_answer = False
    assert not again.offer_recovery()
    assert len(again.prompts.asked) == 1
    assert "Older" in again.prompts.asked[0]
    assert not records()

    _orphan("One", 1_700_000_000, "c")
    _orphan("Two", 1_700_000_100, "d")
    third = make_window()
    third.prompts.restore_answer = False
    assert not third.offer_recovery()
    assert [a.split("”")[0] for a in third.prompts.asked] == ["restore:“Two", "restore:“One"]
    assert not records()


def test_the_old_single_file_is_offered_once(make_window: Factory, settings_dir: Path) -> None:
    legacy = recovery_folder().parent / LEGACY_FILE
    legacy.write_text(json.dumps({"format": RECOVERY_FORMAT, "path": None, "time": 1_700_000_000,
                                  "project": json.loads(dumps(new_project("Before the update")))}))
    window = make_window()
    assert window.offer_recovery()
    assert window.document.project.name == "Before the update"
    assert not legacy.exists()
    assert records() == [window.recovery.path]


def test_corrupt_recovery_file_is_dropped(make_window: Factory, settings_dir: Path) -> None:
    (recovery_folder() / "broken.json").write_text("{not json")
    (recovery_folder().parent / LEGACY_FILE).write_text('{"project": []}')
    window = make_window()
    assert not window.offer_recovery()
    assert not records()
    assert not (settings_dir / LEGACY_FILE).exists()
    assert not window.prompts.asked
