"""Runs trained in the window, kept on disk: one run folder each under the user's runs folder.

A run folder has the layout ``playground train`` writes (``project.json``, ``metrics.jsonl``,
``model.safetensors``, and while the run goes ``checkpoint.safetensors``), written by the same
``RunRecorder``. It is named ``<project file stem or name>-<YYYYmmdd-HHMMSS>`` and lives only
under ``user_dirs.runs_dir()``: never in a folder the project names. Every press of Train is
a run folder of its own, also when the run continues from the last run's weights (its
``project.json`` holds the settings that run used). The newest ``RUNS_KEPT`` window runs are
kept; older ones are deleted when a new run starts (only folders named and laid out like a
window run; anything else in the folder is left alone).

File > Open Run reads such a folder back (``read_run``): its project, weights and metrics.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from playground.core.checkpoint import RunRecorder, read_checkpoint
from playground.core.export.weights import RUN_PROJECT, RUN_WEIGHTS, WeightsError
from playground.core.params import UserError
from playground.core.project import Project, file_stem, load_project
from playground.core.run_dir import METRICS_FILE, RunDirError, default_run_dir, load_run_dir
from playground.core.training import Callback, Report, Trainer, TrainResult
from playground.core.user_dirs import runs_dir

#: Window runs kept in the runs folder; the oldest beyond this are deleted as a new run starts.
RUNS_KEPT = 50
#: The longest name part taken from the project (file systems allow 255 bytes per name).
STEM_CHARS = 60
#: The largest ``metrics.jsonl`` read back (a window run writes one short line per epoch).
MAX_METRICS_BYTES = 64 << 20
_RUN_NAME = re.compile(r".+-\d{8}-\d{6}(-\d+)?")


def run_stem(project: Project) -> str:
    """The name a run folder starts with: the project file's stem, else the project's name
    (made safe for a file name as Export does it)."""
    return file_stem(project.path.stem if project.path else project.name)[:STEM_CHARS]


def next_run_dir(project: Project, root: Path | None = None, now: _dt.datetime | None = None) -> Path:
    """The run folder a run of ``project`` starting now gets under the runs folder (not made yet)."""
    return default_run_dir(f"{run_stem(project)}.json", root or runs_dir(), now)


def make_run_dir(path: Path, project: Project) -> Path:
    """Create ``path`` as a new, empty folder, or the next free name when another window's run
    took it in the meantime (two runs never share a folder); returns the folder made."""
    while True:
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            path = next_run_dir(project, path.parent)
            continue
        return path


def window_runs(root: Path | None = None) -> list[Path]:
    """The window runs in the runs folder, newest first (by when they last changed)."""
    root = root or runs_dir()
    runs = [p for p in root.iterdir() if _RUN_NAME.fullmatch(p.name) and p.is_dir() and not p.is_symlink()
            and (p / RUN_PROJECT).is_file()]

    def changed(path: Path) -> float:
        try:
            return path.stat().st_mtime  # a checkpoint or the final weights renamed into it
        except OSError:  # deleted meanwhile
            return 0.0

    return sorted(runs, key=changed, reverse=True)


def prune_runs(keep: int = RUNS_KEPT, root: Path | None = None) -> list[Path]:
    """Delete the window runs beyond the newest ``keep`` (room for the run starting: the
    newest ``keep - 1`` stay); returns what was deleted. A folder that cannot be deleted is
    left for the next time."""
    removed = []
    for path in window_runs(root)[max(0, keep - 1):]:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


class WindowRunRecorder(Callback):
    """Keeps a window run in its run folder: the folder and a ``RunRecorder`` are made once the
    run has its model and data (a run whose data cannot be loaded leaves no folder behind),
    after older window runs beyond ``RUNS_KEPT`` are pruned. Runs on the training thread;
    ``run_dir`` is the folder's final name once ``on_start`` has run."""

    def __init__(self, run_dir: Path, project: Project) -> None:
        self.run_dir = run_dir
        self.project = project
        self._recorder: RunRecorder | None = None

    def on_start(self, trainer: Trainer) -> None:
        try:
            prune_runs(root=self.run_dir.parent)
            self.run_dir = make_run_dir(self.run_dir, self.project)
            self._recorder = RunRecorder(self.run_dir, self.project)
        except OSError as exc:
            raise UserError(f"{self.run_dir}: the run cannot be kept there ({exc.strerror or exc}); "
                            "free some disk space or check the folder's permissions") from None
        self._recorder.on_start(trainer)

    def on_report(self, trainer: Trainer, report: Report) -> None:
        if self._recorder is not None:
            self._recorder.on_report(trainer, report)

    def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
        if self._recorder is not None:
            self._recorder.on_epoch_end(trainer, report)

    def on_finish(self, trainer: Trainer, result: TrainResult) -> None:
        if self._recorder is not None:
            self._recorder.on_finish(trainer, result)

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        if self._recorder is not None:
            self._recorder.on_exception(trainer, error)


@dataclass(frozen=True)
class SavedRun:
    """A run folder read back: its project (as trained), weights and metrics lines."""

    folder: Path
    project: Project
    state: dict[str, torch.Tensor]
    metrics: list[dict[str, Any]]
    #: whether the weights are the last checkpoint's (the run was cut short: crash or kill)
    from_checkpoint: bool

    @property
    def label(self) -> str:
        return self.folder.name


def read_run(folder: str | Path) -> SavedRun:
    """Read a run folder for File > Open Run; ``UserError`` naming the folder or file otherwise.
    A run cut short before it wrote ``model.safetensors`` opens with its last checkpoint's
    weights; a folder without ``metrics.jsonl`` opens without curves."""
    folder = Path(folder)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "no such folder"
        raise RunDirError(f"{folder}: {what} (choose a run folder, with {RUN_PROJECT} and {RUN_WEIGHTS})")
    from_checkpoint = not (folder / RUN_WEIGHTS).exists() and (folder / RUN_PROJECT).is_file()
    if from_checkpoint:
        project, state = load_project(folder / RUN_PROJECT), _checkpoint_weights(folder)
    else:
        project, state = load_run_dir(folder)
    return SavedRun(folder, project, dict(state), _metrics(folder), from_checkpoint)


def _checkpoint_weights(folder: Path) -> Mapping[str, torch.Tensor]:
    checkpoint = read_checkpoint(folder)
    model = checkpoint.state.get("model") if checkpoint is not None else None
    if not isinstance(model, dict) or not all(isinstance(v, torch.Tensor) for v in model.values()):
        raise WeightsError(f"{folder}: is not a complete run folder: {RUN_WEIGHTS} missing and no checkpoint "
                           f"to take the weights from (a run folder holds {RUN_PROJECT} and {RUN_WEIGHTS})")
    return model


def _metrics(folder: Path) -> list[dict[str, Any]]:
    """The metrics lines, skipping any that is not a JSON object (the last line of a run
    killed while writing it is cut short: the curves up to it are still worth seeing)."""
    path = folder / METRICS_FILE
    if not path.exists():
        return []
    try:
        if not path.is_file():
            raise RunDirError(f"{path}: is not a regular file")
        if path.stat().st_size > MAX_METRICS_BYTES:
            raise RunDirError(f"{path}: is larger than {MAX_METRICS_BYTES >> 20} MB, more than any run writes")
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise RunDirError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    lines = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(entry, dict):
            lines.append(entry)
    return lines
