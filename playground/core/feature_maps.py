"""Feature maps of one input: what every node of the live network outputs for one example.

The lectures ask a student to look inside a CNN: feed it one digit and see which channels of
each convolution light up, how pooling coarsens them, and which Dense units fire. One forward
pass of one example in eval mode (dropout off, batch-norm running statistics) gives every
node's output (``GraphModel.forward_all``); this module turns it into plain numpy the GUI
thread can draw: image-shaped outputs as ``(C, H, W)``, flat ones as ``(F,)``.

The cost is bounded whatever the network: one example, at most ``MAX_MAP_VALUES`` values per
image-shaped node (the first channels that fit, at least one) and ``MAX_UNITS`` per flat one,
so a wide layer on large images never ships megabytes across threads between two steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from playground.core.build import GraphModel
from playground.core.probes import evaluating

if TYPE_CHECKING:
    from playground.core.training import Trainer

#: Channels kept per image-shaped node at most: a grid of 8x8 maps is still readable.
MAX_CHANNELS = 64
#: Values kept per image-shaped node at most: 64 channels of 32x32 (CIFAR's first layers);
#: larger maps keep fewer channels.
MAX_MAP_VALUES = MAX_CHANNELS * 32 * 32
#: Units kept per flat node at most: more bars than this are no longer told apart.
MAX_UNITS = 1024


@dataclass(frozen=True)
class NodeMaps:
    """One node's output for the example: ``values`` ``(C, H, W)`` (a sequence ``(T, F)`` is
    one channel) or ``(F,)``, cut to the first ``len(values)`` of ``total`` channels or units."""

    node_id: str
    node_type: str
    values: np.ndarray
    total: int

    @property
    def is_image(self) -> bool:
        """Channels of pictures (a grid of maps) rather than a vector of units (a bar strip)."""
        return self.values.ndim == 3


@dataclass(frozen=True)
class FeatureMaps:
    """Every node's output for the example ``index`` (its position among the samples the
    view shows), in the network's order, the Input node left out; ``image`` is the raw input."""

    index: int
    image: np.ndarray
    nodes: dict[str, NodeMaps]


def _owned(t: torch.Tensor, max_channels: int, max_units: int, max_values: int) -> tuple[np.ndarray, int]:
    """One node's output for one example as an owned float32 array, cut to the caps, with its
    channel or unit count before the cut."""
    value = t.detach()
    if value.ndim == 2:  # a sequence (T, F): one picture
        value = value[None]
    if value.ndim == 3:
        per_channel = max(1, value.shape[1] * value.shape[2])
        keep = max(1, min(max_channels, max_values // per_channel))
    else:
        value = value.reshape(-1)
        keep = max_units
    total = int(value.shape[0])
    array = value[:keep].float().cpu().numpy().copy()
    return np.nan_to_num(array, posinf=0.0, neginf=0.0), total


def feature_maps(model: GraphModel, image: np.ndarray | torch.Tensor, index: int = 0, *,
                 max_channels: int = MAX_CHANNELS, max_units: int = MAX_UNITS,
                 max_values: int = MAX_MAP_VALUES) -> FeatureMaps:
    """Every node's output for one raw example ``image`` (shaped like one input, without a
    batch axis), from one forward pass in eval mode; the model's training mode is restored.
    Non-finite values (a diverging run) read as zero, so the view always has levels."""
    x = torch.as_tensor(np.asarray(image, dtype=np.float32))
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    with evaluating(model):
        outputs = model.forward_all(x[None].to(device))
    nodes = {}
    for node_id, t in outputs.items():
        if node_id == model.input_id:
            continue
        values, total = _owned(t[0], max_channels, max_units, max_values)
        nodes[node_id] = NodeMaps(node_id, model.node_types[node_id], values, total)
    return FeatureMaps(index, x.numpy().copy(), nodes)


def feature_maps_picture(trainer: Trainer, image: np.ndarray, index: int) -> FeatureMaps:
    """``feature_maps`` of the live model, as the Feature maps view asks the training thread."""
    return feature_maps(trainer.model, image, index)
