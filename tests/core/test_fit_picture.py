"""The fit view's picture is what the live model computes over a line of inputs covering the
data, made once per run on the model's device, and the data points it is drawn over."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.core.fit_picture import MARGIN, RESOLUTION, CurveLine, curve_points, fit_picture
from playground.core.graph import Graph
from playground.core.project import Project
from playground.core.training import Trainer


def curve_trainer(**training: object) -> Trainer:
    nodes = [{"id": "in", "type": "Input"}, {"id": "h", "type": "Dense", "params": {"units": 8, "activation": "tanh"}},
             {"id": "out", "type": "Output", "params": {"loss": "mse"}}]
    graph, problems = Graph.from_dict({"nodes": nodes, "edges": [["in", "h"], ["h", "out"]]})
    assert not problems
    settings = {"optimizer": "adam", "lr": 0.01, "batch_size": 16, "epochs": 2, **training}
    return Trainer(Project("fit", {"name": "curve", "samples": 200}, graph, settings), report_interval=None,
                   probes=False)


def test_the_picture_is_the_models_output_over_the_data_range_plus_a_margin() -> None:
    trainer = curve_trainer()
    train_x = trainer.dataset.train.x[:, 0].numpy()
    picture = fit_picture(trainer)
    assert picture.xs.shape == picture.ys.shape == (RESOLUTION,)
    span = train_x.max() - train_x.min()
    assert picture.xs[0] == pytest.approx(train_x.min() - MARGIN * span, rel=1e-5)
    assert picture.xs[-1] == pytest.approx(train_x.max() + MARGIN * span, rel=1e-5)
    assert np.all(np.diff(picture.xs) > 0)
    trainer.model.eval()
    with torch.no_grad():
        expected = trainer.model(torch.from_numpy(picture.xs[:, None]))[:, 0].numpy()
    assert np.allclose(picture.ys, expected, atol=1e-6)


def test_the_picture_follows_training_and_reuses_its_line() -> None:
    trainer = curve_trainer()
    before = fit_picture(trainer)
    trainer.fit()
    after = fit_picture(trainer)
    assert after.xs is before.xs, "the line of inputs is made once per run"
    assert not np.allclose(before.ys, after.ys), "the picture shows the trained model"
    assert trainer.model.training, "a picture leaves a training model in training mode"


def test_the_points_are_the_training_and_validation_splits() -> None:
    trainer = curve_trainer()
    points = curve_points(trainer)
    data = trainer.dataset
    assert np.array_equal(points.train_x, data.train.x[:, 0].numpy())
    assert np.array_equal(points.train_y, data.train.y[:, 0].numpy())
    assert np.array_equal(points.val_x, data.val.x[:, 0].numpy())
    assert len(points.val_y) == len(data.val) > 0


def test_a_line_needs_one_input_feature() -> None:
    with pytest.raises(ValueError, match="one input feature"):
        CurveLine(torch.zeros(10, 2), torch.device("cpu"))
