"""Autoencoders: an Output with target "input" reconstructs the raw input, the decoder node types
have the shapes and parameter counts a student reads off the canvas, and training makes the
reconstructions better than the mean image."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.build import build_model
from playground.core.datasets.base import DatasetMeta
from playground.core.graph import Graph, structural_problems
from playground.core.layers import LAYER_TYPES
from playground.core.params import UserError
from playground.core.project import Project
from playground.core.shapes import infer_shapes, network_reconstructs
from playground.core.training import Trainer, make_objective, reconstruction

DIGITS = DatasetMeta((1, 8, 8), "classification", 10)
FLAT = DatasetMeta((64,), "classification", 10)


def chain(*nodes: tuple[str, str, dict[str, Any]]) -> Graph:
    """Input -> nodes ... as a chain (the first node given is the Input)."""
    g, problems = Graph.from_dict({"nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
                                   "edges": [[a[0], b[0]] for a, b in zip(nodes, nodes[1:])]})
    assert not problems, problems
    return g


IN = ("in", "Input", {})
RECON: dict[str, Any] = {"target": "input"}


def dense_autoencoder(code: int, output: dict[str, Any] | None = None) -> Graph:
    return chain(IN, ("e", "Dense", {"units": 32}), ("c", "Dense", {"units": code, "activation": "linear"}),
                 ("d", "Dense", {"units": 32}), ("out", "Output", output or RECON))


def digits_project(graph: Graph, epochs: int = 5, **training: Any) -> Project:
    settings = {"optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": epochs, "seed": 0, **training}
    return Project("autoencoder", {"name": "digits"}, graph, settings)


def test_dense_output_takes_the_input_shape_and_counts_its_parameters() -> None:
    report = infer_shapes(dense_autoencoder(2), DIGITS)
    assert report.ok, report.problems
    assert report.nodes["out"].shape == (1, 8, 8)
    assert report.nodes["out"].parameters == 32 * 64 + 64
    model = build_model(dense_autoencoder(2), DIGITS)
    assert model(torch.zeros(5, 1, 8, 8)).shape == (5, 1, 8, 8)
    assert report.total_parameters == sum(p.numel() for p in model.parameters())
    assert network_reconstructs(dense_autoencoder(2))


def test_reconstruction_defaults_to_mse_and_refuses_cross_entropy() -> None:
    assert dense_autoencoder(2).nodes["out"].resolved_params()["loss"] == "mse"
    report = infer_shapes(dense_autoencoder(2, {"target": "input", "loss": "cross_entropy"}), DIGITS)
    assert [p.message for p in report.problems] == [
        "Output 'out': loss 'cross_entropy' is for classes but target 'input' reconstructs the input's values: "
        "use 'mse' (or 'bce' for inputs in [0, 1])"]
    labelled = chain(IN, ("out", "Output", {}))
    assert labelled.nodes["out"].resolved_params()["loss"] == "cross_entropy"
    assert not network_reconstructs(labelled)


def test_bce_reconstruction_of_values_outside_0_1_is_refused_by_name() -> None:
    with pytest.raises(UserError, match=r"Output 'out': loss 'bce' reconstructs values in \[0, 1\] but the "
                                        r"inputs of dataset 'digits' run from 0 to 16: use 'mse'"):
        Trainer(digits_project(dense_autoencoder(2, {"target": "input", "loss": "bce"})))


def test_bce_reconstruction_reads_logits_back_as_values() -> None:
    objective = make_objective("bce", reconstruct=True)
    x = torch.rand(4, 1, 8, 8)
    perfect = torch.logit(x.clamp(1e-4, 1 - 1e-4))
    assert torch.allclose(reconstruction(perfect, "bce"), x, atol=1e-3)
    assert objective.correct is None
    assert torch.equal(objective.targets_of(x, torch.zeros(4)), x)


def trained_reconstruction_loss(graph: Graph, epochs: int = 30) -> tuple[Trainer, dict[str, Any], float]:
    """Train briefly; the run's metrics and, for scale, the validation loss of always answering the
    training split's mean image."""
    trainer = Trainer(digits_project(graph, epochs), probes=False, report_interval=None)
    metrics = trainer.fit().metrics()
    assert metrics is not None
    data = trainer.dataset
    return trainer, metrics, float(((data.val.x - data.train.x.mean(0)) ** 2).mean())


def test_a_2_unit_code_reconstructs_better_than_the_mean_image() -> None:
    # measured over seeds 0-3: 0.64-0.72 of the mean image's loss (two principal components
    # leave about 0.72); 30 epochs, 0.3 s
    trainer, metrics, mean_image_loss = trained_reconstruction_loss(dense_autoencoder(2))
    assert [metrics[k] for k in ("train_acc", "val_acc", "test_acc")] == [None, None, None]
    assert metrics["val_loss"] < 0.8 * mean_image_loss
    x = trainer.dataset.val.x[:8]
    with torch.no_grad():
        out = trainer.model.eval()(x)
    assert out.shape == x.shape, "the model maps raw input to raw reconstruction"
    assert float(((out - x) ** 2).mean()) < 0.9 * float(((x - trainer.dataset.train.x.mean(0)) ** 2).mean())


def test_a_larger_code_reconstructs_better() -> None:
    # measured over seeds 0-3: a 32-unit code ends at 0.14-0.16 of the mean image's loss, a
    # 2-unit code at 0.64-0.72
    _, small, mean_image_loss = trained_reconstruction_loss(dense_autoencoder(2))
    _, large, _ = trained_reconstruction_loss(dense_autoencoder(32))
    assert large["val_loss"] < 0.4 * small["val_loss"]
    assert large["val_loss"] < 0.3 * mean_image_loss


def shapes_and_counts(graph: Graph, meta: DatasetMeta = DIGITS) -> dict[str, tuple[tuple[int, ...] | None, int]]:
    """Each node's (shape, parameter count) as the canvas shows them, after checking that the
    built model agrees on both."""
    report = infer_shapes(graph, meta)
    assert report.ok, report.problems
    model = build_model(graph, meta, seed=0).eval()
    with torch.no_grad():
        values = model.forward_all(torch.randn(3, *meta.input_shape))
    for node_id, node_report in report.nodes.items():
        assert tuple(values[node_id].shape[1:]) == node_report.shape, node_id
        module = model.get_submodule(model.attrs[node_id])
        assert sum(p.numel() for p in module.parameters()) == node_report.parameters, node_id
    return {k: (r.shape, r.parameters) for k, r in report.nodes.items()}


CONV_AUTOENCODER = chain(
    IN, ("noise", "Noise", {"std": 0.2}), ("c1", "Conv2d", {"filters": 4}), ("p1", "MaxPool2d", {}),
    ("flat", "Flatten", {}), ("code", "Dense", {"units": 8}), ("up0", "Dense", {"units": 64}),
    ("r", "Reshape", {"shape": [4, 4, 4]}),
    ("t1", "ConvTranspose2d", {"filters": 4, "stride": 2, "batchnorm": True}),
    ("t2", "ConvTranspose2d", {"filters": 3, "kernel": 2, "padding": "valid", "bias": False}),
    ("pool", "MaxPool2d", {"kernel": 2, "stride": 1}), ("up", "Upsample", {}), ("c2", "Conv2d", {"stride": 2}),
    ("out", "Output", RECON))


def test_decoder_nodes_shapes_and_parameter_counts() -> None:
    seen = shapes_and_counts(CONV_AUTOENCODER)
    assert seen["noise"] == ((1, 8, 8), 0)
    assert seen["r"] == ((4, 4, 4), 0)
    assert seen["t1"] == ((4, 8, 8), 4 * 3 * 3 * 4 + 4 + 2 * 4), "'same' at stride 2 doubles the size"
    assert seen["t2"] == ((3, 9, 9), 4 * 2 * 2 * 3), "'valid': (8 - 1) * 1 + 2"
    assert seen["up"] == ((3, 16, 16), 0)
    assert seen["out"] == ((1, 8, 8), 8 * 1 + 1), "a 1x1 convolution from 8 channels to the input's one"


@pytest.mark.parametrize(("kernel", "stride"), [(3, 1), (5, 1), (2, 2), (3, 2), (4, 2), (3, 3), (5, 3), (4, 4)])
def test_same_transposed_convolution_multiplies_the_size_by_the_stride(kernel: int, stride: int) -> None:
    seen = shapes_and_counts(chain(IN, ("t", "ConvTranspose2d", {"kernel": kernel, "stride": stride}),
                                   ("out", "Output", {})))
    assert seen["t"][0] == (8, 8 * stride, 8 * stride)


@pytest.mark.parametrize(("params", "message"), [
    ({"kernel": 2, "stride": 3},
     "ConvTranspose2d 't': 'same' padding with stride 3 needs a kernel of at least 3; change the kernel or use "
     "'valid' padding"),
    ({"kernel": 2, "stride": 1},
     "ConvTranspose2d 't': 'same' padding with stride 1 needs an odd kernel; change the kernel or use 'valid' "
     "padding"),
])
def test_impossible_same_padding_is_named(params: dict[str, Any], message: str) -> None:
    report = infer_shapes(chain(IN, ("t", "ConvTranspose2d", params), ("out", "Output", {})), DIGITS)
    assert [p.message for p in report.problems] == [message]


def test_decoder_errors_say_what_to_change() -> None:
    too_small = infer_shapes(chain(IN, ("c", "Conv2d", {"filters": 16}), ("p", "MaxPool2d", {}),
                                   ("out", "Output", RECON)), DIGITS)
    assert [p.message for p in too_small.problems] == [
        "Output 'out': the decoder ends at 16×4×4 but the input is 1×8×8: upsample (Upsample, ConvTranspose2d) "
        "or pool to 8×8, or Flatten before the Output"]
    reshape = infer_shapes(chain(IN, ("f", "Flatten", {}), ("r", "Reshape", {"shape": [16, 4, 4]}),
                                 ("out", "Output", {})), DIGITS)
    assert [p.message for p in reshape.problems] == [
        "Reshape 'r' cannot make 64 features into 16×4×4 (256 values): the shape's sizes must multiply to 64"]
    flat = infer_shapes(chain(IN, ("f", "Flatten", {}), ("u", "Upsample", {}), ("out", "Output", {})), DIGITS)
    assert flat.problems[0].message.startswith("Upsample 'u' needs an image input (C, H, W) but gets 64 features")


@pytest.mark.parametrize("shape", [[], [0, 4], [1, 2, 3, 4], "16x4x4", [2.5], [True]])
def test_a_bad_reshape_shape_is_refused_by_name(shape: Any) -> None:
    g, _ = Graph.from_dict({"nodes": [{"id": "r", "type": "Reshape", "params": {"shape": shape}}], "edges": []})
    problems = structural_problems(g)
    assert any(p.message.startswith("Reshape 'r': shape must be a list of 1 to 3 values, each a whole number "
                                    "from 1 to 65536") for p in problems), problems


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_reshape_keeps_every_value_or_names_both_sizes(source: list[int], target: list[int]) -> None:
    meta = DatasetMeta((math.prod(source),), "regression", 1)
    g = chain(IN, ("r", "Reshape", {"shape": target}), ("out", "Output", {"loss": "mse"}))
    report = infer_shapes(g, meta)
    if math.prod(target) != math.prod(source):
        assert [p.message for p in report.problems] == [
            f"Reshape 'r' cannot make {math.prod(source)} feature{'s' if math.prod(source) > 1 else ''} into "
            f"{'×'.join(map(str, target))} "
            f"({math.prod(target)} values): the shape's sizes must multiply to {math.prod(source)}"]
        return
    assert report.nodes["r"].shape == tuple(target)
    model = build_model(g, meta).eval()
    x = torch.randn(2, math.prod(source))
    with torch.no_grad():
        reshaped = model.forward_all(x)["r"]
    assert torch.equal(reshaped.flatten(1), x), "same values, same order"


def test_flat_input_reconstruction_and_image_to_flat_output() -> None:
    seen = shapes_and_counts(chain(IN, ("h", "Dense", {"units": 5}), ("out", "Output", RECON)), FLAT)
    assert seen["out"] == ((64,), 5 * 64 + 64)
    seen = shapes_and_counts(chain(IN, ("r", "Reshape", {"shape": [1, 8, 8]}), ("c", "Conv2d", {"filters": 2}),
                                   ("p", "MaxPool2d", {}), ("out", "Output", RECON)), FLAT)
    assert seen["out"] == ((64,), 2 * 4 * 4 * 64 + 64)


def test_noise_is_active_in_training_only() -> None:
    model = build_model(chain(IN, ("noise", "Noise", {"std": 0.5}), ("out", "Output", RECON)), FLAT, seed=0)
    x = torch.zeros(256, 64)
    model.train()
    noisy = model.forward_all(x)["noise"]
    assert 0.45 < float(noisy.std()) < 0.55
    assert not torch.equal(noisy, model.forward_all(x)["noise"]), "fresh noise every call"
    model.eval()
    assert torch.equal(model.forward_all(x)["noise"], x)
    assert LAYER_TYPES["Noise"].transparent_at_test


def test_denoising_autoencoder_trains_on_clean_targets() -> None:
    graph = chain(IN, ("noise", "Noise", {"std": 0.5}), ("e", "Dense", {"units": 32}),
                  ("out", "Output", RECON))
    # measured over seeds 0-2: training loss 1.5 times the validation loss (1.0 without the Noise)
    _, metrics, mean_image_loss = trained_reconstruction_loss(graph, epochs=10)
    assert metrics["val_loss"] < 0.5 * mean_image_loss
    assert metrics["train_loss"] > 1.2 * metrics["val_loss"], "training sees noisy inputs, validation clean ones"
