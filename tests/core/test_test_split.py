"""The test split is measured once, when a run ends, with the weights it ended with: the figure
no choice made while training has seen (FORMAT.md, "Test split")."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from playground.cli import main
from playground.core.checkpoint import RunRecorder
from playground.core.project import save_project
from playground.core.run_dir import read_metrics
from playground.core.training import Trainer
from tests.core.test_training import PLANE, XOR, project_of


def _test_split_figures(trainer: Trainer) -> tuple[float, float]:
    """Loss and accuracy of the trainer's model on its test split, computed here independently."""
    test = trainer.dataset.test
    trainer.model.eval()
    with torch.no_grad():
        out = trainer.model(test.x)
    return F.cross_entropy(out, test.y).item(), (out.argmax(1) == test.y).float().mean().item()


def test_the_last_metrics_line_carries_the_test_split_of_the_final_weights(tmp_path: Path) -> None:
    project = project_of([{"units": 8, "activation": "tanh"}], XOR, epochs=4, device="cpu")
    trainer = Trainer(project, probes=False)
    trainer.callbacks.append(RunRecorder(tmp_path, project))
    result = trainer.fit()

    loss, acc = _test_split_figures(trainer)
    assert result.test_loss == pytest.approx(loss, rel=1e-5)
    assert result.test_acc == pytest.approx(acc)
    lines = read_metrics(tmp_path)
    assert [line["epoch"] for line in lines] == [1, 2, 3, 4]  # completed in place, not a line more
    assert lines[-1]["test_loss"] == pytest.approx(loss, rel=1e-5)
    assert lines[-1]["test_acc"] == pytest.approx(acc)
    assert all("test_loss" not in line for line in lines[:-1])


def test_early_stopping_is_tested_with_the_weights_it_kept() -> None:
    project = project_of([{"units": 32, "activation": "relu"}] * 2, {**XOR, "samples": 120}, epochs=60,
                         lr=0.1, early_stopping={"patience": 2}, device="cpu")
    trainer = Trainer(project, probes=False)
    result = trainer.fit()
    assert result.status == "early_stopped"
    assert result.test_loss == pytest.approx(_test_split_figures(trainer)[0], rel=1e-5)


def test_regression_has_a_test_loss_and_no_accuracy() -> None:
    result = Trainer(project_of([{"units": 8, "activation": "tanh"}], PLANE, {"loss": "mse"}, epochs=2),
                     probes=False).fit()
    assert result.test_loss is not None
    assert result.test_loss < 10
    assert result.test_acc is None


def test_a_diverged_run_has_no_test_figures() -> None:
    hidden = [{"units": 32, "activation": "relu"}] * 3
    result = Trainer(project_of(hidden, PLANE, {"loss": "mse"}, optimizer="sgd", lr=10.0), probes=False).fit()
    assert result.status == "diverged"
    assert (result.test_loss, result.test_acc) == (None, None)


def test_a_resumed_run_keeps_one_test_line_at_its_new_end(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path, run_dir = tmp_path / "xor.json", tmp_path / "run"
    save_project(project_of([{"units": 8, "activation": "tanh"}], XOR, epochs=2, device="cpu"), path)
    assert main(["train", str(path), "--run-dir", str(run_dir)]) == 0
    assert ", test loss " in capsys.readouterr().out
    assert main(["train", "--resume", str(run_dir), "--epochs", "3"]) == 0
    lines = read_metrics(run_dir)
    assert [line["epoch"] for line in lines] == [1, 2, 3]
    assert ["test_loss" in line for line in lines] == [False, False, True]
