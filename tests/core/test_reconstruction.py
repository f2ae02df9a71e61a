"""Autoencoders: an Output with target "input" reconstructs the raw input, the decoder node types
have the shapes and parameter counts a student reads off the canvas, and training makes the
reconstructions better than the mean image."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from playground.core.build import build_model
from playground.core.datasets.base import DatasetMeta
from playground.core.graph import Graph
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
