"""What the live views ask the training thread to compute from the live model, between steps.

Each function takes the ``Trainer`` (the only owner of the model while a run goes) and returns
plain data (numpy arrays, core dataclasses) that can cross to the GUI thread. The views name
these functions in their picture requests; keeping them here, Qt-free, lets them be tested
and timed without a window.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch

from playground.core.probes import Filters, PlaneGrid, PlanePictures, first_layer_filters, predict
from playground.core.saliency import SALIENCY_METHODS, predicted_classes, vanilla_gradient

if TYPE_CHECKING:
    from playground.core.training import Trainer

FilterKind = Literal["conv", "dense"]


@dataclass(frozen=True)
class FilterPicture:
    """The first layer's weights as images, and whether they are convolution kernels or
    Dense units' templates (a Dense unit's weights have the input image's own size)."""

    filters: Filters
    kind: FilterKind


def filter_picture(trainer: Trainer) -> FilterPicture | None:
    """The first weighted layer reading the input image, or None when there is none."""
    shape = trainer.dataset.meta.input_shape
    filters = first_layer_filters(trainer.model, shape)
    if filters is None:
        return None
    kind: FilterKind = "dense" if filters.images.shape[2:] == tuple(shape[1:]) else "conv"
    return FilterPicture(filters, kind)


#: Each run's plane grid, made at its first picture (the training points do not move).
_plane_grids: weakref.WeakKeyDictionary[Trainer, PlaneGrid] = weakref.WeakKeyDictionary()


def boundary_picture(trainer: Trainer) -> PlanePictures:
    """The network's output over the plane of the training points and every hidden unit's."""
    grid = _plane_grids.get(trainer)
    if grid is None:
        grid = _plane_grids[trainer] = PlaneGrid(trainer.dataset.train.x, trainer.device)
    return grid.pictures(trainer.model, trainer.loss_name)


@dataclass(frozen=True)
class Predictions:
    """True and predicted classes of the validation split (the test split when there is none),
    in the split's order: the first examples are the ones the views show as samples."""

    true: np.ndarray
    predicted: np.ndarray


def validation_predictions(trainer: Trainer) -> Predictions:
    split = trainer.dataset.val if len(trainer.dataset.val) else trainer.dataset.test
    probabilities = predict(trainer.model, split.x.to(trainer.device), trainer.loss_name)
    return Predictions(split.y.numpy().copy(), probabilities.argmax(dim=1).cpu().numpy().copy())


@dataclass(frozen=True)
class SaliencyMaps:
    """Maps of several samples: ``maps[name]`` is ``(N, ...)`` in the order of ``indices``;
    "vanilla" (the plain gradient) is always there, beside ``method``'s map. ``target`` is the
    class explained (None: each sample's predicted class)."""

    indices: list[int]
    method: str
    target: int | None
    images: np.ndarray
    maps: dict[str, np.ndarray]


def saliency_maps(trainer: Trainer, images: np.ndarray, indices: Sequence[int], method: str,
                  target: int | None) -> SaliencyMaps:
    """The plain gradient and ``method``'s map of ``images[indices]`` (one batch), each sample
    explained for ``target`` or, when None, for its own predicted class."""
    chosen = list(indices)
    x = torch.from_numpy(np.ascontiguousarray(images[chosen]))
    model = trainer.model
    classes = predicted_classes(model, x) if target is None else np.full(len(chosen), int(target))
    maps = {"vanilla": vanilla_gradient(model, x, classes)}
    if method != "vanilla":
        maps[method] = SALIENCY_METHODS[method].compute(model, x, classes)
    return SaliencyMaps(chosen, method, target, x.numpy().copy(), maps)
