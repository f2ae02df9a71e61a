"""Checkpoints: a run stopped or killed anywhere and resumed takes the steps an uninterrupted run
takes; a damaged checkpoint is refused with a message, never unpickled or half-read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import safetensors.torch
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors import safe_open

from playground.core.checkpoint import (
    CHECKPOINT_ENV,
    CHECKPOINT_FILE,
    CheckpointError,
    RunRecorder,
    checkpoint_bytes,
    checkpoint_digest,
    checkpoint_interval,
    read_checkpoint,
    remove_temp_files,
    trim_metrics,
)
from playground.core.params import UserError
from playground.core.project import Project
from playground.core.run_dir import load_run_dir, read_metrics
from playground.core.training import Callback, Report, Trainer
from tests.core.test_training import project_of

SPIRAL = {"name": "spiral", "samples": 200, "noise": 0.1, "test_fraction": 0.5, "seed": 1}
SPE = 8  # steps per epoch: 100 examples less 20% for validation, in batches of 10


def spiral_project(**training: Any) -> Project:
    """Every kind of state a run carries: dropout and noise draw random numbers, batch norm has
    running statistics, Adam has moments, the schedule and early stopping count epochs."""
    hidden = [{"units": 8, "activation": "tanh"},
              {"units": 8, "activation": "tanh", "batchnorm": True, "dropout": 0.2}]
    settings = {"epochs": 5, "seed": 3, "device": "cpu", "augment": ["noise"],
                "scheduler": {"name": "step", "step_size": 2, "gamma": 0.5},
                "early_stopping": {"patience": 50, "min_delta": 0.0}, **training}
    return project_of(hidden, SPIRAL, **settings)


class Crash(Exception):
    """Stands for the process dying: the recorder gets no on_finish."""


class CrashAtEpochEnd(Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
        if report.epoch == self.epoch:
            raise Crash


class StopAtEpochEnd(Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
        if report.epoch == self.epoch:
            trainer.control.stop()


def train(project: Project, run_dir: Path, *, stop_at_step: int | None = None, seconds: float = 3600.0,
          callbacks: tuple[Callback, ...] = (), resume: bool = False) -> Trainer:
    """One run (or a resumed one) recorded in ``run_dir``; ``stop_at_step`` asks it to stop
    after exactly that many steps, as the Stop button or Ctrl-C does."""
    checkpoint = read_checkpoint(run_dir) if resume else None
    trainer = Trainer(project, probes=False, report_interval=None, resume=checkpoint.state if checkpoint else None)
    trainer.callbacks += [RunRecorder(run_dir, project, checkpoint_seconds=seconds, resume=checkpoint), *callbacks]
    for step in trainer.iter_fit():
        if step == stop_at_step:
            trainer.control.stop()
    return trainer


def losses(run_dir: Path) -> list[float]:
    """Every number of every metrics line but the time, in order."""
    return [m[key] for m in read_metrics(run_dir)
            for key in ("epoch", "step", "lr", "train_loss", "val_loss", "train_acc", "val_acc")]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[float], dict[str, torch.Tensor]]:
    run_dir = tmp_path_factory.mktemp("uninterrupted")
    train(spiral_project(), run_dir)
    return losses(run_dir), load_run_dir(run_dir)[1]


INTERRUPTIONS: dict[str, Callable[[Project, Path], Trainer]] = {
    # stopped inside epoch 2, after its 7th step
    "stop mid-epoch": lambda p, d: train(p, d, stop_at_step=SPE + 7),
    # stopped after epoch 2's last step, which interrupts its validation
    "stop before validation": lambda p, d: train(p, d, stop_at_step=2 * SPE),
    # stopped at epoch 2's end: the checkpoint is at epoch 3's first step
    "stop at an epoch boundary": lambda p, d: train(p, d, callbacks=(StopAtEpochEnd(2),)),
    # the process dies at epoch 3's end, after the periodic checkpoint of epoch 3's report and
    # before the schedule and early stopping took epoch 3 into account
    "crash at an epoch end": lambda p, d: train(p, d, seconds=0.0, callbacks=(CrashAtEpochEnd(3),)),
}


@pytest.mark.parametrize("how", list(INTERRUPTIONS))
def test_a_resumed_run_takes_the_steps_of_an_uninterrupted_one(
        how: str, tmp_path: Path, reference: tuple[list[float], dict[str, torch.Tensor]]) -> None:
    project = spiral_project()
    try:
        stopped: Trainer | None = INTERRUPTIONS[how](project, tmp_path)
    except Crash:
        stopped = None
    assert stopped is None or stopped.result.status == "stopped"
    assert len(read_metrics(tmp_path)) < 5
    resumed = train(project, tmp_path, resume=True)
    assert resumed.result.status == "finished"
    expected_losses, expected_weights = reference
    assert losses(tmp_path) == pytest.approx(expected_losses, rel=1e-6)
    weights = load_run_dir(tmp_path)[1]
    assert weights.keys() == expected_weights.keys()
    for name, tensor in expected_weights.items():
        torch.testing.assert_close(weights[name], tensor, rtol=1e-6, atol=1e-7, msg=name)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adamw", "rprop"])
def test_every_optimiser_resumes_mid_epoch_on_the_same_trajectory(tmp_path: Path, optimizer: str) -> None:
    project = spiral_project(epochs=3, optimizer=optimizer, scheduler={"name": "cosine"},
                             grad_clip={"mode": "norm", "max": 1.0})
    train(project, tmp_path / "straight")
    train(project, tmp_path / "resumed", stop_at_step=SPE + 5)
    train(project, tmp_path / "resumed", resume=True)
    assert losses(tmp_path / "resumed") == pytest.approx(losses(tmp_path / "straight"), rel=1e-6)


def test_a_crash_before_the_first_checkpoint_leaves_a_folder_that_starts_again(tmp_path: Path) -> None:
    project = spiral_project(epochs=2)
    with pytest.raises(Crash):
        train(project, tmp_path, callbacks=(CrashAtEpochEnd(1),))
    assert (tmp_path / "project.json").is_file()
    assert read_checkpoint(tmp_path) is None
    assert [m["epoch"] for m in read_metrics(tmp_path)] == [1]
    resumed = train(project, tmp_path, resume=True)
    assert resumed.result.status == "finished"
    assert [m["epoch"] for m in read_metrics(tmp_path)] == [1, 2]


class Clock(Callback):
    """The recorder's clock, moved on 10 s at every epoch end (after the recorder looked)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
        self.now += 10.0


@pytest.mark.parametrize(("seconds", "write_takes", "expected"), [
    (3600.0, 0.0, 1),  # only the final checkpoint
    (25.0, 0.0, 2),    # at the epoch end that sees 30 s, and the final one
    (5.0, 0.0, 5),     # at every epoch end from 10 s on, and the final one
    (5.0, 2.0, 2),     # a write that takes 2 s waits 20 times that before the next
])
def test_checkpoints_follow_the_clock_within_a_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      seconds: float, write_takes: float, expected: int) -> None:
    import playground.core.checkpoint as checkpoint

    clock = Clock()
    write = checkpoint.write_checkpoint

    def slow_write(*args: Any) -> None:
        write(*args)
        clock.now += write_takes

    monkeypatch.setattr(checkpoint, "time", clock)
    monkeypatch.setattr(checkpoint, "write_checkpoint", slow_write)
    trainer = train(spiral_project(epochs=5), tmp_path, seconds=seconds, callbacks=(clock,))
    assert trainer.callbacks[0].checkpoints == expected


def test_the_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CHECKPOINT_ENV, "0.25")
    assert checkpoint_interval() == 0.25
    for bad in ("soon", "0", "-1", "nan", "inf"):
        monkeypatch.setenv(CHECKPOINT_ENV, bad)
        with pytest.raises(UserError, match=CHECKPOINT_ENV):
            checkpoint_interval()


# --------------------------------------------------------------------------- the file


class Saved(tuple):
    """(run folder, checkpoint bytes), with a short repr for hypothesis' reports."""

    def __repr__(self) -> str:
        return f"Saved({self[0]})"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    run_dir = tmp_path_factory.mktemp("saved")
    train(spiral_project(epochs=2), run_dir, stop_at_step=SPE + 3)
    return Saved((run_dir, (run_dir / CHECKPOINT_FILE).read_bytes()))


def test_the_checkpoint_is_safetensors_and_json(saved: tuple[Path, bytes]) -> None:
    run_dir, _ = saved
    with safe_open(str(run_dir / CHECKPOINT_FILE), framework="pt") as f:
        metadata = f.metadata()
        names = list(f.keys())
    assert metadata["format"] == "nn-playground-checkpoint/1"
    assert metadata["status"] == "stopped"
    structure = json.loads(metadata["state"])
    assert any(name.endswith(":/optimizer/state/0/exp_avg") for name in names)
    checkpoint = read_checkpoint(run_dir)
    assert (checkpoint.step, checkpoint.completed, checkpoint.mid_epoch) == (SPE + 3, 1, True)
    state = checkpoint.state
    assert isinstance(state["optimizer"]["param_groups"][0]["betas"], tuple)  # tuples and int keys survive
    assert 0 in state["optimizer"]["state"]
    assert structure["D"][0] == ["version", 1]


def _refused_or_intact(run_dir: Path, original: dict[str, Any]) -> None:
    try:
        checkpoint = read_checkpoint(run_dir)
    except CheckpointError as exc:
        message = str(exc)
        checkpoint = None
    if checkpoint is None:
        assert str(run_dir / CHECKPOINT_FILE) in message
        return
    # a change the format does not see (a space of the header's padding): the same state
    assert checkpoint is not None
    assert checkpoint.step == original["step"]
    for key, value in original["model"].items():
        assert torch.equal(checkpoint.state["model"][key], value)


@given(cut=st.integers(min_value=0, max_value=10**6))
def test_a_truncated_checkpoint_is_refused(saved: tuple[Path, bytes], tmp_path_factory: pytest.TempPathFactory,
                                           cut: int) -> None:
    source, data = saved
    run_dir = tmp_path_factory.mktemp("cut")
    (run_dir / CHECKPOINT_FILE).write_bytes(data[: cut % len(data)])
    with pytest.raises(CheckpointError, match="damaged or not a checkpoint"):
        read_checkpoint(run_dir)


@given(position=st.integers(min_value=0, max_value=10**6), xor=st.integers(min_value=1, max_value=255))
def test_a_damaged_checkpoint_is_refused_or_read_intact(saved: tuple[Path, bytes], position: int, xor: int,
                                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    source, data = saved
    run_dir = tmp_path_factory.mktemp("flip")
    damaged = bytearray(data)
    damaged[position % len(data)] ^= xor
    (run_dir / CHECKPOINT_FILE).write_bytes(bytes(damaged))
    _refused_or_intact(run_dir, read_checkpoint(source).state)


@pytest.mark.parametrize("structure", [
    "[" * 100_000 + "]" * 100_000,                  # deeper than the parser goes
    json.dumps({"L": [{"L": [0]}] * 3}),           # no dict at the top
    json.dumps({"D": [["step", {"T": "nowhere"}]]}),  # a tensor the file does not hold
    json.dumps({"X": 1}),
    "not json",
])
def test_a_crafted_structure_is_refused(tmp_path: Path, structure: str) -> None:
    tensors = {"0:/x": torch.zeros(2)}
    metadata = {"format": "nn-playground-checkpoint/1", "status": "running", "state": structure,
                "digest": checkpoint_digest(tensors, "running", structure)}
    (tmp_path / CHECKPOINT_FILE).write_bytes(safetensors.torch.save(tensors, metadata=metadata))
    with pytest.raises(CheckpointError, match="damaged or not a checkpoint"):
        read_checkpoint(tmp_path)


def test_a_pickle_is_never_loaded(tmp_path: Path) -> None:
    """A torch.save file (a pickle that would run code) in the checkpoint's place is refused."""
    marker = tmp_path / "ran"
    torch.save({"step": 1, "hook": _Exploit(marker)}, tmp_path / CHECKPOINT_FILE)
    with pytest.raises(CheckpointError, match="damaged or not a checkpoint"):
        read_checkpoint(tmp_path)
    assert not marker.exists()


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_another_format_version_is_named(tmp_path: Path) -> None:
    data = checkpoint_bytes({"step": 0, "completed": 0, "phase": "closed"}, "running")
    (tmp_path / CHECKPOINT_FILE).write_bytes(data.replace(b"nn-playground-checkpoint/1", b"nn-playground-checkpoint/7"))
    with pytest.raises(CheckpointError, match="another version of the app"):
        read_checkpoint(tmp_path)


def test_a_state_that_does_not_fit_the_project_is_refused(saved: tuple[Path, bytes]) -> None:
    run_dir, _ = saved
    checkpoint = read_checkpoint(run_dir)
    wider = spiral_project(epochs=2)
    wider.graph.nodes["h1"].params["units"] = 9
    with pytest.raises(UserError, match="do not fit this network"):
        Trainer(wider, probes=False, resume=checkpoint.state)
    other_batch = spiral_project(epochs=2, batch_size=20)
    with pytest.raises(UserError, match="steps per epoch"):
        Trainer(other_batch, probes=False, resume=checkpoint.state)
    sgd = spiral_project(epochs=2, optimizer="momentum")
    with pytest.raises(UserError, match="trained with the adam optimiser; this project uses momentum"):
        Trainer(sgd, probes=False, resume=checkpoint.state)
    cosine = spiral_project(epochs=2, scheduler={"name": "cosine"})
    with pytest.raises(UserError, match="step learning-rate schedule; this project uses cosine"):
        Trainer(cosine, probes=False, resume=checkpoint.state)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, (list, tuple)):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [path]


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    items = [_replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]
    return tuple(items) if isinstance(value, tuple) else items


ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.floats(), st.text(max_size=5),
    st.lists(st.integers(min_value=-3, max_value=3), max_size=3),
    st.builds(lambda shape, fill: torch.full(shape, fill),
              st.lists(st.integers(min_value=0, max_value=3), max_size=3).map(tuple),
              st.floats(allow_nan=True, allow_infinity=True, width=32)),
    st.builds(lambda shape: torch.zeros(shape, dtype=torch.uint8),
              st.lists(st.integers(min_value=0, max_value=3), max_size=2).map(tuple)),
)


@settings(max_examples=40)
@given(data=st.data())
def test_a_state_with_any_value_changed_resumes_or_is_refused(saved: tuple[Path, bytes], data: st.DataObject
                                                              ) -> None:
    """What someone may write into a checkpoint (with a checksum to match): a message or a run,
    never a traceback."""
    run_dir, _ = saved
    state = read_checkpoint(run_dir).state
    path = data.draw(st.sampled_from(_leaves(state)), label="path")
    changed = _replaced(state, path, data.draw(ODD_VALUES, label="value"))
    try:
        trainer = Trainer(spiral_project(epochs=2), probes=False, report_interval=None, resume=changed)
        result = trainer.fit()
    except UserError:
        return
    assert result.status in ("finished", "diverged", "early_stopped")  # a patience counter written near its end stops


# --------------------------------------------------------------------------- the folder

def test_orphaned_temp_files_are_removed_and_nothing_else(tmp_path: Path) -> None:
    orphans = [tmp_path / ".checkpoint.safetensors.k3j4.tmp", tmp_path / ".project.json.x9.tmp"]
    for orphan in orphans:
        orphan.write_bytes(b"half a file")
    keep = [tmp_path / "notes.tmp", tmp_path / ".hidden", tmp_path / "metrics.jsonl"]
    for path in keep:
        path.write_text("{}\n")
    assert sorted(remove_temp_files(tmp_path)) == sorted(orphans)
    assert all(path.exists() for path in keep)
    assert not any(path.exists() for path in orphans)


def test_a_recorder_cleans_its_folder_and_resumes_past_a_write_cut_short(tmp_path: Path) -> None:
    """What kill -9 during a checkpoint write leaves: the previous checkpoint whole, a temp file
    with part of the new one, and maybe a metrics line cut short."""
    project = spiral_project(epochs=3)
    train(project, tmp_path, stop_at_step=SPE + 4)
    data = (tmp_path / CHECKPOINT_FILE).read_bytes()
    orphan = tmp_path / ".checkpoint.safetensors.a1b2c3.tmp"
    orphan.write_bytes(data[: len(data) // 2])
    with (tmp_path / "metrics.jsonl").open("a") as f:
        f.write('{"epoch": 2, "step": 2')
    resumed = train(project, tmp_path, resume=True)
    assert not orphan.exists()
    assert resumed.result.status == "finished"
    assert [m["epoch"] for m in read_metrics(tmp_path)] == [1, 2, 3]


def test_metrics_are_cut_back_to_the_checkpoint(tmp_path: Path, saved: tuple[Path, bytes]) -> None:
    source, data = saved
    (tmp_path / CHECKPOINT_FILE).write_bytes(data)  # at step SPE + 3, inside epoch 2
    lines = [{"epoch": 1, "step": SPE}, {"epoch": 1, "step": SPE + 3},  # the second: a stopped run's last line
             {"epoch": 2, "step": 2 * SPE}, {"epoch": 3, "step": 3 * SPE}]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"epo')
    assert trim_metrics(tmp_path, read_checkpoint(tmp_path)) == SPE
    assert read_metrics(tmp_path) == lines[:1]
