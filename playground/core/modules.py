"""The few torch modules PyTorch lacks that the catalogue needs.

Each class here imports nothing but torch and is self-contained, because the Python
exporter copies their source verbatim into the standalone file it writes: the generated
code and the app then run the very same definitions.
"""

from __future__ import annotations

import torch
from torch import nn


class Normalize(nn.Module):
    """Standardise raw inputs with statistics of the training split: (x - mean) / std."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mean", mean.detach().clone().float())
        self.register_buffer("std", std.detach().clone().float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class PlaneFeatures(nn.Module):
    """The chosen input features of points (x1, x2), as in TensorFlow Playground, standardised
    with the training split's statistics of those features: the network's first step, so it
    takes the raw points that the plane views draw over and every export takes."""

    # (name, formula) pairs: a tuple, so the class holds no mutable shared state
    FORMULAS = (
        ("x1", lambda x1, x2: x1),
        ("x2", lambda x1, x2: x2),
        ("x1^2", lambda x1, x2: x1 * x1),
        ("x2^2", lambda x1, x2: x2 * x2),
        ("x1*x2", lambda x1, x2: x1 * x2),
        ("sin(x1)", lambda x1, x2: torch.sin(x1)),
        ("sin(x2)", lambda x1, x2: torch.sin(x2)),
    )

    def __init__(self, features: list[str], mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.features = list(features)
        self.register_buffer("mean", mean.detach().clone().float())
        self.register_buffer("std", std.detach().clone().float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x[:, :1], x[:, 1:2]
        formulas = dict(self.FORMULAS)
        columns = [formulas[name](x1, x2) for name in self.features]
        return (torch.cat(columns, dim=1) - self.mean) / self.std


class Abs(nn.Module):
    """Absolute-value rectification |z|: the generalised rectifier with alpha = -1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.abs(x)


class Maxout(nn.Module):
    """Maxout (Goodfellow 2013): each unit is the largest of ``pieces`` linear pieces, so it
    learns its own convex, piecewise-linear activation. The pieces of unit j are the layer's
    consecutive outputs j·pieces ... j·pieces + pieces - 1."""

    def __init__(self, pieces: int) -> None:
        super().__init__()
        self.pieces = pieces

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(1, (-1, self.pieces)).amax(dim=2)


class Add(nn.Module):
    """Element-wise sum of two or more equally shaped inputs (a residual connection)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Concat(nn.Module):
    """Join two or more inputs along the feature or channel axis (a dense connection)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=1)


class GaussianNoise(nn.Module):
    """Adds Gaussian noise of standard deviation ``std`` in training only, and is the identity
    when evaluated (so exports, traced in eval mode, leave it out): the corruption a denoising
    autoencoder learns to undo."""

    def __init__(self, std: float) -> None:
        super().__init__()
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return x + torch.randn_like(x) * self.std
        return x
