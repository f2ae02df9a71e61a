"""``playground check``: a table for a good project; exit 1 and a message naming the culprit,
never a traceback, for every kind of bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from playground.cli import main
from tests.core.test_project import EXAMPLE, example, node_change


def run_check(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | dict[str, Any],
              name: str = "project.json") -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def test_good_project_prints_table_and_total(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_check(tmp_path, capsys, EXAMPLE)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Spiral, two tanh layers: dataset 'spiral', input 2 features, 2 classes")
    assert lines[1].split() == ["node", "type", "output", "parameters"]
    assert lines[2].split() == ["in", "Input", "2", "0"]
    assert lines[3].split() == ["h1", "Dense", "8", "24"]
    assert lines[4].split() == ["h2", "Dense", "8", "88"]
    assert lines[5].split() == ["out", "Output", "2", "18"]
    assert lines[7].split() == ["total", "130"]
    assert "ok: the network is valid" in out


def graph_with(nodes: list[dict[str, Any]], edges: list[list[str]]) -> dict[str, Any]:
    return example(graph={"nodes": nodes, "edges": edges}, layout={})


IN, OUT = {"id": "in", "type": "Input"}, {"id": "out", "type": "Output"}

BAD: dict[str, tuple[bytes | dict[str, Any], str]] = {
    "invalid json": (b'{"format": "nn-playground/1",,}', "invalid JSON at line 1"),
    "empty file": (b"", "the file is empty"),
    "binary file": (bytes(range(256)), "is a binary file"),
    "wrong top-level type": (b"[]", "the top level must be a JSON object"),
    "no format": (b"{}", "has no 'format' field"),
    "unknown format version": (example(format="nn-playground/99"), "newer Neural Network Playground (format 99)"),
    "unknown type": (graph_with([IN, {"id": "c", "type": "Conv3d"}, OUT], [["in", "c"], ["c", "out"]]),
                     "node 'c' has unknown type 'Conv3d'"),
    "unknown param": (node_change(1, neurons=3), "Dense 'h1': unknown parameter 'neurons'"),
    "unknown activation": (node_change(1, activation="swish"), "Dense 'h1': activation must be one of"),
    "unknown init": (node_change(1, init="glorot"), "Dense 'h1': init must be one of"),
    "unknown optimizer": (example(training={"optimizer": "lion"}), "training: optimizer must be one of"),
    "unknown dataset": (example(dataset={"name": "imagenet"}), "dataset: unknown dataset 'imagenet'"),
    "negative units": (node_change(1, units=-1), "Dense 'h1': units must be a whole number from 1"),
    "dropout 1": (node_change(2, dropout=1), "Dense 'h2': dropout must be a number from 0 below 1"),
    "lr 0": (example(training={"lr": 0.0}), "training: lr must be a number above 0"),
    "absurd units": (node_change(1, units=10**12), "Dense 'h1': units must be a whole number from 1 to 65536"),
    "huge network": (graph_with([IN, {"id": "a", "type": "Dense", "params": {"units": 60000}},
                                 {"id": "b", "type": "Dense", "params": {"units": 60000}}, OUT],
                                [["in", "a"], ["a", "b"], ["b", "out"]]), "Dense 'b' would have"),
    "missing data file": (example(dataset={"name": "csv", "path": "missing.csv"}),
                          "dataset 'csv': path 'missing.csv' does not exist"),
    "cycle": (graph_with([IN, {"id": "a", "type": "Dense"}, {"id": "s", "type": "Add"}, OUT],
                         [["in", "s"], ["s", "a"], ["a", "s"], ["a", "out"]]), "the graph has a cycle through"),
    "two inputs": (graph_with([IN, {"id": "in2", "type": "Input"}, {"id": "s", "type": "Add"}, OUT],
                              [["in", "s"], ["in2", "s"], ["s", "out"]]), "exactly one Input node but has 2"),
    "dangling node": (graph_with([IN, {"id": "a", "type": "Dense"}, OUT], [["in", "out"], ["in", "a"]]),
                      "Dense 'a' leads nowhere"),
    "edge to missing node": (graph_with([IN, OUT], [["in", "out"], ["in", "ghost"]]),
                             "refers to a node that does not exist: 'ghost'"),
    "shape error": (example(dataset={"name": "digits"}, graph={
        "nodes": [IN, {"id": "f", "type": "Flatten"}, {"id": "c1", "type": "Conv2d"}, OUT],
        "edges": [["in", "f"], ["f", "c1"], ["c1", "out"]]}, layout={}),
        "Conv2d 'c1' needs an image input (C, H, W) but gets 64 features"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_1_naming_the_culprit(case: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    content, expected = BAD[case]
    code, out, err = run_check(tmp_path, capsys, content)
    assert code == 1
    assert expected in err, err
    assert "Traceback" not in out + err


def test_missing_project_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "none.json")]) == 1
    assert "none.json: no such file" in capsys.readouterr().err


def test_real_command_exit_codes(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(EXAMPLE))
    bad.write_bytes(b"\x00\x01")
    command = [sys.executable, "-m", "playground", "check"]
    ok = subprocess.run([*command, str(good)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0
    assert "total" in ok.stdout
    fail = subprocess.run([*command, str(bad)], capture_output=True, text=True, timeout=120)
    assert fail.returncode == 1
    assert "binary file" in fail.stderr
    assert "Traceback" not in fail.stderr
    usage = subprocess.run([*command], capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2
    core_only = subprocess.run([sys.executable, "-c", "import sys, playground.core.project, playground.cli.check;"
                                "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))))"],
                               capture_output=True, text=True, timeout=120)
    assert core_only.stdout.strip() == "[]"


# ------------------------------------------------------------------ check passes => train starts

def write_data(folder: Path) -> None:
    """Data files of every file format, each broken in its own way."""
    (folder / "folder.csv").mkdir()
    (folder / "garbage.npz").write_bytes(b"PK\x03\x04 not really a zip archive")
    (folder / "images.idx").write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x05")  # header says 5 images, none follow
    (folder / "labels.idx").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05" + bytes(5))
    (folder / "notes.txt").write_text("not a folder of images")
    (folder / "ok.csv").write_text("a,b,y\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(40)))


BN = {"id": "h2", "type": "Dense", "params": {"units": 8, "batchnorm": True}}
TRAIN_REFUSES: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    # case: (project, what the message names, the fix that check then passes)
    "csv path is a folder": (example(dataset={"name": "csv", "path": "folder.csv", "target": "y"}), "folder.csv",
                             {"dataset": {"name": "csv", "path": "ok.csv", "target": "y"}}),
    "npz not a zip": (example(dataset={"name": "npz", "path": "garbage.npz"}), "garbage.npz", {}),
    "idx truncated": (example(dataset={"name": "idx", "images": "images.idx", "labels": "labels.idx"}),
                      "images.idx", {}),
    "image folder is a file": (example(dataset={"name": "image_folder", "path": "notes.txt"}), "notes.txt", {}),
    "hflip on features": (example(training={"augment": ["hflip"], "batch_size": 10}), "training.augment",
                          {"training": {"augment": ["noise"], "batch_size": 10}}),
    "shift on features": (example(training={"augment": ["noise", "shift"]}), "training.augment",
                          {"training": {"augment": ["noise"]}}),
    "batch norm, batch size 1": (example(training={"batch_size": 1}), "Dense 'h2'",
                                 {"training": {"batch_size": 2}}),
    "BatchNorm node, batch size 1": (graph_with([IN, {"id": "h1", "type": "Dense"}, {"id": "bn", "type": "BatchNorm"},
                                                 OUT], [["in", "h1"], ["h1", "bn"], ["bn", "out"]])
                                     | {"training": {"batch_size": 1}}, "BatchNorm 'bn'",
                                     {"training": {"batch_size": 3}}),
    "early stopping without validation": (example(training={"early_stopping": {"patience": 2}, "val_fraction": 0}),
                                          "early stopping",
                                          {"training": {"early_stopping": {"patience": 2}}}),
}


@pytest.mark.parametrize("case", sorted(TRAIN_REFUSES))
def test_check_finds_what_train_refuses(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from playground.core.params import UserError
    from playground.core.project import load_project
    from playground.core.training import Trainer

    write_data(tmp_path)
    content, named, fix = TRAIN_REFUSES[case]
    code, out, err = run_check(tmp_path, capsys, content)
    assert code == 1
    assert named in err, err
    assert "Traceback" not in out + err
    with pytest.raises(UserError, match=re.escape(named)):
        Trainer(load_project(tmp_path / "project.json"))
    if fix:
        code, out, err = run_check(tmp_path, capsys, {**content, **fix})
        assert code == 0, err
        trainer = Trainer(load_project(tmp_path / "project.json"), report_interval=None, probes=False)
        assert next(trainer.iter_fit()) == 1


def test_batch_norm_over_images_trains_with_batch_size_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A batch of one image still has H x W values per channel: nothing to refuse there."""
    from playground.core.project import load_project
    from playground.core.training import Trainer

    content = example(dataset={"name": "digits"}, training={"batch_size": 1}, layout={}, graph={
        "nodes": [IN, {"id": "c", "type": "Conv2d", "params": {"filters": 2, "batchnorm": True}}, OUT],
        "edges": [["in", "c"], ["c", "out"]]})
    code, out, err = run_check(tmp_path, capsys, content)
    assert code == 0, err
    assert next(Trainer(load_project(tmp_path / "project.json"), report_interval=None, probes=False).iter_fit()) == 1


def test_check_says_an_older_files_mirror_and_folder_are_ignored(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A project a person was handed no longer chooses where the app connects or writes; check
    says so instead of passing over it in silence."""
    path = tmp_path / "old.json"
    path.write_text(json.dumps({
        "format": "nn-playground/1", "name": "old", "layout": {}, "training": {},
        "dataset": {"name": "mnist", "mirror": "http://attacker.example/", "cache_dir": "/etc/x"},
        "graph": {"nodes": [{"id": "in", "type": "Input"}, {"id": "out", "type": "Output"}],
                  "edges": [["in", "out"]]}}))
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "mirror 'http://attacker.example/' is ignored" in out
    assert "cache_dir '/etc/x' is ignored" in out
