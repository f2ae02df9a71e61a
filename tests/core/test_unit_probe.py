"""What a unit looks for: its top and bottom validation examples are ranked by the activation
they give it, the maximising input excites it more than any of them, and computing either
between steps changes nothing in the run."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

import numpy as np
import pytest
import torch

from playground.core.examples import example_path
from playground.core.project import Project, load_project
from playground.core.training import Callback, Report, Trainer
from playground.core.unit_probe import (
    UnitProbeError,
    maximise,
    probe_units,
    top_examples,
    total_variation,
    unit_activations,
)


def lenet(epochs: int = 2) -> Project:
    project = load_project(example_path("lenet_digits") or "")
    project.training["epochs"] = epochs
    return project


@pytest.fixture(scope="module")
def trained() -> Trainer:
    """LeNet on digits after two epochs (about 93 % on validation)."""
    trainer = Trainer(lenet(), device="cpu", probes=False, report_interval=None)
    trainer.fit()
    return trainer


def activation_of(trainer: Trainer, node_id: str, unit: int, images: np.ndarray) -> np.ndarray:
    trainer.model.eval()
    try:
        with torch.no_grad():
            out = trainer.model.forward_all(torch.from_numpy(np.asarray(images, np.float32)))[node_id]
    finally:
        trainer.model.train()
    return unit_activations(out)[:, unit].numpy()


def test_every_node_but_the_input_has_units() -> None:
    trainer = Trainer(lenet(), device="cpu", probes=False, report_interval=None)
    assert probe_units(trainer.graph, trainer.dataset.meta) == {
        "conv1": 8, "pool1": 8, "conv2": 16, "pool2": 16, "flat": 64, "fc": 64, "out": 10}


@pytest.mark.parametrize(("node_id", "unit"), [("conv1", 0), ("conv2", 5), ("fc", 3), ("out", 7)])
def test_top_examples_excite_the_unit_more_than_the_bottom_ones(trained: Trainer, node_id: str, unit: int) -> None:
    found = top_examples(trained, node_id, unit, k=8)
    assert found.count == len(trained.dataset.val)
    assert len(found.top_values) == len(found.bottom_values) == 8
    assert np.all(np.diff(found.top_values) <= 0), "highest first"
    assert np.all(np.diff(found.bottom_values) >= 0), "lowest first"
    assert found.top_values[-1] >= found.bottom_values[-1]
    assert found.top_values[0] > found.mean > found.bottom_values[0]
    # the values are the unit's activations for these very images, which are the split's raw examples
    assert np.allclose(activation_of(trained, node_id, unit, found.top_images), found.top_values, atol=1e-5)
    val = trained.dataset.val
    assert np.array_equal(found.top_images, val.x[found.top_indices].numpy())
    assert np.array_equal(found.bottom_labels, val.y[found.bottom_indices].numpy())


def test_an_output_class_is_ranked_by_its_score(trained: Trainer) -> None:
    """The examples that excite class 7's logit most are sevens."""
    found = top_examples(trained, "out", 7, k=8)
    assert (found.top_labels == 7).mean() >= 0.75
    assert not (found.bottom_labels == 7).any()


def test_the_ranking_reads_a_bounded_number_of_examples(trained: Trainer) -> None:
    found = top_examples(trained, "conv1", 0, k=8, limit=50)
    assert found.count == 50
    assert found.top_indices.max() < 50


@pytest.mark.parametrize(("node_id", "unit"), [("conv1", 0), ("conv2", 5), ("fc", 3), ("out", 7)])
def test_maximising_input_excites_the_unit_beyond_every_example(trained: Trainer, node_id: str, unit: int) -> None:
    every = activation_of(trained, node_id, unit, trained.dataset.val.x.numpy())
    made = maximise(trained, node_id, unit)
    # measured: 4.3 (out/7) to 10.4 (conv1/0) standard deviations above the validation mean
    assert made.activation > made.start_activation
    assert made.activation > every.max(), "beyond the best validation example"
    assert made.activation > every.mean() + 3 * every.std()
    assert made.image.shape == (1, 8, 8)
    assert np.isclose(activation_of(trained, node_id, unit, made.image[None])[0], made.activation, atol=1e-4)
    x = trained.dataset.val.x
    assert made.image.min() >= float(x.min()) - 1e-4
    assert made.image.max() <= float(x.max()) + 1e-4, "pixels within the data's range"


def test_the_regulariser_smooths_the_picture(trained: Trainer) -> None:
    rough = maximise(trained, "conv2", 5, tv=0.0, l2=0.0)
    smooth = maximise(trained, "conv2", 5, tv=1.0, l2=0.0)
    def tv(image: np.ndarray) -> float:
        return float(total_variation(torch.from_numpy(image[None])))
    assert tv(smooth.image) < tv(rough.image)


def saturated(image: np.ndarray, data: torch.Tensor) -> float:
    """The share of pixels at the data's darkest or brightest value."""
    low, high = float(data.min()), float(data.max())
    return float(((image <= low + 1e-3) | (image >= high - 1e-3)).mean())


@pytest.mark.parametrize(("node_id", "unit"), [("fc", 3), ("out", 7)])
def test_the_regularisers_keep_the_picture_off_black_and_white(trained: Trainer, node_id: str, unit: int) -> None:
    x = trained.dataset.val.x
    plain = maximise(trained, node_id, unit, l2=0.0, tv=0.0)
    made = maximise(trained, node_id, unit)
    # measured: fc/3 34 % -> 11 %, out/7 44 % -> 16 %
    assert saturated(made.image, x) < 0.25
    assert saturated(made.image, x) < saturated(plain.image, x) - 0.15


def test_a_unit_out_of_range_or_an_unknown_node_is_named(trained: Trainer) -> None:
    with pytest.raises(UnitProbeError, match="'conv1' has 8 units; there is no unit 8"):
        top_examples(trained, "conv1", 8)
    with pytest.raises(UnitProbeError, match="'out' has 10 units"):
        maximise(trained, "out", 10)
    with pytest.raises(UnitProbeError, match="no node 'in'"):
        maximise(trained, "in", 0)


def test_probing_leaves_the_model_its_mode_and_no_gradients(trained: Trainer) -> None:
    model = trained.model
    model.train()
    params = list(model.parameters())
    for p in params:
        p.grad = None
    params[0].grad = torch.ones_like(params[0])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    top_examples(trained, "fc", 0)
    maximise(trained, "fc", 0)
    assert all(m.training for m in model.modules())
    assert all(p.grad is None for p in params[1:]), "no gradient left on a parameter"
    assert torch.equal(params[0].grad, torch.ones_like(params[0])), "an existing gradient untouched"
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


class _Losses(Callback):
    def __init__(self) -> None:
        self.losses: list[float | None] = []

    def on_report(self, trainer: Trainer, report: Report) -> None:
        self.losses.append(report.train_loss)


def probes_at(step: int) -> Callable[[Trainer], object]:
    return lambda t: (top_examples(t, "conv1", step % 8), maximise(t, "out", step % 10, steps=5))


def run(probe: bool) -> tuple[list[float | None], dict[str, torch.Tensor]]:
    """Two epochs of LeNet (its Dense layer has dropout, which draws from the global generator),
    reporting the loss at every step and probing every fifth step between steps when asked to."""
    recorded = _Losses()
    trainer = Trainer(lenet(), callbacks=[recorded], device="cpu", probes=False, report_interval=0.0)
    futures: list[Future] = []
    for step in trainer.iter_fit():
        if probe and step % 5 == 0:
            futures.append(trainer.control.call_between_steps(probes_at(step)))
    if probe:
        assert len(futures) > 10
        assert all(f.result() for f in futures), "the probes ran"
    return recorded.losses, {k: v.clone() for k, v in trainer.model.state_dict().items()}


def test_probing_between_steps_leaves_the_training_bit_for_bit_unchanged() -> None:
    plain_losses, plain_state = run(probe=False)
    probed_losses, probed_state = run(probe=True)
    assert len(plain_losses) > 50
    assert plain_losses == probed_losses
    assert plain_state.keys() == probed_state.keys()
    assert all(torch.equal(plain_state[k], probed_state[k]) for k in plain_state)
