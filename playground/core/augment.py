"""Data augmentation on the training device: random, label-preserving changes of each batch.

``Augment`` imports nothing but torch and is self-contained, because the training-script
export copies its source verbatim (as it does with ``core.modules``): the generated script
and the app augment with the very same code. Each kind draws one random number per example
and the whole batch is changed in a few tensor operations (the geometric kinds in one
``affine_grid`` + ``grid_sample``), never a Python loop over examples.
"""

from __future__ import annotations

import torch
from torch import nn


class Augment:
    """Random changes of a batch, each kind scaled by ``strength`` (1 is a moderate default).

    At strength 1: ``hflip`` mirrors half the images; ``rotate`` turns by up to ±15°;
    ``scale`` zooms by a factor between e^-0.15 and e^0.15 (about ±15%); ``shift`` moves by up
    to 10% of the image's width and height (sub-pixel, so small images are not jumped by whole
    pixels); ``brightness`` adds up to ±0.2 of the data's spread; ``contrast`` multiplies each
    image's deviations from its mean by a factor between e^-0.3 and e^0.3; ``noise`` adds
    Gaussian noise of 0.1 of the data's spread. ``std`` is that spread (per channel or per
    feature, the training split's); geometric kinds fill uncovered pixels with zeros.
    """

    ROTATE_DEGREES = 15.0
    SCALE_LOG = 0.15
    SHIFT_SHARE = 0.1
    BRIGHTNESS_SHARE = 0.2
    CONTRAST_LOG = 0.3
    NOISE_SHARE = 0.1

    def __init__(self, kinds: tuple[str, ...], strength: float, std: torch.Tensor,
                 generator: torch.Generator | None = None) -> None:
        self.kinds = frozenset(kinds)
        self.strength = strength
        self.std = std
        self.generator = generator
        shift = 2 * self.SHIFT_SHARE * strength if "shift" in kinds else 0.0  # an image spans 2 grid units
        # largest angle (radians), log-zoom and shifts; kept on the data's device, made once
        self.limits = torch.tensor(
            [torch.pi / 180 * self.ROTATE_DEGREES * strength if "rotate" in kinds else 0.0,
             self.SCALE_LOG * strength if "scale" in kinds else 0.0, shift, shift], device=std.device)

    def _uniform(self, x: torch.Tensor, *shape: int) -> torch.Tensor:
        """Per-example numbers uniform in [-1, 1), drawn from this augmenter's generator."""
        return torch.rand((x.shape[0], *shape), generator=self.generator, device=x.device) * 2 - 1

    def _geometry(self, x: torch.Tensor) -> torch.Tensor:
        """Rotate, zoom and shift every image at once: one affine map per example, taking output
        pixels to input pixels (in pixel units, so a turn of a wide image stays a turn)."""
        h, w = x.shape[2:]
        u = self._uniform(x, 4) * self.limits
        zoom = torch.exp(u[:, 1])
        cos, sin = torch.cos(u[:, 0]) / zoom, torch.sin(u[:, 0]) / zoom
        theta = torch.stack((torch.stack((cos, -sin * h / w, u[:, 2]), 1),
                             torch.stack((sin * w / h, cos, u[:, 3]), 1)), 1)
        grid = nn.functional.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
        return nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        kinds, s = self.kinds, self.strength
        if "hflip" in kinds:
            flip = self._uniform(x, *(1,) * (x.ndim - 1)) < 0
            x = torch.where(flip, x.flip(-1), x)
        if kinds & {"rotate", "scale", "shift"}:
            x = self._geometry(x)
        if "contrast" in kinds:
            mean = x.mean(dim=(2, 3), keepdim=True)
            x = mean + (x - mean) * torch.exp(self._uniform(x, 1, 1, 1) * self.CONTRAST_LOG * s)
        if "brightness" in kinds:
            x = x + self._uniform(x, 1, 1, 1) * (self.BRIGHTNESS_SHARE * s) * self.std
        if "noise" in kinds:
            noise = torch.randn(x.shape, generator=self.generator, device=x.device, dtype=x.dtype)
            x = x + noise * (self.NOISE_SHARE * s) * self.std
        return x
