"""Instant start (issue 12): the editor is on screen and usable before PyTorch has loaded.

The launch path imports no torch and no pyqtgraph; the window shows its editor at once and
says "Loading PyTorch…" where the training side will be; Train, Export, Load Weights and Open
Run wait for it, disabled with a tooltip saying why; when the background import is done the
training workspace is there and works, in the saved layout; a request that cannot go on
without it (Open Run from a script) waits for it instead of failing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtWidgets import QApplication, QLabel, QToolBar
from pytestqt.qtbot import QtBot

from playground.core.datasets import resources_dir
from playground.core.examples import example_path
from playground.core.params import UserError
from playground.core.project import load_project
from playground.ui.app import create_application
from playground.ui.loading import TRAINING_MODULES, BackgroundImport
from playground.ui.main_window import MainWindow
from playground.ui.plots.registry import LIVE_VIEWS
from playground.ui.theme import ThemeManager
from tests.ui.helpers import ScriptedPrompts, close_window, drop_layer, wait_idle
from tests.ui.test_open_run import kept_run

ROOT = Path(__file__).resolve().parents[2]
SPIRAL = resources_dir() / "examples" / "spiral.json"

#: The modules ``playground`` (the app) imports before its window's first paint.
LAUNCH_PATH = ("playground.cli", "playground.cli.gui", "playground.ui.app", "playground.ui.main_window")


class GatedImport(BackgroundImport):
    """The training modules' import, held until the test opens the gate (they are imported
    already in this process, so without the gate it would end at once)."""

    def __init__(self, modules: tuple[str, ...] = TRAINING_MODULES) -> None:
        super().__init__(modules)
        self.gate = threading.Event()

    def _run(self) -> None:
        self.gate.wait(30)
        super()._run()


Maker = Callable[..., MainWindow]


@pytest.fixture
def make_loading_window(qtbot: QtBot, qapp: QApplication, settings_dir: Path) -> Iterator[Maker]:
    """Windows built as the app builds its own (the training side in the background), each
    with a gated import; closed, and their imports ended, after the test."""
    create_application()
    made: list[tuple[MainWindow, GatedImport, ThemeManager]] = []

    def factory(background: GatedImport | None = None, *, persist: bool = True, show: bool = True,
                project: Path = SPIRAL) -> MainWindow:
        background = background or GatedImport()
        theme = ThemeManager(QApplication.instance(), "light")
        window = MainWindow(theme, load_project(project), persist=persist, prompts=ScriptedPrompts(),
                            background=background)
        made.append((window, background, theme))
        if show:
            window.show()
            qtbot.waitUntil(lambda: background._thread is not None, timeout=10_000)  # started at the first paint
        return window

    yield factory
    for window, background, theme in made:
        background.gate.set()
        background.wait(30)
        close_window(window, theme)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def loading_toolbar(window: MainWindow) -> QToolBar | None:
    return next((t for t in window.findChildren(QToolBar) if t.objectName() == "trainingLoadingToolbar"
                 and t.isVisible()), None)


def status_texts(window: MainWindow) -> list[str]:
    return [label.text() for label in window.statusBar().findChildren(QLabel) if label.isVisible()]


def test_the_launch_path_imports_no_torch() -> None:
    """Defect: the window appeared 2.8 s after launch here, 1.7 s of it importing torch before
    anything was drawn. A fresh interpreter imports what the app imports before its first
    paint, and neither torch nor pyqtgraph (0.3 s more) is among it."""
    code = (f"import sys\nimport {', '.join(LAUNCH_PATH)}\n"
            "print(sorted(m for m in ('torch', 'pyqtgraph') if m in sys.modules))\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_train_waits_for_pytorch_with_a_visible_state(make_loading_window: Maker, qtbot: QtBot) -> None:
    window = make_loading_window()
    assert not window.training_ready
    tools = loading_toolbar(window)
    assert tools is not None
    train = tools.actions()[0]
    assert train.text() == "Train"
    assert not train.isEnabled()
    assert "Loading PyTorch" in train.toolTip()
    assert "Loading PyTorch…" in status_texts(window)
    for action in (window.export_action, window.load_weights_action, window.open_run_action):
        assert not action.isEnabled(), action.text()
        assert "Loading PyTorch" in action.toolTip(), action.text()

    # the editor is usable meanwhile: a layer dropped on the canvas is in the network
    wait_idle(qtbot, window)
    before = set(window.document.graph.nodes)
    drop_layer(window, "Dense", QPointF(0, 300))
    assert len(window.document.graph.nodes) == len(before) + 1
    assert not window.training_ready

    window._background.gate.set()
    qtbot.waitUntil(lambda: window.training_ready, timeout=30_000)
    assert loading_toolbar(window) is None
    assert "Loading PyTorch…" not in status_texts(window)
    assert window.training.train_action.isEnabled()
    assert window.open_run_action.isEnabled()
    assert window.menuBar().actions()[-1].text() == "&Help", "Training goes before Help"
    assert window.training.docks["loss"].isVisible()
    window.document.undo_stack.undo()  # the unconnected layer: the spiral network trains again
    window.training.train_steps(5)
    assert window.prompts.errors == []
    assert window.training.last_report is not None
    assert window.training.last_report.step >= 5
    assert window.export_action.isEnabled()


def test_the_dataset_loads_after_the_first_paint(make_loading_window: Maker, qtbot: QtBot) -> None:
    """Loading a dataset imports PyTorch: started while the window was being built, it shared the
    GIL with it and the first paint came 0.4 s later. It waits for the first paint (the preview
    says it is loading), then loads."""
    window = make_loading_window(show=False)
    assert window.document.loader.busy, "the preview says it is loading"
    qtbot.wait(500)
    assert window.document.dataset is None
    assert not window.painted
    window.show()
    qtbot.waitUntil(lambda: window.painted, timeout=10_000)
    qtbot.waitUntil(lambda: window.document.dataset is not None, timeout=30_000)
    assert len(window.document.dataset.train) > 0


def test_the_live_views_take_the_place_kept_for_them(make_loading_window: Maker, qtbot: QtBot) -> None:
    """The canvas keeps its size when the live views arrive (no jump under the pointer)."""
    window = make_loading_window()
    window.resize(1440, 900)
    QApplication.processEvents()
    window._arrange_docks()
    for _ in range(3):  # the docks' layout settles over a few passes
        QApplication.processEvents()
    before = window.view.height()
    assert before < 600, "the live views' place is kept under the canvas"
    window._background.gate.set()
    qtbot.waitUntil(lambda: window.training_ready, timeout=30_000)
    qtbot.wait(50)
    assert abs(window.view.height() - before) <= 0.1 * before
    assert window.training.view("boundary").on_screen(), "the spiral's main picture is in front"


def test_an_image_project_opens_with_its_filters_in_front(make_loading_window: Maker, qtbot: QtBot) -> None:
    """Defect: LeNet opened (and trained) with "Decision boundary: nothing to show for this
    dataset" in front of its pictures: the live views arrive after the dataset, and laying
    them out brought each group's first tab forward again."""
    window = make_loading_window(project=example_path("lenet_digits") or SPIRAL)
    window.resize(1440, 900)
    window._background.gate.set()
    qtbot.waitUntil(lambda: window.training_ready, timeout=30_000)
    qtbot.waitUntil(lambda: window.document.meta is not None, timeout=30_000)
    qtbot.wait(50)
    assert window.training.view("filters").on_screen()
    assert not window.training.view("boundary").on_screen()


def test_a_saved_layout_is_put_back_once_the_live_views_exist(make_window: Maker, make_loading_window: Maker,
                                                               qtbot: QtBot) -> None:
    first = make_window(load_project(SPIRAL))
    first.training.docks["loss"].close()
    first.training.docks["training"].setFloating(True)
    first.close()

    window = make_loading_window()
    window._background.gate.set()
    qtbot.waitUntil(lambda: window.training_ready, timeout=30_000)
    assert not window.training.docks["loss"].isVisible()
    assert window.training.docks["training"].isFloating()

    window.reset_layout_action.trigger()
    assert window.training.docks["loss"].isVisible(), "Reset Window Layout knows the live views"
    assert not window.training.docks["training"].isFloating()


def test_open_run_before_pytorch_has_loaded_waits_for_it(make_window: Maker, make_loading_window: Maker,
                                                         qtbot: QtBot) -> None:
    trained, folder = kept_run(make_window)
    window = make_loading_window()
    background = window._background
    threading.Timer(0.3, background.gate.set).start()
    began = time.monotonic()
    assert window.open_run(folder)
    assert time.monotonic() - began >= 0.25, "it waited for the import"
    assert window.training_ready
    assert window.training.view("loss").previous_labels() == [folder.name]


def test_the_live_views_are_made_one_per_event_loop_pass(make_loading_window: Maker, qtbot: QtBot) -> None:
    """Made all at once when PyTorch had loaded, the eight live views held the window for 0.7 s
    (bench/startup.py); one per pass, input and paints get their turn in between."""
    window = make_loading_window()
    background = window._background
    after_import: list[tuple[int, bool]] = []  # connected after the window: runs right after its slot
    background.finished.connect(lambda: after_import.append((len(window._views_made), window.training_ready)))
    background.gate.set()
    qtbot.waitUntil(lambda: window.training_ready, timeout=30_000)
    assert after_import == [(1, False)]
    assert set(window.training.views) == {cls.dock_id for cls in LIVE_VIEWS}
    assert all(window.training.views[k] is v for k, v in window._views_made.items()), "the views made are used"


def test_a_failed_import_leaves_the_editor_working_and_says_so(make_loading_window: Maker, qtbot: QtBot) -> None:
    window = make_loading_window(GatedImport(("playground.no_such_module",)))
    window._background.gate.set()
    qtbot.waitUntil(lambda: window._background.done, timeout=10_000)
    qtbot.waitUntil(lambda: any("could not be loaded" in t for t in status_texts(window)))
    tools = loading_toolbar(window)
    assert tools is not None
    assert "could not be loaded" in tools.actions()[0].toolTip()
    with pytest.raises(UserError, match="PyTorch could not be loaded"):
        window.wait_until_ready()
    drop_layer(window, "Dense", QPointF(0, 300))
    assert window.document.modified


def test_the_app_paints_before_pytorch_and_then_trains(tmp_path: Path) -> None:
    """``playground spiral`` as a person starts it (offscreen): the log says the window was
    painted, the editor ready, then the training side ready, in that order."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PLAYGROUND_SETTINGS_DIR": str(tmp_path / "settings"),
           "PLAYGROUND_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "playground", "spiral", "-v"], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen: list[str] = []
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            for milestone in ("window painted", "editor ready", "training ready"):
                if milestone in line:
                    seen.append(milestone)
            if "training ready" in line or "Traceback" in line:
                break
    finally:
        proc.kill()
        proc.wait(30)
    assert seen == ["window painted", "editor ready", "training ready"], (
        f"exit status {proc.returncode}; the app's log:\n" + "".join(lines[-40:]))
