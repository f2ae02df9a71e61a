"""``playground generate``: text from a trained character model, reproducible by seed, and a
clear refusal for anything that is not one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playground.cli import main

TEXT = "the cat sat on the mat and the dog ate the hat. " * 60


def char_project(folder: Path) -> Path:
    (folder / "tale.txt").write_text(TEXT, encoding="utf-8")
    project = {
        "format": "nn-playground/1",
        "dataset": {"name": "text", "path": "tale.txt", "seq_len": 16},
        "graph": {"nodes": [{"id": "in", "type": "Input"},
                            {"id": "embed", "type": "Embedding", "params": {"dim": 8}},
                            {"id": "lstm", "type": "LSTM", "params": {"units": 32}},
                            {"id": "out", "type": "Output"}],
                  "edges": [["in", "embed"], ["embed", "lstm"], ["lstm", "out"]]},
        "training": {"epochs": 30, "batch_size": 16, "lr": 0.02, "device": "cpu"},
    }
    path = folder / "char.json"
    path.write_text(json.dumps(project), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("char")
    assert main(["train", str(char_project(folder)), "--run-dir", str(folder / "run")]) == 0
    return folder / "run"


def test_a_trained_character_model_writes_its_texts_words_from_a_prompt(
        run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["generate", str(run_dir), "--prompt", "the ", "--length", "200", "--seed", "3",
                 "--temperature", "0.5"]) == 0
    text = capsys.readouterr().out.rstrip("\n")
    assert text.startswith("the ")
    assert len(text) == 204
    words = text.split()
    known = sum(w.strip(".") in {"the", "cat", "sat", "on", "mat", "and", "dog", "ate", "hat"} for w in words)
    assert known >= 0.6 * len(words)
    assert main(["generate", str(run_dir), "--prompt", "the ", "--length", "200", "--seed", "3",
                 "--temperature", "0.5"]) == 0
    assert capsys.readouterr().out.rstrip("\n") == text


@pytest.mark.parametrize(("argv", "message"), [
    (["--prompt", "zebra"], "'z'"),
    (["--temperature", "0"], "temperature"),
    (["--length", "0"], "--length"),
])
def test_bad_options_are_named(run_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                               message: str) -> None:
    assert main(["generate", str(run_dir), *argv]) == 1
    assert message in capsys.readouterr().err


def test_a_run_that_is_not_of_text_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "xor_hidden_layer", "--epochs", "1", "--run-dir", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    assert main(["generate", str(tmp_path / "run")]) == 1
    assert "generate needs a run of the text dataset" in capsys.readouterr().err
    assert main(["generate", str(tmp_path / "nothing")]) == 1
    assert "no such run folder" in capsys.readouterr().err
