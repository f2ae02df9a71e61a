"""Feature maps are the live network's own outputs for the one chosen example, measured in eval
mode, shaped for drawing and bounded in size."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.core.examples import example_path
from playground.core.feature_maps import feature_maps, feature_maps_picture
from playground.core.project import load_project
from playground.core.training import Trainer


@pytest.fixture(scope="module")
def lenet() -> Trainer:
    path = example_path("lenet_digits")
    assert path is not None
    return Trainer(load_project(path), report_interval=None, probes=False, device="cpu")


def samples(trainer: Trainer) -> np.ndarray:
    return trainer.dataset.val.x[:8].numpy().copy()


def test_every_node_but_the_input_in_network_order_shaped_as_pictures_or_units(lenet: Trainer) -> None:
    maps = feature_maps_picture(lenet, samples(lenet)[2], 2)
    assert list(maps.nodes) == ["conv1", "pool1", "conv2", "pool2", "flat", "fc", "out"]
    shapes = {n: m.values.shape for n, m in maps.nodes.items()}
    assert shapes == {"conv1": (8, 8, 8), "pool1": (8, 4, 4), "conv2": (16, 4, 4), "pool2": (16, 2, 2),
                      "flat": (64,), "fc": (64,), "out": (10,)}
    assert [n for n, m in maps.nodes.items() if m.is_image] == ["conv1", "pool1", "conv2", "pool2"]
    assert maps.nodes["conv1"].node_type == "Conv2d"
    assert maps.nodes["fc"].node_type == "Dense"
    assert maps.index == 2
    assert maps.image.shape == (1, 8, 8)
    assert all(m.values.dtype == np.float32 for m in maps.nodes.values())


def test_the_maps_are_the_chosen_examples_outputs_in_eval_mode(lenet: Trainer) -> None:
    images = samples(lenet)
    model = lenet.model
    model.train()
    first = feature_maps(model, images[3], 3)
    again = feature_maps(model, images[3], 3)
    other = feature_maps(model, images[0], 0)
    assert model.training, "the training mode is restored"
    model.eval()
    with torch.no_grad():
        expected = model.forward_all(torch.from_numpy(images[3:4]))
    model.train()
    for node_id, m in first.nodes.items():
        # the Dense node's dropout is off: the same numbers every time, equal to eval mode's
        assert np.array_equal(m.values, again.nodes[node_id].values)
        assert np.allclose(m.values, expected[node_id][0].reshape(m.values.shape).numpy(), atol=1e-6)
    assert not np.allclose(first.nodes["conv1"].values, other.nodes["conv1"].values)


def test_results_are_owned_copies(lenet: Trainer) -> None:
    maps = feature_maps(lenet.model, samples(lenet)[0])
    before = maps.nodes["conv1"].values.copy()
    with torch.no_grad():
        for p in lenet.model.parameters():
            p.add_(1.0)
    try:
        assert np.array_equal(maps.nodes["conv1"].values, before)
    finally:
        with torch.no_grad():
            for p in lenet.model.parameters():
                p.sub_(1.0)


def test_wide_nodes_are_cut_to_the_caps_and_say_how_many_there_were(lenet: Trainer) -> None:
    maps = feature_maps(lenet.model, samples(lenet)[0], max_channels=64, max_values=3 * 16, max_units=20)
    # not even one 8x8 map fits in 48 values: one is kept all the same
    assert maps.nodes["conv1"].values.shape == (1, 8, 8)
    assert maps.nodes["conv1"].total == 8
    assert maps.nodes["pool1"].values.shape == (3, 4, 4)
    assert maps.nodes["pool2"].values.shape == (12, 2, 2)
    assert maps.nodes["pool2"].total == 16
    assert maps.nodes["fc"].values.shape == (20,)
    assert maps.nodes["fc"].total == 64
    assert maps.nodes["out"].values.shape == (10,)
    assert maps.nodes["out"].total == 10
