"""Checkpoints: a run folder that ``kill -9`` at any moment leaves resumable.

``RunRecorder`` is the one owner of a run folder while a run trains (``playground train`` and
the window use the same one). Besides ``project.json``, ``metrics.jsonl`` and the final
``model.safetensors`` it keeps ``checkpoint.safetensors``: the trainer's
``checkpoint_state()`` (weights, optimiser and scheduler state, counters, random generators,
running totals, early stopping), written atomically (a temp file in the same folder, fsync,
rename), so the folder always holds either the previous checkpoint or the new one, whole.

A checkpoint is written at a report when CHECKPOINT_SECONDS have passed since the last one
(mid-epoch or at an epoch end, whichever comes first), and once more when the run ends; a kill
loses at most that much training. Writing may take at most 1/CHECKPOINT_BUDGET of the time:
a model whose checkpoint takes long to write is checkpointed less often.

The file is safetensors (raw tensors) plus JSON in its metadata for everything else, so
reading one never unpickles anything: a run folder may come from someone else. Every dict,
list and tuple of the state is tagged in the JSON (``{"D": [[key, value], ...]}``,
``{"L": [...]}``, ``{"U": [...]}``, a tensor ``{"T": name}``), which keeps integer keys (the
optimiser's) and tuples (Adam's betas) as they were; a SHA-256 of the tensors detects a
damaged file (tensors and metadata alike).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import safetensors
import safetensors.torch
import torch

from playground.core.export.weights import RUN_PROJECT, RUN_WEIGHTS, save_weights
from playground.core.params import UserError
from playground.core.project import Project, load_project, save_project, write_atomic
from playground.core.run_dir import METRICS_FILE, MetricsLog, RunDirError, resolved_project, weights_digest
from playground.core.training import Callback, Report, Trainer, TrainResult

CHECKPOINT_FILE = "checkpoint.safetensors"
CHECKPOINT_FORMAT_PREFIX = "nn-playground-checkpoint/"
CHECKPOINT_VERSION = 1
CHECKPOINT_FORMAT = f"{CHECKPOINT_FORMAT_PREFIX}{CHECKPOINT_VERSION}"
#: Seconds of training between two checkpoints (the most a kill can lose, plus one report).
CHECKPOINT_SECONDS = 30.0
#: Environment variable that sets the interval instead (seconds, above 0; tests use 0.2).
CHECKPOINT_ENV = "PLAYGROUND_CHECKPOINT_SECONDS"
#: Writing checkpoints may take at most 1/CHECKPOINT_BUDGET of the training time.
CHECKPOINT_BUDGET = 20
#: More tensors than any network of the app has: a file with more is not a checkpoint of ours.
MAX_TENSORS = 100_000
#: Nesting of the state's structure (a few levels); deeper JSON is refused, not recursed into.
MAX_DEPTH = 32


class CheckpointError(RunDirError):
    """A checkpoint that cannot be read or trusted; the message names the file and what to do."""


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as read back: the trainer's state and how the run stood when it was written
    (``"running"`` for a periodic checkpoint, else the run's final status)."""

    state: dict[str, Any]
    status: str

    @property
    def step(self) -> int:
        return int(self.state["step"])

    @property
    def completed(self) -> int:
        """Epochs completed (validated and reported)."""
        return int(self.state["completed"])

    @property
    def mid_epoch(self) -> bool:
        """Saved inside an epoch, after at least one of its steps (a metrics line at this step
        is then the last line of a run stopped there, not an epoch's)."""
        return self.state["phase"] == "mid" and self.state.get("batch", 0) != 0


def checkpoint_interval() -> float:
    """CHECKPOINT_SECONDS, or the number in the CHECKPOINT_ENV environment variable."""
    text = os.environ.get(CHECKPOINT_ENV)
    if text is None or not text.strip():
        return CHECKPOINT_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise UserError(f"{CHECKPOINT_ENV}={text!r}: must be a number of seconds above 0")
    return value


# --------------------------------------------------------------------------- the file

def _encode(value: Any, tensors: dict[str, torch.Tensor], path: str) -> Any:
    """``value`` as tagged JSON, its tensors moved into ``tensors`` under unique names."""
    if isinstance(value, torch.Tensor):
        name = f"{len(tensors)}:{path}"
        tensors[name] = value.detach().cpu().contiguous()
        return {"T": name}
    if isinstance(value, Mapping):
        return {"D": [[k, _encode(v, tensors, f"{path}/{k}")] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        items = [_encode(v, tensors, f"{path}/{i}") for i, v in enumerate(value)]
        return {"U" if isinstance(value, tuple) else "L": items}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"a checkpoint cannot hold {type(value).__name__} (at {path})")


def _decode(value: Any, tensors: Mapping[str, torch.Tensor], depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"the state is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if not (isinstance(value, dict) and len(value) == 1):
        raise ValueError(f"unexpected {type(value).__name__} in the state's structure")
    (tag, inner), = value.items()
    if tag == "T":
        if not isinstance(inner, str) or inner not in tensors:
            raise ValueError(f"the state names a tensor {inner!r} that the file does not hold")
        return tensors[inner]
    if tag in ("L", "U") and isinstance(inner, list):
        items = [_decode(v, tensors, depth + 1) for v in inner]
        return tuple(items) if tag == "U" else items
    if tag == "D" and isinstance(inner, list):
        out = {}
        for pair in inner:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))):
                raise ValueError("a dict entry of the state is not a [key, value] pair")
            out[pair[0]] = _decode(pair[1], tensors, depth + 1)
        return out
    raise ValueError(f"unknown tag {tag!r} in the state's structure")


def checkpoint_digest(tensors: Mapping[str, torch.Tensor], status: str, structure: str) -> str:
    """SHA-256 over the tensors and the metadata that gives them meaning."""
    return hashlib.sha256(f"{weights_digest(tensors)}\n{status}\n{structure}".encode()).hexdigest()


def checkpoint_bytes(state: Mapping[str, Any], status: str) -> bytes:
    """The file content for a trainer's ``checkpoint_state()``."""
    tensors: dict[str, torch.Tensor] = {}
    structure = json.dumps(_encode(state, tensors, ""))
    metadata = {"format": CHECKPOINT_FORMAT, "status": status, "state": structure,
                "digest": checkpoint_digest(tensors, status, structure)}
    return safetensors.torch.save(tensors, metadata=metadata)


def write_checkpoint(run_dir: str | os.PathLike[str], state: Mapping[str, Any], status: str = "running") -> None:
    """Replace the run folder's checkpoint atomically."""
    write_atomic(Path(run_dir) / CHECKPOINT_FILE, checkpoint_bytes(state, status))


def read_checkpoint(run_dir: str | os.PathLike[str]) -> Checkpoint | None:
    """The run folder's checkpoint, None when it has none; ``CheckpointError`` for a file that
    is truncated, damaged or not a checkpoint. Nothing in it is executed."""
    path = Path(run_dir) / CHECKPOINT_FILE
    if not path.exists():
        return None
    damaged = (f"{path}: is damaged or not a checkpoint of this app, so the run cannot continue from it; "
               f"delete it to train the run again from its start")
    if not path.is_file():
        raise CheckpointError(f"{path}: is not a regular file; {damaged.split('; ', 1)[1]}")
    try:
        with safetensors.safe_open(str(path), framework="pt") as f:
            metadata = dict(f.metadata() or {})
            names = list(f.keys())
            if len(names) > MAX_TENSORS:
                raise CheckpointError(f"{damaged} (it holds {len(names):,} tensors)")
            tensors = {name: f.get_tensor(name) for name in names}
    except safetensors.SafetensorError as exc:
        raise CheckpointError(f"{damaged} ({exc})") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    fmt = metadata.get("format", "")
    if fmt != CHECKPOINT_FORMAT:
        newer = fmt.startswith(CHECKPOINT_FORMAT_PREFIX) and fmt[len(CHECKPOINT_FORMAT_PREFIX):].isdecimal()
        if newer and fmt.isascii():
            raise CheckpointError(f"{path}: was written by another version of the app (format {fmt!r}); this "
                                  f"version continues {CHECKPOINT_FORMAT!r}")
        raise CheckpointError(f"{damaged} (format {fmt[:60]!r})")
    status, structure = metadata.get("status", ""), metadata.get("state", "")
    if metadata.get("digest") != checkpoint_digest(tensors, status, structure):
        raise CheckpointError(f"{damaged} (it does not match its checksum)")
    try:
        state = _decode(json.loads(structure), tensors)
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"{damaged} ({str(exc)[:200]})") from None
    if not isinstance(state, dict) or not all(isinstance(state.get(k), int) for k in ("step", "completed")) \
            or state.get("phase") not in ("mid", "validated", "closed"):
        raise CheckpointError(f"{damaged} (it has no step, epoch count or phase)")
    return Checkpoint(state, status)


def run_project(run_dir: str | os.PathLike[str]) -> Project:
    """The project a run folder was trained with (its ``project.json``)."""
    path = Path(run_dir)
    if not path.is_dir():
        raise RunDirError(f"{path}: no such run folder")
    if not (path / RUN_PROJECT).is_file():
        raise RunDirError(f"{path}: has no {RUN_PROJECT}, so it is not a run folder (a run stopped before it began "
                          "training leaves none: train its project again)")
    return load_project(path / RUN_PROJECT)


def remove_temp_files(run_dir: str | os.PathLike[str]) -> list[Path]:
    """Delete the ``.*.tmp`` files an atomic write killed half-way leaves in a run folder
    (never the files they were meant to replace); returns what was deleted."""
    removed = []
    for path in Path(run_dir).glob(".*.tmp"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def trim_metrics(run_dir: str | os.PathLike[str], checkpoint: Checkpoint | None) -> int:
    """Keep the ``metrics.jsonl`` lines the checkpoint covers and drop the rest (lines written
    after it, which the resumed run writes again, and a line a kill cut short). Returns the
    step of the last line kept, -1 when none is."""
    path = Path(run_dir) / METRICS_FILE
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return -1
    except OSError as exc:
        raise RunDirError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    kept, last = [], -1
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        step = entry.get("step") if isinstance(entry, dict) else None
        if checkpoint is None or not isinstance(step, int) or step > checkpoint.step:
            continue
        if step == checkpoint.step and checkpoint.mid_epoch:
            continue  # the last line of a run stopped there: the resumed run goes on from it
        if "test_loss" in entry or "test_acc" in entry:  # a finished run's last line: it goes on now
            entry = {k: v for k, v in entry.items() if k not in ("test_loss", "test_acc")}
            line = json.dumps(entry, allow_nan=False)
        kept.append(line + "\n")
        last = step
    write_atomic(path, "".join(kept).encode("utf-8"))
    return last


# --------------------------------------------------------------------------- the recorder

class RunRecorder(Callback):
    """Keeps one run in its run folder as it trains, so a crash, a close or ``kill -9`` loses
    at most CHECKPOINT_SECONDS of training.

    Contract (attach to one ``Trainer``; its hooks run on the training thread):

    - Constructing it creates ``run_dir``, removes temp files a killed write left there, and
      writes ``project.json`` at once (``project`` as ``resolved_project`` makes it: dataset
      paths absolute), before the trainer loads anything. With ``resume`` (the folder's
      ``read_checkpoint()``) ``metrics.jsonl`` is cut back to what that checkpoint covers and
      continued; without (a new run, or a folder killed before its first checkpoint), it
      starts anew.
    - Every epoch end appends a ``metrics.jsonl`` line; a run that ends mid-epoch gets a last
      line for its final state. The last line also carries the test split's ``test_loss`` and
      ``test_acc`` (FORMAT.md), measured when the run ends.
    - ``checkpoint.safetensors`` is replaced atomically at the first report (mid-epoch or
      epoch end) after ``checkpoint_seconds`` (default: ``checkpoint_interval()``), and once
      more when the run ends, unless it diverged or was interrupted inside a step (the last
      checkpoint then stays: resuming repeats from there).
    - When the run ends, ``model.safetensors`` holds the final weights (as the trainer left
      them: the best epoch's after early stopping, the last finite ones after a divergence).
    - After an exception, the log is closed and the last checkpoint stays.
    """

    def __init__(self, run_dir: str | os.PathLike[str], project: Project, *,
                 checkpoint_seconds: float | None = None, resume: Checkpoint | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        remove_temp_files(self.run_dir)
        self.project = resolved_project(project)
        save_project(self.project, self.run_dir / RUN_PROJECT)
        self.interval = checkpoint_interval() if checkpoint_seconds is None else checkpoint_seconds
        self._logged_step = trim_metrics(self.run_dir, resume) if resume is not None else -1
        self._log = MetricsLog(self.run_dir, append=resume is not None)
        self._next_write = math.inf
        #: Checkpoints written by this recorder, and the step of the newest.
        self.checkpoints = 0
        self.checkpoint_step: int | None = resume.step if resume else None

    # ---- hooks
    def on_start(self, trainer: Trainer) -> None:
        self._next_write = time.monotonic() + self.interval

    def on_report(self, trainer: Trainer, report: Report) -> None:
        if not report.epoch_end and time.monotonic() >= self._next_write:
            self._checkpoint(trainer, "running")

    def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
        self._log.append(report.metrics())
        self._logged_step = report.step
        if time.monotonic() >= self._next_write:
            self._checkpoint(trainer, "running")

    def on_finish(self, trainer: Trainer, result: TrainResult) -> None:
        try:
            final = result.metrics()
            if final is not None and result.report is not None:
                if result.report.step > self._logged_step:
                    self._log.append(final)
                    self._logged_step = result.report.step
                else:
                    self._log.replace_last(final)
            # the weights first: a final checkpoint says the run is over, so they must exist by then
            save_weights(self.run_dir / RUN_WEIGHTS, trainer.model.state_dict(), self.project)
            self._checkpoint(trainer, result.status)
        finally:
            self._log.close()

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        self._log.close()

    # ---- writing
    def _checkpoint(self, trainer: Trainer, status: str) -> None:
        began = time.monotonic()
        state = trainer.checkpoint_state()
        if state is None:
            return
        write_checkpoint(self.run_dir, state, status)
        self.checkpoints += 1
        self.checkpoint_step = trainer.step
        now = time.monotonic()
        self._next_write = now + max(self.interval, CHECKPOINT_BUDGET * (now - began))
