"""ReconstructionView: an autoencoder's originals, corrupted inputs and reconstructions, its code
as points coloured by class, and the images decoded from a two-unit code's plane; made-up
pictures first, then a real trainer driven through the live-view protocol, then the app's own
worker. Drawing in both themes, export and reset are checked with every view (``test_views``,
``populated.reconstruction_view``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from playground.core.datasets import DatasetMeta
from playground.core.project import Project, parse_project
from playground.core.reconstruction import CodeScatter, ReconstructionPicture
from playground.core.training import Trainer
from playground.ui.main_window import MainWindow
from playground.ui.plots.live import RunInfo
from playground.ui.plots.reconstruction import NOT_AN_AUTOENCODER, ReconstructionView
from tests.ui.plots.conftest import Show, deliver, drawn_share
from tests.ui.plots.populated import reconstruction_view

#: The digits' Input image: 8x8 pixels, one channel.
SIDE = 8


def strip_rows(view: ReconstructionView) -> list[np.ndarray]:
    """The drawn strip cut into its rows of tiles (1-px gaps between them)."""
    image = view.strip.image
    assert image is not None
    return [image[r: r + SIDE] for r in range(0, image.shape[0], SIDE + 1)]


def autoencoder(target: str = "input", epochs: int = 10) -> Project:
    """A dense autoencoder on the 8x8 digits: 64 -> 32 -> 2 -> 32 -> 64."""
    dense = [("enc", 32, "relu"), ("code", 2, "linear"), ("dec", 32, "relu")]
    nodes: list[dict[str, Any]] = [{"id": "in", "type": "Input"}]
    nodes += [{"id": i, "type": "Dense", "params": {"units": u, "activation": a}} for i, u, a in dense]
    nodes.append({"id": "out", "type": "Output", "params": {"target": target}})
    ids = [n["id"] for n in nodes]
    return parse_project({
        "format": "nn-playground/1", "name": "autoencoder", "dataset": {"name": "digits"},
        "graph": {"nodes": nodes, "edges": [list(e) for e in zip(ids, ids[1:])]},
        "training": {"optimizer": "adam", "lr": 0.003, "batch_size": 32, "epochs": epochs, "seed": 0},
    })


def test_a_denoising_picture_shows_three_rows_and_the_decoded_grid(show: Show) -> None:
    view = show(reconstruction_view())
    rows = strip_rows(view)
    assert len(rows) == 3, "originals, corrupted inputs, reconstructions"
    assert rows[0].shape == (SIDE, 8 * SIDE + 7), "eight examples side by side"
    assert view.grid_box.isVisible()
    assert view.grid_image.image is not None
    assert [label.text for _sample, label in view.legend.items] == [str(d) for d in range(10)]
    assert "(2 units)" in view.caption.text
    assert view.scatter_plot.getAxis("bottom").labelText == "code unit 1"


def test_a_wide_code_is_drawn_by_pca_without_a_grid(show: Show) -> None:
    view = show(reconstruction_view())
    picture = view._picture
    assert picture is not None
    wide = CodeScatter("h", 32, (32,), picture.code.points, picture.code.labels, True, (0.61, 0.17))
    view.set_picture(ReconstructionPicture(dataclasses.replace(picture.samples, corrupted=None), wide, None))
    view.flush()
    assert len(strip_rows(view)) == 2, "no corrupted row without a corrupting node"
    assert not view.grid_box.isVisible(), "no decoded grid over principal components"
    assert "32 values, by PCA" in view.caption.text
    assert "78%" in view.caption.text, "how much of the code's variance the plane keeps"
    assert view.scatter_plot.getAxis("bottom").labelText == "PC 1 (61%)"
    assert drawn_share(view) > 0.03


def test_other_data_and_classifiers_are_told_why(show: Show) -> None:
    view = show(ReconstructionView())
    plane = DatasetMeta((2,), "classification", 2)
    assert "2 input features" in (view.not_applicable(plane) or "")
    assert view.not_applicable(DatasetMeta((1, 8, 8), "classification", 10)) is None
    classifier = Trainer(autoencoder(target="label", epochs=1), report_interval=None, probes=False)
    info = RunInfo.of(classifier)
    view.start_run(info, None)
    assert view.reason_shown() == NOT_AN_AUTOENCODER
    assert view.picture_requests(info) == [], "a classifier's run computes nothing for this view"


def test_reconstructions_sharpen_as_the_network_trains(show: Show) -> None:
    trainer = Trainer(autoencoder(epochs=15), report_interval=None, probes=False)
    view = show(ReconstructionView())
    info = RunInfo.of(trainer)
    view.start_run(info, None)
    assert view.reason_shown() is None
    assert deliver(view, trainer, info) == ["reconstruction"]
    original, rebuilt = strip_rows(view)
    before = float(np.nanmean((original - rebuilt) ** 2))
    trainer.fit()
    deliver(view, trainer, info)
    original, rebuilt = strip_rows(view)
    after = float(np.nanmean((original - rebuilt) ** 2))
    # measured: 60 untrained, 15 after 15 epochs
    assert after < 0.5 * before
    assert len(view.legend.items) == 10, "the validation examples of all ten digits, coloured by class"


def test_a_person_picks_another_layer_as_the_code(show: Show) -> None:
    trainer = Trainer(autoencoder(epochs=1), report_interval=None, probes=False)
    trainer.fit()
    view = show(ReconstructionView())
    info = RunInfo.of(trainer)
    view.start_run(info, None)
    deliver(view, trainer, info)
    box = view.code_box
    assert [box.itemText(i) for i in range(box.count())] == ["narrowest", "Dense 'enc'", "Dense 'code'", "Dense 'dec'"]
    assert box.currentIndex() == 0
    wanted: list[bool] = []
    view.picturesWanted.connect(lambda: wanted.append(True))
    box.activated.emit(1)
    assert wanted, "the pick is computed at once, not at the next round"
    stale = view._picture
    assert deliver(view, trainer, info) == ["reconstruction:enc"]
    view.on_picture("reconstruction", stale)
    view.flush()
    assert "Dense 'enc' (32 values, by PCA" in view.caption.text, "a late picture of the old code is dropped"
    assert not view.grid_box.isVisible()
    assert box.currentText() == "Dense 'enc'"
    view.reset()
    assert box.currentIndex() == 0, "another project starts from the narrowest layer again"


def test_the_app_draws_an_autoencoders_reconstructions_from_its_worker(
        make_window: Callable[..., MainWindow]) -> None:
    window = make_window(autoencoder())
    ws = window.training
    ws.docks["reconstruction"].raise_()
    ws.train_steps(20)
    view = ws.view("reconstruction")
    assert isinstance(view, ReconstructionView)
    assert view.reason_shown() is None
    assert view._picture is not None, "the worker computed the picture between steps"
    assert len(strip_rows(view)) == 2
    assert view.grid_box.isVisible(), "a two-unit code's plane is decoded"
