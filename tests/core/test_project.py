"""Project files: the FORMAT.md example loads, saves byte-stably, migrates old formats, refuses
newer ones, and every representational problem is refused with a message naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from playground.core import project as project_module
from playground.core.project import (
    Project,
    ProjectError,
    check_project,
    dumps,
    load_project,
    new_project,
    parse_project,
    save_project,
)

EXAMPLE: dict[str, Any] = {
    "format": "nn-playground/1",
    "name": "Spiral, two tanh layers",
    "dataset": {"name": "spiral", "samples": 500, "noise": 0.1, "test_fraction": 0.5, "seed": 1},
    "graph": {
        "nodes": [
            {"id": "in", "type": "Input"},
            {"id": "h1", "type": "Dense", "params": {"units": 8, "activation": "tanh", "init": "xavier_uniform"}},
            {"id": "h2", "type": "Dense", "params": {"units": 8, "activation": "tanh", "init": "xavier_uniform",
                                                     "batchnorm": True, "dropout": 0.1}},
            {"id": "out", "type": "Output", "params": {"loss": "cross_entropy"}},
        ],
        "edges": [["in", "h1"], ["h1", "h2"], ["h2", "out"]],
    },
    "training": {"optimizer": "adam", "lr": 0.03, "batch_size": 10, "epochs": 200, "seed": 0, "device": "auto"},
    "layout": {"in": [0, 0], "h1": [160, 0], "h2": [320, 0], "out": [480, 0]},
}


def example(**changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(EXAMPLE))
    data.update(changes)
    return data


def test_format_example_loads_checks_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "spiral.json"
    path.write_text(json.dumps(EXAMPLE))
    project = load_project(path)
    assert project.name == "Spiral, two tanh layers"
    assert list(project.graph.nodes) == ["in", "h1", "h2", "out"]
    result = check_project(project)
    assert result.ok, result.problems
    assert result.report.nodes["out"].shape == (2,)
    save_project(project, path)
    first = path.read_bytes()
    assert json.loads(first) == EXAMPLE
    save_project(load_project(path), path)
    assert path.read_bytes() == first


def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.json"
    save_project(new_project("old"), path)
    before = path.read_bytes()

    def broken_dumps(project: Project) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(project_module, "dumps", broken_dumps)
    with pytest.raises(RuntimeError):
        save_project(new_project("new"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_migration_hooks_run_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    def rename_units(data: dict[str, Any]) -> dict[str, Any]:
        for node in data["graph"]["nodes"]:
            if "size" in node.get("params", {}):
                node["params"]["units"] = node["params"].pop("size")
        return data

    monkeypatch.setattr(project_module, "CURRENT_VERSION", 2)
    monkeypatch.setitem(project_module.MIGRATIONS, 1, rename_units)
    old = example()
    old["graph"]["nodes"][1]["params"] = {"size": 5}
    project = parse_project(old)
    assert project.graph.nodes["h1"].params == {"units": 5}
    assert project.to_dict()["format"] == "nn-playground/2"


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "the file is empty"),
    (b"   \n", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file"),
    (b"\xff\xfe\xfd not utf8", "is not UTF-8 text"),
    (b'{"format": "nn-playground/1", "name": ', "invalid JSON at line 1, column"),
    (b"[1, 2, 3]", "the top level must be a JSON object, not a list"),
    (b'"hello"', "not a text"),
    (b'{"name": "x"}', "has no 'format' field"),
    (b'{"format": "keras/2"}', "unknown format 'keras/2'"),
    (b'{"format": "nn-playground/7"}', "newer Neural Network Playground (format 7)"),
])
def test_file_level_refusals(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ProjectError) as info:
        load_project(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="no such file"):
        load_project(tmp_path / "nope.json")
    with pytest.raises(ProjectError, match="is a folder"):
        load_project(tmp_path)


def node_change(index: int, **params: Any) -> dict[str, Any]:
    data = example()
    data["graph"]["nodes"][index].setdefault("params", {}).update(params)
    return data


@pytest.mark.parametrize(("data", "expected"), [
    (example(extra=1), "unknown top-level key 'extra'"),
    (example(graph={"nodes": [{"id": "in", "type": "Dense3d"}], "edges": []}), "unknown type 'Dense3d'"),
    (node_change(1, unit=3), "Dense 'h1': unknown parameter 'unit'"),
    (node_change(1, activation="relu6"), "Dense 'h1': activation must be one of"),
    (node_change(1, init="glorot"), "Dense 'h1': init must be one of"),
    (node_change(1, units=-4), "Dense 'h1': units must be a whole number from 1 to 65536, got -4"),
    (node_change(2, dropout=1.0), "Dense 'h2': dropout must be a number from 0 below 1, got 1.0"),
    (example(training={"optimizer": "adadelta"}), "training: optimizer must be one of"),
    (example(training={"lr": 0}), "training: lr must be a number above 0 to 10, got 0"),
    (example(training={"lr": -1}), "training: lr must be"),
    (example(training={"batch_size": 10**9}), "training: batch_size must be a whole number from 1 to 65536"),
    (example(training={"device": "tpu"}), "training: device must be auto, cpu, cuda, cuda:N or mps"),
    (example(training={"scheduler": "warmup"}), "training: scheduler must be one of"),
    (example(training={"augment": ["twirl"]}), "unknown augmentation 'twirl'"),
    (example(dataset={"name": "cifar"}), "dataset: unknown dataset 'cifar'"),
    (example(dataset={"name": "spiral", "samples": -5}), "dataset 'spiral': samples must be"),
    (example(dataset={"name": "spiral", "colour": 1}), "dataset 'spiral': unknown parameter 'colour'"),
])
def test_representational_problems_are_refused_by_name(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(ProjectError) as info:
        parse_project(data, "p.json")
    assert expected in str(info.value), str(info.value)
    assert str(info.value).startswith("p.json: ")


def test_unfinished_network_loads_so_work_in_progress_is_kept() -> None:
    data = example()
    data["graph"]["edges"] = [["in", "h1"]]
    project = parse_project(data)
    result = check_project(project)
    assert not result.ok
    assert any(p.node == "h2" and "not connected to the Input" in p.message for p in result.problems)


def test_check_reports_missing_data_files(tmp_path: Path) -> None:
    data = example(dataset={"name": "csv", "path": "data/table.csv"})
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    result = check_project(load_project(path))
    assert any(p.field == "dataset.path" and "'data/table.csv' does not exist" in p.message
               for p in result.problems)


def test_batch_that_would_exhaust_memory_is_refused() -> None:
    data = example(dataset={"name": "digits"}, training={"batch_size": 65536})
    data["graph"]["nodes"][1]["params"] = {"units": 65536}
    data["graph"]["nodes"][2]["params"] = {"units": 65536}
    result = check_project(parse_project(data))
    assert any("parameters" in p.message or "batch_size" in p.message for p in result.problems)


def test_new_project_is_valid_and_dumps_one_node_per_line() -> None:
    project = new_project()
    assert check_project(project).ok
    text = dumps(project)
    assert text.count('"type"') == len(project.graph.nodes)
    assert len(text.splitlines()) == 12 + len(project.graph.nodes)
