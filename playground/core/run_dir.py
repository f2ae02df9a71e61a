"""Run folders: what ``playground train`` leaves behind, and what the exporter reads back.

A run folder holds ``metrics.jsonl`` (one JSON object per line, at least one per epoch),
``model.safetensors`` (the model's state dict, with the project text in its metadata so the
weights alone are enough to rebuild the network), ``project.json`` (the project as it was
trained: epochs and device as used, dataset paths made absolute so it opens from anywhere)
and ``checkpoint.safetensors`` (what resuming needs; ``playground.core.checkpoint``, whose
``RunRecorder`` writes the folder). The weights file itself (format, metadata, safe reading)
belongs to the exporter's ``playground.core.export.weights``; this module lays out the folder
around it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import torch

from playground.core.datasets import resolve_dataset_spec
from playground.core.export.weights import load_run
from playground.core.params import UserError
from playground.core.project import Project

METRICS_FILE = "metrics.jsonl"


class RunDirError(UserError):
    """A run folder that cannot be read; the message names the folder or file and the problem."""


def default_run_dir(project_path: str | os.PathLike[str], root: str | os.PathLike[str] = "runs",
                    now: _dt.datetime | None = None) -> Path:
    """``runs/<project-stem>-<YYYYmmdd-HHMMSS>``, with ``-2``, ``-3``... when that already exists."""
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{Path(project_path).stem}-{stamp}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def resolved_project(project: Project, *, epochs: int | None = None, device: str | None = None) -> Project:
    """A copy of the project as a run uses it: the given epochs and device written into its
    training settings, and relative dataset paths made absolute from the project's folder, so
    the run folder's ``project.json`` still finds its data."""
    run = project.copy()
    if epochs is not None:
        run.training["epochs"] = epochs
    if device is not None:
        run.training["device"] = device
    entry, _, _ = resolve_dataset_spec(run.dataset)
    for key in entry.path_params if entry else ():
        value = run.dataset.get(key)
        if isinstance(value, str) and value.strip():
            run.dataset[key] = str((run.base_dir / Path(value).expanduser()).resolve())
    return run


class MetricsLog:
    """Appends one JSON object per line to ``metrics.jsonl``, flushed at once so a crash or an
    interrupt keeps every line written so far. ``append`` goes on after the lines already there
    (a resumed run) instead of starting the file anew."""

    def __init__(self, run_dir: str | os.PathLike[str], *, append: bool = False) -> None:
        path = Path(run_dir)
        path.mkdir(parents=True, exist_ok=True)
        self.path = path / METRICS_FILE
        self._file: IO[str] = self.path.open("a" if append else "w", encoding="utf-8")
        self._last_start: int | None = None

    def append(self, line: Mapping[str, Any]) -> None:
        self._last_start = self._file.tell()
        self._file.write(json.dumps(line, allow_nan=False) + "\n")
        self._file.flush()

    def replace_last(self, line: Mapping[str, Any]) -> None:
        """Write ``line`` in place of the line this log appended last (the run's final line,
        completed by its test figures), or append it when this log has appended none."""
        if self._last_start is not None:
            self._file.seek(self._last_start)
            self._file.truncate()
        self.append(line)

    def close(self) -> None:
        self._file.close()


def read_metrics(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The metrics lines of a run folder, in order."""
    path = Path(run_dir) / METRICS_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RunDirError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return [json.loads(line) for line in lines if line.strip()]
    except json.JSONDecodeError as exc:
        raise RunDirError(f"{path}: line {exc.lineno} is not JSON ({exc.msg})") from None


def weights_digest(state: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over the tensors' names, dtypes, shapes and bytes, in key order: equal digests
    mean bit-identical weights (how the torchrun processes show they agree)."""
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().to("cpu").contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def load_run_dir(run_dir: str | os.PathLike[str]) -> tuple[Project, dict[str, torch.Tensor]]:
    """The project and state dict of a run folder (``WeightsError`` naming what is missing or broken)."""
    project, weights = load_run(run_dir)
    return project, weights.tensors
