"""The fit view's picture: what a network with one input and one output computes, as a line.

For a curve dataset (``DatasetMeta.is_curve``) the network's whole function fits in one
picture: its output over a dense line of inputs, drawn over the data it learns from. The line
is made once per run on the model's device, so a picture is one batched forward and one
transfer, computed on the training thread between steps (``TrainControl.call_between_steps``)
as often as the views ask. Qt-free, so it is tested and timed without a window.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from playground.core.build import GraphModel
from playground.core.probes import predict

if TYPE_CHECKING:
    from playground.core.datasets import Split
    from playground.core.training import Trainer

#: Inputs on the drawn line: smooth at any view width, and one small batch.
RESOLUTION = 400
#: The line reaches this share of the data's range beyond it on each side, so a person sees
#: how the network extrapolates (flat for tanh, straight on for ReLU).
MARGIN = 0.1
#: Points of each split sent to the view at most (a scatter of more only costs frames).
MAX_POINTS = 2000


@dataclass(frozen=True)
class FitCurve:
    """The network's output ``ys[i]`` at raw input ``xs[i]``, both ``(RESOLUTION,)`` float32."""

    xs: np.ndarray
    ys: np.ndarray


@dataclass(frozen=True)
class CurvePoints:
    """The data under the line: raw inputs and targets of the training and validation splits,
    each ``(N,)`` (at most ``MAX_POINTS`` of each)."""

    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray


class CurveLine:
    """Evenly spaced inputs over the range of ``points`` ``(N, 1)`` plus ``margin`` on each
    side, kept on ``device`` so that each picture is a forward pass over them."""

    def __init__(self, points: torch.Tensor, device: torch.device, resolution: int = RESOLUTION,
                 margin: float = MARGIN) -> None:
        if points.ndim != 2 or points.shape[1] != 1:
            raise ValueError(f"a fitted curve needs one input feature, got points of shape {tuple(points.shape)}")
        lo, hi = float(points.min()), float(points.max())
        pad = (hi - lo) * margin or 1.0
        self.xs = np.linspace(lo - pad, hi + pad, resolution, dtype=np.float32)
        self.inputs = torch.from_numpy(self.xs[:, None].copy()).to(device)

    def picture(self, model: GraphModel, loss: str) -> FitCurve:
        """The model's first output at every input of the line (eval mode, no autograd)."""
        ys = predict(model, self.inputs, loss)[:, 0].float().cpu().numpy()
        return FitCurve(self.xs, ys.copy())


#: Each run's line, made at its first picture (the training points do not move).
_lines: weakref.WeakKeyDictionary[Trainer, CurveLine] = weakref.WeakKeyDictionary()


def fit_picture(trainer: Trainer) -> FitCurve:
    """What the live network computes over the range of its training inputs."""
    line = _lines.get(trainer)
    if line is None:
        line = _lines[trainer] = CurveLine(trainer.dataset.train.x, trainer.device)
    return line.picture(trainer.model, trainer.loss_name)


def curve_points(trainer: Trainer) -> CurvePoints:
    """The run's training and validation examples as (x, y) points: asked once per run."""
    def flat(split: Split) -> tuple[np.ndarray, np.ndarray]:
        return (split.x[:MAX_POINTS, 0].numpy().copy(), split.y[:MAX_POINTS, 0].numpy().copy())

    data = trainer.dataset
    return CurvePoints(*flat(data.train), *flat(data.val))
