"""``playground train`` prints the advisor's findings and writes them to ``advice.json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playground.cli import main
from playground.core.edits import apply_fix
from playground.core.project import load_project


def train(args: list[str], run_dir: Path) -> None:
    assert main(["train", *args, "--device", "cpu", "--run-dir", str(run_dir)]) == 0


def test_the_vanishing_example_is_advised_in_the_output_and_in_advice_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    train(["vanishing_sigmoid_digits", "--epochs", "12"], run_dir)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("advice: ")]
    assert any(line.startswith("advice: vanishing_gradients: the gradients reaching Dense 'h1'") for line in lines)
    advice = json.loads((run_dir / "advice.json").read_text())
    entry = next(a for a in advice if a["rule"] == "vanishing_gradients")
    assert set(entry) == {"rule", "severity", "step", "nodes", "message", "fix"}
    assert entry["severity"] == "warning"
    assert "h1" in entry["nodes"]
    assert 0 < entry["step"] <= 12 * 36
    assert [f"advice: {a['rule']}: {a['message']}" for a in advice] == lines, "the same findings, in the same order"
    fixed = apply_fix(load_project(run_dir / "project.json"), entry["fix"])
    assert fixed.graph.nodes["h1"].params["activation"] == "relu"


def test_a_healthy_run_writes_an_empty_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    train(["relu_he_digits", "--epochs", "12"], run_dir)
    assert "advice: " not in capsys.readouterr().out
    assert [a for a in json.loads((run_dir / "advice.json").read_text()) if a["severity"] == "warning"] == []
