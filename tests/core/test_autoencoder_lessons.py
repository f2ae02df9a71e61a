"""The autoencoder examples and the LeNet unit example show the effects their lessons promise.

As in ``test_example_lessons.py`` (whose ``TESTED`` set lists these examples), each test trains
the shipped project briefly and checks what the note tells a student to look at; where the note
names a setting as the cause, the variant without it is trained too. Thresholds were measured
first (in the comments) and leave a margin.
"""

from __future__ import annotations

import numpy as np
import torch

from playground.core.project import load_project
from playground.core.reconstruction import code_scatter
from playground.core.training import Trainer, reconstruction
from tests.core.test_example_lessons import EXAMPLES, Run, brief

#: Neighbours that vote on an example's class in the code plane.
NEIGHBOURS = 5


def neighbour_accuracy(points: np.ndarray, labels: np.ndarray, k: int = NEIGHBOURS) -> float:
    """Share of examples whose ``k`` nearest other points in the plane mostly have their class:
    how well classes separate in a code that was never shown a label (chance: 1 / classes)."""
    distances = ((points[:, None] - points[None]) ** 2).sum(axis=2)
    np.fill_diagonal(distances, np.inf)
    votes = labels[np.argsort(distances, axis=1)[:, :k]]
    predicted = np.array([np.bincount(v, minlength=labels.max() + 1).argmax() for v in votes])
    return float((predicted == labels).mean())


def mean_image_error(run: Run) -> float:
    """Mean squared error of reconstructing every validation digit as the training mean: what a
    network that learned nothing about single digits achieves."""
    data = run.trainer.dataset
    return float(((data.val.x - data.train.x.mean(dim=0)) ** 2).mean())


def test_a_two_unit_code_separates_the_digits_without_labels() -> None:
    run = brief("autoencoder_code2", 10)
    val = run.trainer.dataset.val
    scatter = code_scatter(run.trainer.model, val.x, val.y.numpy())
    assert scatter is not None
    assert scatter.node_id == "code"
    assert not scatter.projected
    # measured at 10 epochs: 0.52 of the validation digits have mostly their own class among
    # their 5 nearest codes (chance 0.1); 0.67 after the example's 40 epochs
    assert neighbour_accuracy(scatter.points, val.y.numpy()) > 0.3
    # measured: validation error 14.6 against 18.8 for the mean digit
    assert run.last.val_loss < 0.9 * mean_image_error(run)


def test_a_larger_code_reconstructs_better() -> None:
    narrow = brief("autoencoder_code2", 10)
    wide = brief("autoencoder_code32", 10)
    # measured at 10 epochs: validation error 14.6 with a code of 2, 2.2 with 32 (12.8 and 0.88
    # after the examples' 40 epochs)
    assert wide.last.val_loss < 0.4 * narrow.last.val_loss


def _noisy_reconstruction_errors(trainer: Trainer, std: float) -> tuple[float, float]:
    """Validation digits with Gaussian noise of ``std`` data spreads added to every pixel (the
    example's Noise node, seeded here): the squared error of the noisy digits and of the
    network's reconstructions of them, each against the clean digits."""
    data = trainer.dataset
    clean = data.val.x
    noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    noisy = clean + std * data.std * noise
    model = trainer.model
    model.eval()
    with torch.no_grad():
        rebuilt = reconstruction(model(noisy), trainer.loss_name)
    return float(((noisy - clean) ** 2).mean()), float(((rebuilt - clean) ** 2).mean())


def test_a_denoising_autoencoder_gives_back_cleaner_digits_than_it_was_shown() -> None:
    std = load_project(EXAMPLES["denoising_autoencoder"].path).graph.nodes["noise"].params["std"]
    denoising = brief("denoising_autoencoder", 10)
    plain = brief("denoising_autoencoder", 10, params={"noise": {"std": 0.01}})
    noisy_error, denoised_error = _noisy_reconstruction_errors(denoising.trainer, std)
    _, plain_error = _noisy_reconstruction_errors(plain.trainer, std)
    # measured at 10 epochs (std 1): the noisy digits are 36 from the clean ones, the denoising
    # network's reconstructions of them 12, those of the same network trained without noise 19
    assert denoised_error < 0.5 * noisy_error
    assert denoised_error < 0.8 * plain_error


def test_each_class_unit_of_a_trained_lenet_is_excited_most_by_its_own_digit() -> None:
    untrained = Trainer(load_project(EXAMPLES["lenet_units"].path), report_interval=None, probes=False,
                        device="cpu")
    trained = brief("lenet_units", 2).trainer

    def own_share(trainer: Trainer) -> float:
        """Share of each Output unit's 8 most exciting validation digits that are its class (what
        the Units view ranks, ``top_examples``, for all ten units from one eval-mode forward)."""
        val = trainer.dataset.val
        trainer.model.eval()
        with torch.no_grad():
            outputs = trainer.model(val.x)
        top = outputs.argsort(dim=0, descending=True)[:8]
        return float((val.y[top] == torch.arange(10)).float().mean())

    # measured: 0.12 untrained, 1.0 after 2 epochs
    assert own_share(untrained) < 0.4
    assert own_share(trained) > 0.9
