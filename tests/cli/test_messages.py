"""Messages the CLI prints and the app shows after a status word read as sentences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playground.cli import main
from playground.core.project import CURRENT_VERSION, FORMAT_PREFIX, save_project
from playground.core.training import Trainer
from tests.core.test_project import example
from tests.core.test_training import XOR, project_of


def test_an_unknown_format_names_the_one_version_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps(example(format=f"{FORMAT_PREFIX}0")), encoding="utf-8")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    if CURRENT_VERSION == 1:
        assert f"this version reads only '{FORMAT_PREFIX}1'" in err
        assert "to 'nn-playground/1'" not in err
    else:
        assert f"reads '{FORMAT_PREFIX}1' to '{FORMAT_PREFIX}{CURRENT_VERSION}'" in err


def test_a_stopped_run_says_when_after_the_word_stopped() -> None:
    trainer = Trainer(project_of([{"units": 8, "activation": "tanh"}], XOR, epochs=1000))
    run = trainer.iter_fit()
    while trainer.step < 30:
        next(run)
    trainer.control.stop()
    with pytest.raises(StopIteration) as done:
        next(run)
    result = done.value.value
    assert result.status == "stopped"
    shown = f"Stopped: {result.message}"                     # as the training panel shows it
    assert shown == f"Stopped: at step {result.steps:,}, as requested", shown


def test_an_early_stop_reads_after_stopped_early(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = project_of([{"units": 8, "activation": "tanh"}], XOR,
                         early_stopping={"patience": 2, "min_delta": 1e6})
    save_project(project, tmp_path / "xor.json")
    assert main(["train", str(tmp_path / "xor.json"), "--device", "cpu", "--run-dir", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("stopped early after epoch 3 (the validation loss had not improved for 2 epochs); "
                              "kept the weights of epoch 1 (validation loss "), out
