"""``permute_pixels``: one fixed shuffle of every image's pixels, for the lecture point that a
dense layer ignores pixel order and a convolution does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from playground.core.datasets import REGISTRY, load_dataset
from playground.core.datasets.base import pixel_permutation
from playground.core.graph import Graph
from playground.core.project import Project
from playground.core.training import Trainer


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([(1, 8, 8), (3, 5, 7), (1, 28, 28), (10,)]), st.integers(0, 2**31))
def test_the_permutation_is_a_bijection_fixed_by_the_seed(shape: tuple[int, ...], seed: int) -> None:
    order = pixel_permutation(shape, seed)
    positions = shape[-1] * (shape[-2] if len(shape) == 3 else 1)
    assert sorted(order.tolist()) == list(range(positions))
    assert np.array_equal(order, pixel_permutation(shape, seed))


def test_different_seeds_shuffle_differently() -> None:
    orders = {tuple(pixel_permutation((1, 8, 8), seed)) for seed in range(5)}
    assert len(orders) == 5
    assert tuple(range(64)) not in orders


@pytest.mark.parametrize("spec", [{"name": "digits"}, {"name": "shapes", "samples": 200}])
def test_every_split_gets_the_same_shuffle_of_the_same_examples(spec: dict[str, Any]) -> None:
    plain = load_dataset(spec)
    shuffled = load_dataset({**spec, "permute_pixels": True})
    order = torch.from_numpy(pixel_permutation(plain.input_shape, spec.get("seed", 1)))
    for split in ("train", "val", "test"):
        before, after = getattr(plain, split), getattr(shuffled, split)
        assert torch.equal(after.y, before.y)  # the same examples in the same splits
        assert torch.equal(after.x.flatten(2), before.x.flatten(2)[..., order])
        assert not torch.equal(after.x, before.x)


def test_an_image_folder_can_be_permuted_too(tmp_path: Path) -> None:
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i in range(3):
            Image.fromarray(np.arange(16, dtype=np.uint8).reshape(4, 4) * (i + 1)).save(tmp_path / label / f"{i}.png")
    data = load_dataset({"name": "image_folder", "path": str(tmp_path), "permute_pixels": True})
    pixels = data.train.x[0, 0].flatten()
    assert not torch.equal(pixels, pixels.sort().values)  # every image was drawn in increasing order
    assert "permute_pixels" in {p.name for p in REGISTRY["idx"].params}


def _accuracy(hidden: list[dict[str, Any]], permute: bool) -> float:
    nodes = [{"id": "in", "type": "Input"},
             *({"id": f"h{i}", **h} for i, h in enumerate(hidden)),
             {"id": "out", "type": "Output"}]
    ids = [n["id"] for n in nodes]
    graph, problems = Graph.from_dict({"nodes": nodes, "edges": [list(e) for e in zip(ids, ids[1:])]})
    assert not problems
    project = Project("order", {"name": "digits", "permute_pixels": permute}, graph,
                      {"optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 3, "seed": 1})
    result = Trainer(project, probes=False).fit()
    assert result.report is not None
    assert result.report.val_acc is not None
    return result.report.val_acc


def test_dense_layers_ignore_pixel_order_and_convolutions_do_not() -> None:
    dense = [{"type": "Dense", "params": {"units": 64}}]
    conv = [{"type": "Conv2d", "params": {"filters": 8, "kernel": 5}}, {"type": "MaxPool2d"},
            {"type": "Conv2d", "params": {"filters": 16}}, {"type": "MaxPool2d", "params": {"kernel": 4}}]
    assert abs(_accuracy(dense, True) - _accuracy(dense, False)) <= 0.03
    plain, shuffled = _accuracy(conv, False), _accuracy(conv, True)
    assert plain >= 0.93
    assert plain - shuffled >= 0.05
