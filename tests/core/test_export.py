"""Exports round-trip: each format, loaded back as a user would, reproduces the app's model.

Five networks cover every layer type and activation, Add and Concat, batch norm and dropout
placements, node ids that are Python keywords ('in', 'class') or 'self', and the losses that
change the Output size. Their weights are perturbed and their batch-norm statistics updated,
so a format that silently reinitialised anything would show.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from safetensors.torch import load_file

from playground.core.build import GraphModel, build_model
from playground.core.datasets import Dataset, LoadContext, load_dataset
from playground.core.export import (
    EXPORTERS,
    ExportError,
    WeightsError,
    export_project,
    load_weights,
    read_weights,
    save_weights,
)
from playground.core.export.codegen import _CONSTRUCTORS
from playground.core.export.script import INIT_CALLS, LOSSES, OPTIMIZERS, SCHEDULERS
from playground.core.layers import ACTIVATIONS, INITS
from playground.core.layers import LOSSES as LAYER_LOSSES
from playground.core.project import Project, parse_project
from playground.core.training_config import OPTIMIZERS as TRAINING_OPTIMIZERS
from playground.core.training_config import SCHEDULERS as TRAINING_SCHEDULERS

REPO = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")

SPIRAL = {"name": "spiral", "samples": 200, "noise": 0.1}
DIGITS = {"name": "digits"}


def node(node_id: str, type_name: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_name, **({"params": params} if params else {})}


def chain(*ids: str) -> list[list[str]]:
    return [[a, b] for a, b in zip(ids, ids[1:])]


NETWORKS: dict[str, tuple[dict[str, Any], list[dict[str, Any]], list[list[str]]]] = {
    # FORMAT.md's example shape: the Input id is the keyword 'in'.
    "mlp": (SPIRAL, [
        node("in", "Input"),
        node("h1", "Dense", units=8, activation="tanh", init="xavier_uniform"),
        node("h2", "Dense", units=8, activation="sigmoid", bias=False),
        node("h3", "Dense", units=6, activation="leaky_relu"),
        node("h4", "Dense", units=6, activation="prelu"),
        node("out", "Output"),
    ], chain("in", "h1", "h2", "h3", "h4", "out")),
    "cnn": (DIGITS, [
        node("in", "Input"),
        node("c1", "Conv2d", filters=4, kernel=3),
        node("p1", "MaxPool2d", kernel=2),
        node("c2", "Conv2d", filters=6, kernel=3, padding="valid", stride=1),
        node("p2", "MaxPool2d", kernel=2),
        node("flat", "Flatten"),
        node("d1", "Dense", units=16),
        node("out", "Output"),
    ], chain("in", "c1", "p1", "c2", "p2", "flat", "d1", "out")),
    "residual": (SPIRAL, [
        node("in", "Input"),
        node("self", "Dense", units=8, activation="elu"),
        node("class", "Dense", units=8, activation="selu"),
        node("sum", "Add"),
        node("act", "Activation", function="gelu"),
        node("out", "Output", loss="cross_entropy", label_smoothing=0.1),
    ], [["in", "self"], ["self", "class"], ["class", "sum"], ["self", "sum"], ["sum", "act"], ["act", "out"]]),
    "concat": (DIGITS, [
        node("in", "Input"),
        node("c1", "Conv2d", filters=3, activation="silu", stride=2),
        node("c2", "Conv2d", filters=3, activation="softplus"),
        node("c3", "Conv2d", filters=2, kernel=1, stride=2, padding="valid", activation="abs"),
        node("cat", "Concat"),
        node("bn", "BatchNorm"),
        node("pool", "AvgPool2d", kernel=2),
        node("d1", "Dense", units=8, activation="linear"),
        node("out", "Output"),
    ], [["in", "c1"], ["c1", "c2"], ["in", "c3"], ["c1", "cat"], ["c2", "cat"], ["c3", "cat"], ["cat", "bn"],
        ["bn", "pool"], ["pool", "d1"], ["d1", "out"]]),
    "bn_dropout": (SPIRAL, [
        node("in", "Input"),
        node("bn0", "BatchNorm"),
        node("h1", "Dense", units=16, batchnorm=True, dropout=0.3),
        node("drop", "Dropout", p=0.5),
        node("h2", "Dense", units=8, activation="relu", batchnorm=True),
        node("h3", "Dense", units=4, dropout=0.2),
        node("out", "Output", loss="bce"),
    ], chain("in", "bn0", "h1", "drop", "h2", "h3", "out")),
    # the model's first step computes the plane features; every format takes the raw points
    "features": ({**SPIRAL, "features": ["x1", "x1^2", "x2^2", "x1*x2", "sin(x2)"]}, [
        node("in", "Input"),
        node("h1", "Dense", units=6, activation="tanh"),
        node("out", "Output"),
    ], chain("in", "h1", "out")),
    "maxout": (DIGITS, [
        node("in", "Input"),
        node("m1", "Maxout", units=6, pieces=3, dropout=0.2),
        node("m2", "Maxout", units=4, pieces=2, bias=False, init="he_normal"),
        node("out", "Output"),
    ], chain("in", "m1", "m2", "out")),
    # autoencoders: the Output reconstructs the (raw) input; Noise is left out when evaluated
    "dense_autoencoder": (DIGITS, [
        node("in", "Input"),
        node("noise", "Noise", std=0.2),
        node("e1", "Dense", units=16),
        node("code", "Dense", units=2, activation="linear"),  # a GraphModule member: the attribute is 'code_'
        node("d1", "Dense", units=16),
        node("out", "Output", target="input"),
    ], chain("in", "noise", "e1", "code", "d1", "out")),
    "conv_autoencoder": (DIGITS, [
        node("in", "Input"),
        node("noise", "Noise"),
        node("c1", "Conv2d", filters=4),
        node("p1", "MaxPool2d"),
        node("flat", "Flatten"),
        node("z", "Dense", units=8),
        node("up0", "Dense", units=64),
        node("graph", "Reshape", shape=[4, 4, 4]),
        node("t1", "ConvTranspose2d", filters=4, kernel=3, stride=2, batchnorm=True),
        node("t2", "ConvTranspose2d", filters=3, kernel=2, stride=1, padding="valid", bias=False),
        node("pool", "MaxPool2d", kernel=2, stride=1),
        node("up", "Upsample", scale=2),
        node("c2", "Conv2d", filters=2, stride=2),
        node("out", "Output", target="input", loss="l1"),
    ], chain("in", "noise", "c1", "p1", "flat", "z", "up0", "graph", "t1", "t2", "pool", "up", "c2", "out")),
}


def make_project(name: str, training: dict[str, Any] | None = None) -> Project:
    dataset, nodes, edges = NETWORKS[name]
    return parse_project({"format": "nn-playground/1", "name": f"Test {name}", "dataset": dataset,
                          "graph": {"nodes": nodes, "edges": edges}, "training": training or {}})


@dataclasses.dataclass
class Case:
    """A network with 'trained' weights, its data and the model in eval mode as the reference."""

    project: Project
    data: Dataset
    model: GraphModel
    inputs: torch.Tensor

    @property
    def state(self) -> dict[str, torch.Tensor]:
        return self.model.state_dict()

    def fresh(self) -> GraphModel:
        return build_model(self.project.graph, self.data.meta, self.data.mean, self.data.std)


_cases: dict[str, Case] = {}


def perturbed(project: Project) -> Case:
    """The project's network with perturbed weights and batch-norm statistics from real batches,
    its data, and seven validation inputs."""
    data = load_dataset(project.dataset, LoadContext())
    model = build_model(project.graph, data.meta, data.mean, data.std, seed=0)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(1)
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
        model.train()
        for start in range(0, 96, 32):
            model(data.train.x[start:start + 32])
    model.eval()
    return Case(project, data, model, data.val.x[:7])


def case(name: str) -> Case:
    """Build once per session (see ``perturbed``)."""
    if name not in _cases:
        _cases[name] = perturbed(make_project(name))
    return _cases[name]


def run_module(path: Path) -> types.ModuleType:
    module = types.ModuleType(f"generated_{path.stem}")
    exec(compile(path.read_bytes(), str(path), "exec"), module.__dict__)
    return module


def load_back(fmt: str, path: Path, c: Case) -> Any:
    """The artefact as a user loads it, as a function of a batch."""
    if fmt == "onnx":
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        assert [i.name for i in session.get_inputs()] == ["input"]
        assert [o.name for o in session.get_outputs()] == ["output"]
        return lambda x: torch.from_numpy(session.run(["output"], {"input": x.numpy()})[0])
    if fmt == "pt2":
        return torch.export.load(path).module()
    model = c.fresh() if fmt == "safetensors" else run_module(path).build()
    weights = path if fmt == "safetensors" else path.with_suffix(".safetensors")
    if not weights.exists():
        export_project(c.project, weights, "safetensors", weights=c.state, data=c.data)
    model.load_state_dict(load_file(weights))
    return model.eval()


def assert_reproduces(fmt: str, path: Path, c: Case) -> None:
    """The artefact, loaded back as a user would, gives the model's outputs for one input and a
    batch: exactly from the Python code and the weights, within 1e-4 from a traced program."""
    run = load_back(fmt, path, c)
    for batch in (c.inputs[:1], c.inputs):
        with torch.no_grad():
            expected, got = c.model(batch), run(batch)
        if fmt in ("py", "safetensors"):
            assert torch.equal(got, expected)
        else:
            torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("fmt", list(EXPORTERS))
@pytest.mark.parametrize("name", list(NETWORKS))
def test_round_trip(fmt: str, name: str, tmp_path: Path) -> None:
    c = case(name)
    path = tmp_path / f"model{EXPORTERS[fmt].suffix}"
    result = export_project(c.project, path, fmt, weights=c.state, data=c.data, inputs=c.inputs)
    assert (result.path, result.format) == (path, fmt)
    assert result.message.startswith("verified: max |Δ| = ")
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary files left
    assert_reproduces(fmt, path, c)
    assert result.max_abs_diff == (0.0 if fmt in ("py", "safetensors") else pytest.approx(0.0, abs=1e-4))


def test_onnx_records_opset_and_project(tmp_path: Path) -> None:
    c = case("mlp")
    result = export_project(c.project, tmp_path / "m.onnx", "onnx", weights=c.state, data=c.data)
    model = onnx.load(str(result.path))
    assert result.opset == {o.domain: o.version for o in model.opset_import}[""] >= 17
    assert "Test mlp" in {p.key: p.value for p in model.metadata_props}["project"]
    assert "validation inputs" in result.message


def assert_ruff_clean(files: list[Path]) -> None:
    """ruff under the project's configuration and under its own defaults."""
    for config in (["--config", str(REPO / "pyproject.toml")], ["--isolated"]):
        done = subprocess.run([str(RUFF), "check", "--no-cache", *config, *map(str, files)],
                              capture_output=True, text=True, cwd=files[0].parent)
        assert done.returncode == 0, done.stdout + done.stderr


def test_generated_code_passes_ruff(tmp_path: Path) -> None:
    for name in NETWORKS:
        c = case(name)
        export_project(c.project, tmp_path / f"net_{name}.py", "py", weights=c.state, data=c.data)
    training = {"optimizer": "rmsprop", "scheduler": {"name": "step", "step_size": 2}, "l1": 1e-4,
                "grad_clip": {"mode": "value", "max": 0.5}, "early_stopping": {"patience": 3, "min_delta": 0.01}}
    project = make_project("residual", training)
    export_project(project, tmp_path / "train_residual.py", "py", data=case("residual").data,
                   training_script=True)
    assert_ruff_clean(sorted(tmp_path.glob("*.py")))
    text = (tmp_path / "net_residual.py").read_text()
    assert "playground" not in text.split('"""', 2)[2]  # the code (past the docstring) needs no playground
    for line in ("self_ = self.self(in_)", "class_ = self.class_(self_)", "sum = self.sum(class_, self_)"):
        assert line in text


def test_generated_code_needs_only_torch(tmp_path: Path) -> None:
    assert_runs_without_the_app(case("cnn"), tmp_path)


def assert_runs_without_the_app(c: Case, tmp_path: Path) -> None:
    """The py file with the safetensors export, and the pt2 program, run where playground
    cannot be imported, and give exactly the app's outputs."""
    for fmt in ("py", "safetensors", "pt2"):
        export_project(c.project, tmp_path / f"model{EXPORTERS[fmt].suffix}", fmt, weights=c.state, data=c.data)
    np.save(tmp_path / "x.npy", c.inputs.numpy())
    with torch.no_grad():
        np.save(tmp_path / "expected.npy", c.model(c.inputs).numpy())
    check = (
        "import sys; sys.modules['playground'] = None\n"
        "import importlib.util, numpy as np, torch\n"
        "from safetensors.torch import load_file\n"
        "spec = importlib.util.spec_from_file_location('model', 'model.py')\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "net = m.build(); net.load_state_dict(load_file('model.safetensors')); net.eval()\n"
        "x, expected = torch.from_numpy(np.load('x.npy')), torch.from_numpy(np.load('expected.npy'))\n"
        "with torch.no_grad():\n"
        "    assert torch.equal(net(x), expected)\n"
        "    assert torch.equal(torch.export.load('model.pt2').module()(x), expected)\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr


@pytest.mark.parametrize(("name", "dataset", "output", "lsuv", "training"), [
    ("cnn", DIGITS, {}, "d1", {
        "optimizer": "nesterov", "epochs": 5, "batch_size": 64, "scheduler": {"name": "cosine"},
        "grad_clip": {"mode": "norm", "max": 1.0}, "early_stopping": {"patience": 2},
        "augment": ["rotate", "scale", "shift", "brightness", "contrast", "noise"], "augment_strength": 0.5,
        "max_norm": 3.0, "l1": 1e-5, "weight_decay": 1e-4}),
    # 100 training examples in batches of 33 leave a last batch of one, which batch norm refuses.
    ("bn_dropout", SPIRAL, {"loss": "bce", "label_smoothing": 0.1}, "h1", {
        "optimizer": "rprop", "weight_decay": 1e-3, "l1": 1e-4, "batch_size": 33, "val_fraction": 0.0}),
    ("residual", {"name": "plane", "samples": 200}, {"loss": "mse"}, "class", {
        "optimizer": "adamw", "scheduler": {"name": "step", "step_size": 1}}),
    ("maxout", DIGITS, {"loss": "mse", "label_smoothing": 0.1}, "m1", {"max_norm": 2.0}),
    # the noise perturbs the raw points (2 values), the statistics are the 5 features'
    ("features", NETWORKS["features"][0], {}, "h1", {"augment": ["noise"]}),
    # the targets are the raw inputs, not the labels; augmentation changes only what the network sees
    ("conv_autoencoder", DIGITS, {"target": "input"}, "t1", {"augment": ["shift"], "l1": 1e-5}),
], ids=["cnn-digits-augmented", "batchnorm-spiral-bce-rprop", "residual-plane-mse", "maxout-digits-mse-classes",
        "features-spiral-noise", "autoencoder-digits"])
def test_training_script_runs_one_epoch(name: str, dataset: dict[str, Any], output: dict[str, Any], lsuv: str,
                                        training: dict[str, Any], tmp_path: Path) -> None:
    project = make_project(name, training)
    project.dataset = dataset
    project.graph.nodes["out"].params = output
    project.graph.nodes[lsuv].params["init"] = "lsuv"
    script = tmp_path / "train_net.py"
    result = export_project(project, script, "py", training_script=True)
    assert result.extra_files == (tmp_path / "train_net_data.npz",)
    assert_ruff_clean([script])
    done = subprocess.run([sys.executable, str(script), "--epochs", "1"], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("epoch 1: loss ")
    data = load_dataset(project.dataset, project.load_context())
    model = build_model(project.graph, data.meta, data.mean, data.std)
    model.load_state_dict(load_weights(tmp_path / "train_net_weights.safetensors", model))
    first_step = model.get_submodule(model.attrs["in"])
    if hasattr(first_step, "mean"):  # the script standardised with the app's statistics
        assert torch.equal(first_step.mean, data.mean)


def test_export_reports_progress_and_keeps_the_random_state(tmp_path: Path) -> None:
    c = case("mlp")
    stages: list[str] = []
    before = torch.get_rng_state()
    export_project(c.project, tmp_path / "m.py", "py", weights=c.state, data=c.data, progress=stages.append)
    assert torch.equal(torch.get_rng_state(), before)
    assert stages == ["preparing the model", "writing m.py", "loading m.py back and comparing outputs", "done"]


def test_a_mismatch_is_an_error_and_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = case("mlp")
    exporter = EXPORTERS["py"]
    broken = dataclasses.replace(exporter, load=lambda job: lambda x: job.model(x) + 1e-3)
    monkeypatch.setitem(EXPORTERS, "py", broken)
    with pytest.raises(ExportError, match="does not reproduce the model: outputs differ by up to 0.001"):
        export_project(c.project, tmp_path / "m.py", "py", weights=c.state, data=c.data)
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_bad_requests(tmp_path: Path) -> None:
    c = case("mlp")
    with pytest.raises(ExportError, match="unknown export format 'tflite'"):
        export_project(c.project, tmp_path / "m", "tflite", data=c.data)
    with pytest.raises(ExportError, match="training script is written by the 'py' format"):
        export_project(c.project, tmp_path / "m.onnx", "onnx", data=c.data, training_script=True)
    with pytest.raises(ExportError, match="does not exist"):
        export_project(c.project, tmp_path / "no" / "m.py", "py", data=c.data)
    wrong = dict(c.state)
    wrong["h1.linear.weight"] = torch.zeros(3, 2)
    with pytest.raises(ExportError, match=r"'h1.linear.weight' of Dense 'h1' has shape 3×2 in the file but 8×2"):
        export_project(c.project, tmp_path / "m.py", "py", weights=wrong, data=c.data)


@pytest.mark.parametrize(("damage", "message"), [
    (lambda b: b[: len(b) // 2], "truncated or corrupt"),
    (lambda b: b[:5], "truncated or corrupt"),
    (lambda b: b"\x00" * 64, "truncated or corrupt"),
    (lambda b: b"", "truncated or corrupt"),
])
def test_corrupt_weights_give_a_clear_message(damage: Any, message: str, tmp_path: Path) -> None:
    c = case("mlp")
    good = tmp_path / "good.safetensors"
    save_weights(good, c.state, c.project)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(WeightsError, match=message) as info:
        load_weights(bad, c.fresh())
    assert str(bad) in str(info.value)


def test_load_weights_names_what_does_not_fit(tmp_path: Path) -> None:
    c = case("mlp")
    path = tmp_path / "w.safetensors"
    save_weights(path, c.state, c.project)
    model = c.fresh()
    model.load_state_dict(load_weights(path, model))
    with torch.no_grad():
        assert torch.equal(model(c.inputs), c.model(c.inputs))

    def other(edit: Any) -> GraphModel:
        project = make_project("mlp")
        edit(project.graph)
        return build_model(project.graph, c.data.meta, c.data.mean, c.data.std)

    wider = other(lambda g: g.nodes["h3"].params.update(units=7))
    with pytest.raises(WeightsError, match=r"'h3.linear.weight' of Dense 'h3' has shape 6×8 in the file but 7×8 "
                                           r"in this network \(and 2 more differences\)"):
        load_weights(path, wider)
    renamed = make_project("mlp").to_dict()
    renamed["graph"]["nodes"][4]["id"] = "h5"
    renamed["graph"]["edges"] = chain("in", "h1", "h2", "h3", "h5", "out")
    project = parse_project(renamed)
    with pytest.raises(WeightsError, match="node 'h4' .Dense. is in the file's network but not in this one"):
        load_weights(path, build_model(project.graph, c.data.meta, c.data.mean, c.data.std))
    def retype(graph: Any) -> None:
        graph.nodes["h4"].type, graph.nodes["h4"].params = "Activation", {}

    retyped = other(retype)
    with pytest.raises(WeightsError, match="node 'h4' is Dense in the file but Activation in this network"):
        load_weights(path, retyped)


def test_weights_file_embeds_the_project_and_refuses_newer_formats(tmp_path: Path) -> None:
    import safetensors.torch

    c = case("mlp")
    path = tmp_path / "w.safetensors"
    save_weights(path, c.state, c.project)
    weights = read_weights(path)
    assert weights.metadata["format"] == "nn-playground-weights/1"
    assert parse_project_text(weights.project_text).graph.to_dict() == c.project.graph.to_dict()
    safetensors.torch.save_file(c.state, str(path), metadata={"format": "nn-playground-weights/9"})
    with pytest.raises(WeightsError, match="newer Neural Network Playground"):
        read_weights(path)
    safetensors.torch.save_file(c.state, str(path))  # a plain file: checked by tensor names and shapes only
    assert set(load_weights(path, c.fresh())) == set(c.state)
    with pytest.raises(WeightsError, match="no such file"):
        read_weights(tmp_path / "missing.safetensors")


def parse_project_text(text: str | None) -> Project:
    import json

    assert text is not None
    return parse_project(json.loads(text))


def test_generators_cover_the_catalogue() -> None:
    """Every activation, init, optimiser, schedule and loss the app offers has generated code."""
    assert all(type(a.make()) in _CONSTRUCTORS for a in ACTIVATIONS.values())
    assert set(INIT_CALLS) == set(INITS) - {"default"}
    assert set(OPTIMIZERS) == set(TRAINING_OPTIMIZERS)
    assert set(SCHEDULERS) == set(TRAINING_SCHEDULERS) - {"none"}
    assert set(LOSSES) == set(LAYER_LOSSES)
