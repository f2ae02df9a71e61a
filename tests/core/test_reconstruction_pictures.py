"""The autoencoder's pictures (``playground.core.reconstruction``): which node is the code, the
code as 2-D points, images decoded from the code plane, and the corrupted inputs a denoising
autoencoder learns from, drawn without disturbing training's random numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from playground.core.project import parse_project
from playground.core.reconstruction import (
    MAX_CODE_EXAMPLES,
    SHOWN_EXAMPLES,
    code_candidates,
    code_scatter,
    decode,
    principal_plane,
    reconstruct_samples,
    reconstruction_picture,
)
from playground.core.training import Trainer


def trainer(nodes: list[dict[str, Any]], edges: list[list[str]], *, epochs: int = 2,
            target: str = "input") -> Trainer:
    """A trained network on the 8x8 digits whose Output (id 'out') has ``target``."""
    nodes = [{"id": "in", "type": "Input"}, *nodes, {"id": "out", "type": "Output", "params": {"target": target}}]
    project = parse_project({
        "format": "nn-playground/1", "name": "test", "dataset": {"name": "digits"},
        "graph": {"nodes": nodes, "edges": edges},
        "training": {"optimizer": "adam", "lr": 0.003, "batch_size": 64, "epochs": epochs, "seed": 0},
    })
    t = Trainer(project, report_interval=None, probes=False, device="cpu")
    t.fit()
    return t


def dense(node_id: str, units: int, activation: str = "relu") -> dict[str, Any]:
    return {"id": node_id, "type": "Dense", "params": {"units": units, "activation": activation}}


def chain(*ids: str) -> list[list[str]]:
    return [[a, b] for a, b in zip(ids, ids[1:])]


@pytest.fixture(scope="module")
def two_unit() -> Trainer:
    """in -> 32 -> code of 2 -> 32 -> out, reconstructing the digits."""
    return trainer([dense("enc", 32), dense("code", 2, "linear"), dense("dec", 32)],
                   chain("in", "enc", "code", "dec", "out"))


def test_the_code_is_the_narrowest_node_every_path_runs_through(two_unit: Trainer) -> None:
    picture = reconstruction_picture(two_unit)
    assert picture is not None
    assert picture.code is not None
    assert picture.code.node_id == "code"
    assert picture.code.units == 2
    assert not picture.code.projected, "two units are drawn as they are"


def test_a_narrow_side_branch_is_not_the_code() -> None:
    # 'side' (1 unit) is narrower than 'mid' (4), but the other branch bypasses it
    t = trainer([dense("a", 16), dense("side", 1), dense("up", 16), {"id": "sum", "type": "Add"},
                 dense("mid", 4), dense("dec", 16)],
                [["in", "a"], ["a", "side"], ["side", "up"], ["up", "sum"], ["a", "sum"], ["sum", "mid"],
                 ["mid", "dec"], ["dec", "out"]], epochs=1)
    assert code_candidates(t.model) == ["a", "sum", "mid", "dec"]
    picture = reconstruction_picture(t)
    assert picture is not None
    assert picture.code is not None
    assert picture.code.node_id == "mid"
    assert picture.code.projected, "a 4-unit code is drawn through its principal components"
    assert picture.grid is None, "no grid over principal components"


def test_codes_are_the_validation_examples_with_their_classes(two_unit: Trainer) -> None:
    picture = reconstruction_picture(two_unit)
    assert picture is not None
    assert picture.code is not None
    val = two_unit.dataset.val
    n = min(len(val), MAX_CODE_EXAMPLES)
    assert picture.code.points.shape == (n, 2)
    assert np.array_equal(picture.code.labels, val.y[:n].numpy())
    with torch.no_grad():
        two_unit.model.eval()
        expected = two_unit.model.forward_all(val.x[:3])["code"].numpy()
    np.testing.assert_allclose(picture.code.points[:3], expected, rtol=1e-5, atol=1e-5)


def test_decoding_a_code_gives_the_reconstruction_of_the_example_it_came_from(two_unit: Trainer) -> None:
    x = two_unit.dataset.val.x[:5]
    labels = two_unit.dataset.val.y[:5].numpy()
    scatter = code_scatter(two_unit.model, x, labels)
    assert scatter is not None
    decoded = decode(two_unit.model, scatter, scatter.points, x, two_unit.loss_name)
    samples = reconstruct_samples(two_unit.model, x, labels, two_unit.loss_name)
    np.testing.assert_allclose(decoded, samples.reconstructions, rtol=1e-4, atol=1e-4)


def test_the_grid_spans_the_codes_and_decodes_different_images(two_unit: Trainer) -> None:
    picture = reconstruction_picture(two_unit)
    assert picture is not None
    assert picture.grid is not None
    assert picture.code is not None
    grid = picture.grid
    assert grid.images.shape == (len(grid.ys), len(grid.xs), 1, 8, 8)
    points = picture.code.points
    assert points[:, 0].min() <= grid.xs[0] < grid.xs[-1] <= points[:, 0].max()
    assert points[:, 1].min() <= grid.ys[0] < grid.ys[-1] <= points[:, 1].max()
    corners = grid.images[[0, 0, -1, -1], [0, -1, 0, -1]].reshape(4, -1)
    assert np.linalg.norm(corners[0] - corners[3]) > 1.0, "opposite corners of the plane decode differently"


def test_samples_are_raw_inputs_beside_their_reconstructions(two_unit: Trainer) -> None:
    picture = reconstruction_picture(two_unit)
    assert picture is not None
    samples = picture.samples
    val = two_unit.dataset.val
    assert np.array_equal(samples.originals, val.x[:SHOWN_EXAMPLES].numpy()), "the raw pixels (0..16)"
    assert samples.corrupted is None, "nothing corrupts this network's input"
    assert samples.reconstructions.shape == samples.originals.shape
    mse = ((samples.reconstructions - samples.originals) ** 2).reshape(SHOWN_EXAMPLES, -1).mean(axis=1)
    np.testing.assert_allclose(samples.errors, mse, rtol=1e-5)


def test_input_dropout_is_shown_as_the_corrupted_input_without_touching_trainings_random_numbers() -> None:
    t = trainer([{"id": "mask", "type": "Dropout", "params": {"p": 0.5}}, dense("enc", 16), dense("dec", 16)],
                chain("in", "mask", "enc", "dec", "out"), epochs=1)
    before = torch.get_rng_state()
    first = reconstruction_picture(t)
    assert torch.equal(torch.get_rng_state(), before), "training's random numbers go on as if nothing was drawn"
    second = reconstruction_picture(t)
    assert first is not None
    assert second is not None
    corrupted = first.samples.corrupted
    assert corrupted is not None
    assert np.array_equal(corrupted, second.samples.corrupted), "the same noisy inputs at every picture"
    # in raw pixels: a dropped pixel is the training mean (a normalised 0), a kept one is
    # twice as far from it (dropout's 1 / (1 - p))
    mean = t.dataset.mean.numpy()
    originals = first.samples.originals
    dropped = np.isclose(corrupted, mean, atol=1e-3)
    kept = np.isclose(corrupted, mean + 2 * (originals - mean), atol=1e-3)
    assert np.all(dropped | kept)
    informative = ~np.isclose(originals, mean, atol=1e-3)
    assert 0.35 < dropped[informative].mean() < 0.65, "about half the pixels are masked"


def test_principal_plane_keeps_the_directions_of_largest_variance() -> None:
    rng = np.random.default_rng(0)
    n = 500
    along = rng.normal(0, 5, n)
    across = rng.normal(0, 1, n)
    basis = np.linalg.qr(rng.normal(size=(32, 32)))[0]
    codes = 3.0 + along[:, None] * basis[0] + across[:, None] * basis[1] + 0.01 * rng.normal(size=(n, 32))
    points, explained = principal_plane(codes)
    assert points.shape == (n, 2)
    assert explained[0] == pytest.approx(25 / 26, abs=0.02)
    assert explained[1] == pytest.approx(1 / 26, abs=0.02)
    assert abs(np.corrcoef(points[:, 0], along)[0, 1]) > 0.999


def test_a_one_unit_code_lies_on_the_first_axis() -> None:
    points, explained = principal_plane(np.arange(10, dtype=np.float32)[:, None])
    assert points.shape == (10, 2)
    assert np.all(points[:, 1] == 0)
    assert explained == (pytest.approx(1.0), 0.0)


def test_a_classifier_has_no_reconstruction_picture() -> None:
    t = trainer([dense("h", 8)], chain("in", "h", "out"), epochs=1, target="label")
    assert reconstruction_picture(t) is None


def test_a_person_may_pick_another_candidate_as_the_code(two_unit: Trainer) -> None:
    x, labels = two_unit.dataset.val.x, two_unit.dataset.val.y.numpy()
    picked = code_scatter(two_unit.model, x, labels, "enc")
    assert picked is not None
    assert picked.node_id == "enc"
    assert picked.units == 32
    assert picked.projected
    assert picked.candidates == ("enc", "code", "dec")
    fallback = code_scatter(two_unit.model, x, labels, "out")
    assert fallback is not None
    assert fallback.node_id == "code", "the Output is no code: the narrowest candidate instead"
