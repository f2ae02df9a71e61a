"""Runs trained in the window are kept on disk: one run folder per run under the user's runs
folder, laid out as ``playground train`` writes it, bounded to the newest RUNS_KEPT."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import torch

from playground.core.run_dir import load_run_dir, read_metrics
from playground.core.user_dirs import runs_dir
from playground.ui.main_window import MainWindow
from playground.ui.training.runs import RUNS_KEPT, next_run_dir
from tests.ui.test_training_ui import xor_project

Factory = Callable[..., MainWindow]


def test_a_run_trained_in_the_window_is_kept_in_a_run_folder(make_window: Factory, tmp_path: Path) -> None:
    project = xor_project()
    project.path = tmp_path / "my xor.json"
    window = make_window(project)
    window.training.train_steps(40)
    folders = list(runs_dir().iterdir())
    assert len(folders) == 1
    folder = folders[0]
    assert re.fullmatch(r"my_xor-\d{8}-\d{6}", folder.name)
    assert window.training.session.run_dir == folder
    assert {"project.json", "metrics.jsonl", "model.safetensors"} <= {p.name for p in folder.iterdir()}
    assert list(tmp_path.iterdir()) == [tmp_path / "settings"]  # nothing beside the project
    lines = read_metrics(folder)
    assert lines[-1]["step"] == 40
    assert lines[0]["train_loss"] is not None
    kept_project, state = load_run_dir(folder)
    assert kept_project.graph.to_dict() == window.document.graph.to_dict()
    weights = window.training.weights
    assert weights is not None
    assert all(torch.equal(state[k], weights[k]) for k in weights)

    window.training.train_steps(5)  # continues from those weights: a run folder of its own
    assert len(list(runs_dir().iterdir())) == 2


def test_screenshots_keep_no_runs(make_window: Factory) -> None:
    window = make_window(xor_project(), persist=False)
    window.training.train_steps(3)
    assert window.training.weights is not None
    assert not list(runs_dir().iterdir())


def test_only_the_newest_runs_are_kept(make_window: Factory) -> None:
    root = runs_dir()
    old = []
    for i in range(RUNS_KEPT + 5):
        folder = root / f"old-20250101-{i:06d}"
        folder.mkdir()
        (folder / "project.json").write_text("{}")
        os.utime(folder, (1_700_000_000 + i, 1_700_000_000 + i))
        old.append(folder)
    mine = root / "notes"
    mine.mkdir()
    (mine / "project.json").write_text("{}")
    window = make_window(xor_project())
    window.training.train_steps(3)
    new = window.training.session.run_dir
    assert new is not None
    assert new.is_dir()
    left = {p for p in root.iterdir() if p.name.startswith("old-")}
    assert left == set(old[-(RUNS_KEPT - 1):])
    assert mine.is_dir(), "a folder not named like a window run is never deleted"


def test_two_runs_starting_in_the_same_second_get_two_folders(make_window: Factory) -> None:
    project = xor_project()
    taken = next_run_dir(project)
    taken.mkdir()
    (taken / "keep.txt").write_text("another window's run")
    window = make_window(project)
    window.training.train_steps(2)
    folder = window.training.session.run_dir
    assert folder is not None
    assert folder != taken
    assert (taken / "keep.txt").read_text() == "another window's run"
    assert json.loads((folder / "project.json").read_text())["name"] == "xor"
