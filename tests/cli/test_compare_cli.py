"""``playground compare``: the table and summary.csv of FORMAT.md, example names as PROJECT,
user errors (exit 1) and usage errors (exit 2) on stderr, and a diverging variant."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from playground.cli import main
from playground.core.project import save_project
from tests.core.test_training import PLANE, XOR, project_of

ROOT = Path(__file__).resolve().parents[2]
HEADER_TAIL = ["final_train_loss", "final_val_loss", "final_train_acc", "final_val_acc", "test_loss", "test_acc",
               "epochs", "seconds"]


@pytest.fixture
def xor_file(tmp_path: Path) -> Path:
    path = tmp_path / "xor.json"
    save_project(project_of([{"units": 8, "activation": "tanh"}, {"units": 8, "activation": "tanh"}], XOR,
                            epochs=30, device="cpu"), path)
    return path


def summary_rows(out: Path) -> list[list[str]]:
    with (out / "summary.csv").open(newline="") as f:
        return list(csv.reader(f))


def test_compare_prints_the_table_and_writes_the_summary(xor_file: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(xor_file), "--vary", "graph.*.activation=relu,sigmoid", "--seeds", "2",
                 "--epochs", "1", "-o", str(out)]) == 0
    printed = capsys.readouterr()
    rows = summary_rows(out)
    assert rows[0] == ["graph.*.activation", "training.seed", *HEADER_TAIL]
    assert [r[:2] for r in rows[1:]] == [["relu", "0"], ["relu", "1"], ["sigmoid", "0"], ["sigmoid", "1"]]
    assert all(r[HEADER_TAIL.index("epochs") + 2] == "1" for r in rows[1:])  # --epochs beat the project's 30
    table = printed.out.splitlines()
    assert table[0].split() == ["#", "graph.*.activation", "training.seed", *HEADER_TAIL, "status"]
    assert [line.split()[:3] for line in table[1:5]] == [["1", "relu", "0"], ["2", "relu", "1"],
                                                         ["3", "sigmoid", "0"], ["4", "sigmoid", "1"]]
    assert all(line.split()[-1] == "finished" for line in table[1:5])
    assert f"wrote {out / 'summary.csv'} and 4 run folders" in printed.out
    assert "[3/4] activation=sigmoid, seed=0: training 1 epoch into 03-activation=sigmoid-seed=0/" in printed.err
    assert (out / "04-activation=sigmoid-seed=1" / "model.safetensors").is_file()


def test_a_shipped_example_name_works_as_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", "spiral", "--vary", "training.optimizer=sgd,adam", "--epochs", "1", "-o", str(out)]) == 0
    assert [r[0] for r in summary_rows(out)] == ["training.optimizer", "sgd", "adam"]


@pytest.mark.parametrize(("vary", "message"), [
    ("graph.h7.units=4", "error: --vary graph.h7.units: the network has no node 'h7'"),
    ("training.lr=0.1,1e9", "error: --vary training.lr=1000000000.0: training: lr must be a number above 0 to 10"),
])
def test_a_bad_path_or_value_is_a_user_error_before_anything_trains(
        xor_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], vary: str, message: str) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(xor_file), "--vary", vary, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert "Traceback" not in err
    assert not out.exists()


def test_a_vary_without_values_is_a_usage_error(xor_file: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["compare", str(xor_file), "--vary", "training.lr", "-o", str(tmp_path / "cmp")])
    assert usage.value.code == 2
    assert "--vary 'training.lr': write PATH=V1,V2,..." in capsys.readouterr().err


def test_a_diverging_variant_is_a_row_of_the_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "plane.json"
    save_project(project_of([{"units": 32, "activation": "relu"}] * 3, PLANE, {"loss": "mse"}, optimizer="sgd",
                            epochs=2, device="cpu"), project)
    out = tmp_path / "cmp"
    assert main(["compare", str(project), "--vary", "training.lr=10,0.01", "-o", str(out)]) == 0
    printed = capsys.readouterr()
    rows = summary_rows(out)
    assert rows[1][:2] == ["10", ""]  # no number where the run has none
    assert rows[2][0] == "0.01"
    assert float(rows[2][1]) > 0
    assert printed.out.splitlines()[1].split()[-1] == "diverged"
    assert "[1/2] diverged: training diverged at step" in printed.err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_stops_the_current_variant_and_still_writes_the_summary(tmp_path: Path) -> None:
    project = tmp_path / "long.json"
    save_project(project_of([{"units": 64, "activation": "tanh"}] * 2, {"name": "xor", "samples": 5000}, epochs=1000,
                            batch_size=1, device="cpu"), project)
    out = tmp_path / "cmp"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "playground", "compare", str(project), "--vary",
                             "training.lr=0.01,0.001", "-o", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / "01-lr=0.01" / "project.json").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # into the first variant's training
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "stopping this variant after its current step; no other starts" in stderr
    assert "stopped: 1 of 2 variants did not start" in stderr
    assert [r[0] for r in summary_rows(out)] == ["training.lr", "0.01"]
    assert stdout.splitlines()[1].split()[-1] == "stopped"
    assert not (out / "02-lr=0.001").exists()
