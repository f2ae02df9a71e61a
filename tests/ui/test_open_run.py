"""File > Open Run…: a kept run folder opens its project and weights (the same outputs as the
run that wrote it) with its curves overlaid in the loss view; a bad folder gives a message
naming it; File > Runs Folder shows the folder in the file manager."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QEvent, QObject, QUrl
from PySide6.QtGui import QDesktopServices, QRegion

from playground.core.build import build_model
from playground.core.export.weights import RUN_WEIGHTS
from playground.core.project import dumps, new_project
from playground.core.user_dirs import runs_dir
from playground.ui.main_window import MainWindow
from tests.ui.test_training_ui import xor_project

Factory = Callable[..., MainWindow]


def kept_run(make_window: Factory, steps: int = 40) -> tuple[MainWindow, Path]:
    window = make_window(xor_project())
    window.training.train_steps(steps)
    folder = window.training.session.run_dir
    assert folder is not None
    return window, folder


def outputs(window: MainWindow) -> torch.Tensor:
    data = window.document.dataset
    assert data is not None
    model = build_model(window.document.graph, data.meta, data.mean, data.std)
    weights = window.training.weights
    assert weights is not None
    model.load_state_dict(weights)
    model.eval()
    with torch.no_grad():
        return model(data.val.x[:16])


def test_open_run_restores_project_weights_and_overlays_its_curves(make_window: Factory, qtbot) -> None:
    trained, folder = kept_run(make_window)
    window = make_window(new_project())
    window.prompts.paths.append(str(folder))
    window.open_run_action.trigger()  # as the menu does (triggered passes checked=False)
    assert window.prompts.directories == [str(runs_dir())]
    assert window.document.graph.to_dict() == trained.document.graph.to_dict()
    assert window.document.path is None, "Save asks where: it never writes into the run folder"
    qtbot.waitUntil(lambda: window.document.dataset is not None, timeout=10_000)
    assert torch.equal(outputs(window), outputs(trained))
    loss = window.training.view("loss")
    assert loss.previous_labels() == [folder.name]
    assert "continues from these weights" in window.training.next_run()

    window.training.train_steps(5)  # a new run is drawn beside the opened one
    assert loss.previous_labels() == [folder.name]
    assert window.training.session.continues


def test_a_run_cut_short_opens_with_its_last_checkpoint(make_window: Factory) -> None:
    trained, folder = kept_run(make_window, steps=20)
    (folder / RUN_WEIGHTS).unlink()  # as after a kill before the run's end
    window = make_window(new_project())
    assert window.open_run(folder)
    assert window.training.weights is not None
    assert all(torch.equal(window.training.weights[k], v) for k, v in trained.training.weights.items())
    assert not window.prompts.errors


def test_odd_metrics_lines_are_skipped(make_window: Factory) -> None:
    """A kill while a line was written cuts it short; a hand-edited file may hold anything."""
    _, folder = kept_run(make_window, steps=20)
    with (folder / "metrics.jsonl").open("a") as f:
        f.write('[1, 2]\n{"step": true, "train_loss": 1}\n{"step": 1e999, "train_loss": 1}\n'
                '{"step": 30, "train_loss": "low", "val_loss": 1' + "0" * 400 + '}\n{"step": 31, "train_lo')
    window = make_window(new_project())
    assert window.open_run(folder)
    assert window.training.view("loss").previous_labels() == [folder.name]
    assert not window.prompts.errors


@pytest.mark.parametrize("make_bad", [
    lambda root: root / "missing",
    lambda root: _file(root / "a file.txt", "not a folder"),
    lambda root: _folder(root / "empty"),
    lambda root: _file(_folder(root / "broken") / "project.json", "{not json").parent,
    lambda root: _file(_file(_folder(root / "no weights") / "project.json", dumps(new_project())).parent
                       / "checkpoint.safetensors", "garbage").parent,
], ids=["missing", "file", "empty", "broken-project", "no-weights"])
def test_a_bad_folder_gives_a_message_naming_it(make_window: Factory, tmp_path: Path,
                                                  make_bad: Callable[[Path], Path]) -> None:
    bad = make_bad(tmp_path)
    window = make_window(xor_project())
    before = window.document.graph.to_dict()
    assert not window.open_run(bad)
    assert len(window.prompts.errors) == 1
    title, message = window.prompts.errors[0]
    assert title == "Cannot open run"
    assert str(bad) in message
    assert "Traceback" not in message
    assert window.document.graph.to_dict() == before


def test_runs_folder_opens_in_the_file_manager(make_window: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window = make_window()
    window.runs_folder_action.trigger()
    assert [url.toLocalFile() for url in opened] == [str(runs_dir())]
    assert window.open_run_action.shortcut().toString() == "Ctrl+Shift+O"
    assert window.runs_folder_action.shortcut().toString() == "Ctrl+Alt+O"


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _file(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_opening_a_run_repaints_the_canvas_where_the_tinted_nodes_were(make_window: Factory, qtbot) -> None:
    """The run's gradient-flow tint goes with the nodes the new project's replace; after a run
    Qt repainted only the spot the hidden legend left (on a real screen the tinted outlines
    stayed, though the nodes drawn afresh had none)."""
    window = make_window(xor_project(), theme="dark")
    qtbot.wait(300)
    window.training.train_steps(5)
    folder = window.training.session.run_dir
    window.scene.set_gradient_flow({"h1": 0.1, "out": 1.0, "in": 0.5}, {})
    qtbot.wait(500)
    viewport = window.view.viewport()
    tinted = [window.view.mapFromScene(item.sceneBoundingRect()).boundingRect()
              for item in window.scene.nodes.values() if item.flow is not None]
    assert tinted
    painted = QRegion()

    class Paints(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                nonlocal painted
                painted = painted.united(event.region())
            return False

    paints = Paints()
    viewport.installEventFilter(paints)
    assert window.open_run(folder)
    qtbot.wait(800)
    viewport.removeEventFilter(paints)
    assert all(item.flow is None for item in window.scene.nodes.values())
    assert all(painted.contains(rect) for rect in tinted), painted.boundingRect()
