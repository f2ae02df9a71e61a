"""The trainer: it learns what the lectures say it learns, fails where they say it fails, stops
by itself when it diverges, obeys its controls between steps, and reports plain data."""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
from typing import Any

import numpy as np
import pytest
import torch

from playground.core.devices import available_devices, resolve_device
from playground.core.graph import Graph
from playground.core.params import UserError
from playground.core.project import Project
from playground.core.training import (
    Callback,
    Report,
    TrainControl,
    Trainer,
    TrainResult,
    shuffled_indices,
    usable_length,
)


def project_of(hidden: list[dict[str, Any]], dataset: dict[str, Any], output: dict[str, Any] | None = None,
               **training: Any) -> Project:
    """A chain Input -> h1 -> h2 ... -> Output: each ``hidden`` entry is a node (``type``
    defaults to Dense, everything else is its params)."""
    nodes = [{"id": "in", "type": "Input"}]
    for i, spec in enumerate(hidden, 1):
        spec = dict(spec)
        nodes.append({"id": f"h{i}", "type": spec.pop("type", "Dense"), "params": spec})
    nodes.append({"id": "out", "type": "Output", "params": output or {}})
    ids = [n["id"] for n in nodes]
    graph, problems = Graph.from_dict({"nodes": nodes, "edges": [list(e) for e in zip(ids, ids[1:])]})
    assert not problems, problems
    settings = {"optimizer": "adam", "lr": 0.03, "batch_size": 10, "epochs": 30, **training}
    return Project("test", dataset, graph, settings)


XOR = {"name": "xor", "samples": 500}
DIGITS = {"name": "digits"}
PLANE = {"name": "plane", "samples": 200}


class Recorder(Callback):
    """Keeps every hook call in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.reports: list[Report] = []
        self.epoch_reports: list[Report] = []
        self.result: TrainResult | None = None

    def on_start(self, trainer: Trainer) -> None:
        self.calls.append("start")

    def on_report(self, trainer: Trainer, report: Report) -> None:
        self.calls.append("report")
        self.reports.append(report)

    def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
        self.calls.append("epoch_end")
        self.epoch_reports.append(report)

    def on_finish(self, trainer: Trainer, result: TrainResult) -> None:
        self.calls.append("finish")
        self.result = result


def fit(project: Project, **kwargs: Any) -> tuple[Trainer, TrainResult, Recorder]:
    recorder = Recorder()
    trainer = Trainer(project, callbacks=[recorder], **kwargs)
    return trainer, trainer.fit(), recorder


# --------------------------------------------------------------------------- what networks learn

def test_xor_needs_a_hidden_layer() -> None:
    _, flat, _ = fit(project_of([], XOR))
    _, deep, _ = fit(project_of([{"units": 8, "activation": "tanh"}], XOR))
    assert flat.status == deep.status == "finished"
    assert flat.report.val_acc < 0.75
    assert deep.report.val_acc > 0.95


@pytest.mark.parametrize(("dataset", "hidden", "training"), [
    ({"name": "spiral", "samples": 1000, "test_fraction": 0.2}, [{"units": 32, "activation": "relu"}] * 2,
     {"lr": 0.01, "batch_size": 16}),
    (DIGITS, [{"units": 64, "activation": "relu"}], {"lr": 0.01, "batch_size": 32, "epochs": 8}),
])
def test_spiral_and_digits_reach_high_validation_accuracy(dataset: dict[str, Any], hidden: list[dict[str, Any]],
                                                          training: dict[str, Any]) -> None:
    _, result, _ = fit(project_of(hidden, dataset, **training), report_interval=None, probes=False)
    assert result.report.val_acc > 0.9


def _first_step_gradients(activation: str, init: str) -> dict[str, float]:
    project = project_of([{"units": 32, "activation": activation, "init": init}] * 10, DIGITS, lr=0.001,
                         batch_size=32, epochs=1)
    trainer = Trainer(project, probes=False)
    trainer.control.pause()
    run = trainer.iter_fit()
    trainer.control.step()
    while trainer.step < 1:
        next(run)
    run.close()
    return trainer.last_report.grad_norm


def test_sigmoid_stacks_vanish_and_relu_with_he_init_does_not() -> None:
    sigmoid = _first_step_gradients("sigmoid", "normal")
    relu = _first_step_gradients("relu", "he_normal")
    assert sigmoid["h10"] / sigmoid["h1"] >= 1e4  # measured: about 1e8
    assert 0.1 <= relu["h10"] / relu["h1"] <= 10  # measured: about 0.6


def test_a_huge_learning_rate_trips_the_divergence_guard() -> None:
    hidden = [{"units": 32, "activation": "relu"}] * 3
    trainer, result, recorder = fit(project_of(hidden, PLANE, {"loss": "mse"}, optimizer="sgd", lr=10.0))
    assert result.status == "diverged"
    match = re.fullmatch(r"training diverged at step (\d+): the (loss|gradients) became (NaN|infinite|NaN or "
                         r"infinite); the largest gradients were in (Dense|Output) '(h\d|out)' \(norm [0-9.e+-]+\)\. "
                         r"Lower the learning rate or enable gradient clipping\.", result.message)
    assert match, result.message
    assert 1 <= int(match[1]) <= result.steps
    assert all(torch.isfinite(t).all() for t in trainer.model.state_dict().values())
    assert recorder.calls[-1] == "finish"


# --------------------------------------------------------------------------- control

def test_stop_from_another_thread_returns_quickly() -> None:
    trainer = Trainer(project_of([{"units": 64, "activation": "relu", "batchnorm": True}], DIGITS,
                                 epochs=10_000))
    thread = trainer.run_in_thread()
    deadline = time.monotonic() + 20
    while trainer.step < trainer.steps_per_epoch + 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    began = time.perf_counter()
    trainer.control.stop()
    thread.join(5)
    assert time.perf_counter() - began < 0.5
    assert not thread.is_alive()
    assert trainer.result.status == "stopped"
    assert trainer.error is None


def test_pause_single_step_learning_rate_and_resume() -> None:
    control = TrainControl()
    control.pause()
    recorder = Recorder()
    trainer = Trainer(project_of([{"units": 8, "activation": "tanh"}], XOR, epochs=100), control=control,
                      callbacks=[recorder])
    run = trainer.iter_fit()
    for _ in range(3):
        next(run)
    assert trainer.step == 0
    assert control.paused
    control.set_lr(0.5)
    control.step()
    assert next(run) == 1
    next(run)
    assert trainer.step == 1
    assert recorder.reports[-1].step == 1
    assert recorder.reports[-1].lr == 0.5
    control.resume()
    for _ in range(30):
        next(run)
    assert trainer.step == 31
    control.stop()
    with pytest.raises(StopIteration) as done:
        next(run)
    result: TrainResult = done.value.value
    assert result.status == "stopped"
    assert result.steps == 31
    assert result.report.lr == 0.5
    with pytest.raises(UserError):
        control.set_lr(float("nan"))


def test_calls_run_between_steps_and_after_the_end() -> None:
    trainer = Trainer(project_of([{"units": 8, "activation": "tanh"}], XOR, epochs=2))
    run = trainer.iter_fit()
    next(run)
    seen = trainer.control.call_between_steps(lambda t: (threading.current_thread(), t.step))
    failing = trainer.control.call_between_steps(lambda t: 1 / 0)
    assert not seen.done()
    next(run)
    assert seen.result(0) == (threading.current_thread(), 1)
    with pytest.raises(ZeroDivisionError):
        failing.result(0)
    for _ in run:
        pass
    late = trainer.control.call_between_steps(lambda t: t.step)
    assert late.result(0) == trainer.total_steps


def test_keyboard_interrupt_in_a_callback_stops_cleanly() -> None:
    class Interrupt(Callback):
        def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
            if report.epoch == 2:
                raise KeyboardInterrupt

    recorder = Recorder()
    trainer = Trainer(project_of([{"units": 8, "activation": "tanh"}], XOR), callbacks=[Interrupt(), recorder])
    result = trainer.fit()
    assert result.status == "stopped"
    assert result.steps == 2 * trainer.steps_per_epoch
    assert recorder.calls[-1] == "finish"


# --------------------------------------------------------------------------- reports

def _plain(value: Any) -> bool:
    if dataclasses.is_dataclass(value):
        return all(_plain(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, np.ndarray):
        return value.flags.owndata or value.base is None or not isinstance(value.base, torch.Tensor)
    return value is None or isinstance(value, (bool, int, float, str))


def test_reports_are_plain_data_at_epoch_ends_and_in_between() -> None:
    project = project_of([{"units": 16, "activation": "relu", "dropout": 0.1}, {"units": 16, "activation": "tanh"}],
                         DIGITS, epochs=3, batch_size=16)
    trainer, result, recorder = fit(project, report_interval=0.0)
    assert recorder.calls[0] == "start"
    assert recorder.calls[-1] == "finish"
    assert recorder.calls.count("epoch_end") == 3
    assert [r.epoch for r in recorder.epoch_reports] == [1, 2, 3]
    assert recorder.epoch_reports[-1].step == trainer.total_steps == result.steps
    assert all(_plain(r) for r in recorder.reports)
    between = [r for r in recorder.reports if not r.epoch_end]
    assert between
    assert all(r.val_loss is None for r in between)
    measured = next(r for r in recorder.reports if r.activations)
    assert set(measured.grad_norm) == {"h1", "h2", "out"}
    assert measured.activations["h1"].dead is not None
    assert measured.activations["h1"].saturated is None
    assert measured.activations["h2"].saturated is not None
    assert measured.activations["h2"].dead is None
    assert set(measured.weights) == {"h1", "h2", "out"}
    assert all(0 <= r.train_acc <= 1 for r in recorder.epoch_reports)
    line = result.report.metrics()
    assert set(line) == {"epoch", "step", "time", "lr", "train_loss", "val_loss", "train_acc", "val_acc", "grad_norm"}


def test_regression_reports_no_accuracy() -> None:
    _, result, _ = fit(project_of([{"units": 8, "activation": "tanh"}], PLANE, {"loss": "l1"}, epochs=3))
    assert result.status == "finished"
    assert result.report.train_acc is None
    assert result.report.val_acc is None
    assert result.report.val_loss < 1


def test_same_seed_same_metrics() -> None:
    def metrics(seed: int) -> list[dict[str, Any]]:
        project = project_of([{"units": 16, "activation": "relu", "dropout": 0.3}], XOR, epochs=4, seed=seed,
                             augment=["noise"])
        _, _, recorder = fit(project, report_interval=0.0)
        return [{k: v for k, v in r.metrics().items() if k != "time"} for r in recorder.epoch_reports]

    assert metrics(3) == metrics(3)
    assert metrics(3) != metrics(4)


# --------------------------------------------------------------------------- settings

@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "rprop"])
def test_every_optimizer_lowers_the_loss(optimizer: str) -> None:
    lr = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.1, "rprop": 0.01}.get(optimizer, 0.01)
    project = project_of([{"units": 8, "activation": "tanh"}], XOR, optimizer=optimizer, lr=lr, epochs=5,
                         weight_decay=1e-4, batch_size=50 if optimizer == "rprop" else 10)
    _, result, recorder = fit(project, probes=False)
    assert recorder.epoch_reports[-1].train_loss < recorder.epoch_reports[0].train_loss


def test_step_schedule_halves_the_learning_rate_each_epoch() -> None:
    project = project_of([], XOR, lr=0.08, epochs=4, scheduler={"name": "step", "step_size": 1, "gamma": 0.5})
    _, _, recorder = fit(project, probes=False)
    assert [r.lr for r in recorder.epoch_reports] == pytest.approx([0.08, 0.04, 0.02, 0.01])


def test_clipping_by_value_bounds_every_update() -> None:
    project = project_of([{"units": 8, "activation": "tanh"}], XOR, optimizer="sgd", lr=1.0, epochs=1,
                         grad_clip={"mode": "value", "max": 1e-4})
    trainer = Trainer(project, probes=False)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.fit()
    change = max(float((trainer.model.state_dict()[k] - v).abs().max()) for k, v in before.items())
    assert change <= 1e-4 * result.steps + 1e-7


def test_l1_pushes_weights_towards_zero() -> None:
    def mean_abs(l1: float) -> float:
        trainer, _, _ = fit(project_of([{"units": 16, "activation": "tanh"}], XOR, epochs=10, l1=l1), probes=False)
        return float(trainer.model.h1.linear.weight.detach().abs().mean())

    assert mean_abs(0.05) < 0.5 * mean_abs(0.0)


def test_early_stopping_restores_the_best_weights() -> None:
    kept: dict[str, torch.Tensor] = {}

    class Snapshot(Callback):
        def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
            if report.epoch == 1:
                kept.update({k: v.clone() for k, v in trainer.model.state_dict().items()})

    project = project_of([{"units": 8, "activation": "tanh"}], XOR, early_stopping={"patience": 2, "min_delta": 1e6})
    trainer = Trainer(project, callbacks=[Snapshot()], probes=False)
    result = trainer.fit()
    assert result.status == "early_stopped"
    assert result.epochs == 3
    assert "kept the weights of epoch 1" in result.message
    for key, value in trainer.model.state_dict().items():
        assert torch.equal(value, kept[key]), key


def test_bce_with_label_smoothing_learns_xor() -> None:
    _, bce, _ = fit(project_of([{"units": 8, "activation": "tanh"}], XOR,
                               {"loss": "bce", "label_smoothing": 0.1}, epochs=20))
    assert bce.report.val_acc > 0.9


def test_a_small_cnn_learns_digits_with_noise_augmentation() -> None:
    conv = [{"type": "Conv2d", "filters": 8, "activation": "relu"}, {"type": "MaxPool2d"}]
    _, result, _ = fit(project_of(conv, DIGITS, epochs=4, batch_size=32, lr=0.01, augment=["noise"]), probes=False)
    assert result.report.val_acc > 0.9


def test_mse_and_l1_on_classes_train_against_one_hot_targets_and_report_accuracy() -> None:
    """The lecture's comparison: squared error on one-hot targets also classifies (by the largest
    output), just less directly than cross-entropy."""
    for loss in ("mse", "l1"):
        trainer, result, _ = fit(project_of([{"units": 8, "activation": "tanh"}], XOR, {"loss": loss}, epochs=20),
                                 report_interval=None, probes=False)
        assert result.report.val_acc > 0.85, loss
        assert trainer.model(trainer.dataset.val.x[:4]).shape == (4, 2)
    _, smoothed, _ = fit(project_of([{"units": 64}], DIGITS, {"loss": "mse", "label_smoothing": 0.1},
                                    epochs=8, lr=0.01, batch_size=32), report_interval=None, probes=False)
    assert smoothed.report.val_acc > 0.85


def test_settings_that_cannot_work_are_refused_with_a_message() -> None:
    with pytest.raises(UserError, match="augmentation 'hflip' needs an image dataset"):
        Trainer(project_of([], XOR, augment=["hflip"]))
    with pytest.raises(UserError, match="early stopping .* val_fraction must be above 0"):
        Trainer(project_of([], XOR, val_fraction=0.0, early_stopping={"patience": 2}))
    with pytest.raises(UserError, match="cannot be trained"):
        Trainer(project_of([], PLANE))  # cross-entropy on regression targets
    with pytest.raises(UserError, match="not available"):
        Trainer(project_of([], XOR, device="cuda:7"))


# --------------------------------------------------------------------------- devices and sharding

def test_devices_list_the_cpu_and_resolve_auto() -> None:
    devices = available_devices()
    assert devices[0].id == "cpu"
    assert devices[0].kind == "cpu"
    assert "cpu" in devices[0].label
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in {d.kind for d in devices}
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match=r"'cuda:1' is not available on this machine \(it has: cpu"):
            resolve_device("cuda:1")


@pytest.mark.parametrize(("n", "world_size"), [(10, 1), (10, 3), (7, 2)])
def test_each_process_gets_a_distributed_sampler_share(n: int, world_size: int) -> None:
    shares = [shuffled_indices(n, seed=5, epoch=2, rank=r, world_size=world_size) for r in range(world_size)]
    assert len({len(s) for s in shares}) == 1
    assert len(shares[0]) == math.ceil(n / world_size)
    assert set(torch.cat(shares).tolist()) == set(range(n))
    assert not torch.equal(shuffled_indices(n, 5, 1), shuffled_indices(n, 5, 2))
    assert usable_length(21, 10) == 20
    assert usable_length(20, 10) == 20
    assert usable_length(1, 10) == 1


def test_training_continues_from_earlier_weights() -> None:
    project = project_of([{"units": 8, "activation": "tanh"}], XOR, epochs=15)
    first, result, _ = fit(project)
    state = {k: v.clone() for k, v in first.model.state_dict().items()}
    again = Trainer(project, initial_state=state)
    assert all(torch.equal(v, state[k]) for k, v in again.model.state_dict().items())
    fresh = Trainer(project)
    assert not torch.equal(fresh.model.h1.linear.weight, state["h1.linear.weight"])
    resumed = again.fit()
    assert resumed.report.val_acc >= result.report.val_acc - 0.05
