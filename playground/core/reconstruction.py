"""What an autoencoder's views show, computed from the live model between two steps.

An autoencoder's ``Output`` has ``target: "input"``: the network gives back its own input
through a narrow code. Three pictures make that visible (lectures: encoder to a small code,
decoder back; denoising autoencoders learn from corrupted inputs):

- a few validation examples beside their reconstructions, and beside the corrupted input
  when the network has a node that corrupts in training (``Noise``);
- the code of the validation examples as 2-D points coloured by class: the code itself when
  it has two units, else its first two principal components;
- for a two-unit code, images decoded from a grid of points of the code plane.

**The code layer** is the narrowest node every path from the Input to the Output passes
through: fewest values per example, the earliest in the network on a tie (a Dense layer of two
units rather than the Activation after it), leaving out the Input, the Output and the nodes
that only act in training (Dropout, Noise), which pass their input on unchanged at test time.
Because every path runs through it, the nodes after it that lead to the Output form the
decoder: they can be run from any code at all, which is what the decoded grid does. A person
may name another node of that kind (``code_candidates`` lists them).

Everything here is Qt-free and returns owned numpy arrays; ``reconstruction_picture`` is what
the view asks the training thread for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from playground.core.build import GraphModel
from playground.core.layers import LAYER_TYPES
from playground.core.modules import Normalize
from playground.core.probes import evaluating
from playground.core.training import reconstruction

if TYPE_CHECKING:
    from playground.core.training import Trainer

#: Validation examples drawn beside their reconstructions (the split's first ones, every time).
SHOWN_EXAMPLES = 8
#: Validation examples whose codes are drawn at most: enough to see clusters, one cheap batch.
MAX_CODE_EXAMPLES = 1000
#: Points per side of the code-plane grid that is decoded into images.
GRID_SIDE = 9
#: The decoded grid spans these percentiles of the codes on each axis (a few far-out codes
#: would otherwise leave most of the grid in empty code space).
GRID_PERCENTILES = (2.0, 98.0)
#: Seed of the corruption drawn for the shown examples: the same noisy inputs at every picture,
#: so a person sees the reconstruction of one noisy input improve, not new noise each time.
CORRUPTION_SEED = 20140


@dataclass(frozen=True)
class Samples:
    """A few validation examples, as the network is asked to give them back (``originals``),
    as it saw them in training (``corrupted``; None without a corrupting node) and as it gave
    them back (``reconstructions``), each ``(n, *input_shape)``; ``labels`` their classes
    (empty without classes); ``errors`` each reconstruction's mean squared error."""

    originals: np.ndarray
    corrupted: np.ndarray | None
    reconstructions: np.ndarray
    labels: np.ndarray
    errors: np.ndarray


@dataclass(frozen=True)
class CodeScatter:
    """The code of up to ``MAX_CODE_EXAMPLES`` validation examples as points ``(n, 2)``.

    ``projected``: the code has more than two values and the points are its first two
    principal components, which keep the shares ``explained`` of its variance; with two
    units the points are the code itself (``explained`` (1.0, 0.0) split as the variance is).
    """

    node_id: str
    units: int
    #: the code node's output shape for one example (a Dense code: (units,))
    shape: tuple[int, ...]
    points: np.ndarray
    labels: np.ndarray
    projected: bool
    explained: tuple[float, float]
    #: the nodes a person may pick as the code instead (``code_candidates``), in network order
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecodedGrid:
    """Images decoded from a grid of a two-unit code: ``images[i, j]`` from the code
    ``(xs[j], ys[i])``."""

    xs: np.ndarray
    ys: np.ndarray
    images: np.ndarray


@dataclass(frozen=True)
class ReconstructionPicture:
    """All an autoencoder's view draws, from one round between steps."""

    samples: Samples
    code: CodeScatter | None
    grid: DecodedGrid | None


# --------------------------------------------------------------------------- the graph's parts

def _reaches_output(model: GraphModel, without: str) -> bool:
    """Whether the Output can still be reached from the Input with node ``without`` removed."""
    reached = {model.input_id}
    for node_id, _attr, sources in model.plan:
        if node_id != without and any(s in reached for s in sources):
            reached.add(node_id)
    return model.output_id in reached


def code_candidates(model: GraphModel) -> list[str]:
    """Nodes that could be the code, in network order: every path from the Input to the Output
    runs through them, and they act at test time (not Dropout or Noise)."""
    ends = (model.input_id, model.output_id)
    return [node_id for node_id, _attr, _sources in model.plan
            if node_id not in ends and not LAYER_TYPES[model.node_types[node_id]].transparent_at_test
            and not _reaches_output(model, node_id)]


def code_node(model: GraphModel, sizes: dict[str, int]) -> str | None:
    """The narrowest candidate (``sizes``: values per example by node id), the earliest on a
    tie; None when the Output's only way back to the Input is direct."""
    candidates = code_candidates(model)
    return min(candidates, key=lambda n: sizes[n]) if candidates else None


def decoder(model: GraphModel, code: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """The plan steps after ``code`` that lead to the Output, in order. ``code`` must be a
    candidate: then every source of these steps is ``code`` or one of them."""
    after = {code}
    steps = []
    for node_id, attr, sources in model.plan:
        if any(s in after for s in sources):
            after.add(node_id)
            steps.append((node_id, attr, sources))
    return steps


def corrupting_nodes(model: GraphModel) -> list[str]:
    """The nodes that corrupt the input in training, in order: those that act in training only
    (Noise, Dropout as masking noise) and read the Input or another of them. The last one's
    output is the corrupted input the network learns from (a denoising autoencoder)."""
    chain = {model.input_id}
    for node_id, _attr, sources in model.plan:
        if LAYER_TYPES[model.node_types[node_id]].transparent_at_test and sources and set(sources) <= chain:
            chain.add(node_id)
    return [n for n, _attr, _sources in model.plan if n in chain and n != model.input_id]


# --------------------------------------------------------------------------- running it

def _forward(model: GraphModel, x: torch.Tensor, corrupt: Sequence[str] = ()) -> dict[str, torch.Tensor]:
    """Every node's output in eval mode, except that the nodes ``corrupt`` act as in training,
    drawing their noise from a seeded fork of torch's generator: training's random state is the
    same afterwards, and the same call draws the same noise."""
    values: dict[str, torch.Tensor] = {}
    accelerated = x.device.type != "cpu"  # the noise is drawn by the generator of x's device
    with evaluating(model), torch.random.fork_rng(devices=[x.device.index or 0] if accelerated else [],
                                                  device_type=x.device.type if accelerated else None):
        torch.manual_seed(CORRUPTION_SEED)
        for node_id, attr, sources in model.plan:
            module = model._modules[attr]
            module.train(node_id in corrupt)
            values[node_id] = module(*[values[s] for s in sources]) if sources else module(x)
            module.eval()
    return values


def _as_input(out: torch.Tensor, like: torch.Tensor, loss: str) -> np.ndarray:
    """The Output's values read as reconstructed raw inputs of ``like``'s shape."""
    return reconstruction(out, loss).reshape(like.shape).float().cpu().numpy().copy()


def _raw(model: GraphModel, values: torch.Tensor) -> torch.Tensor | None:
    """Values in the space of the Input node's output mapped back to raw inputs (undoing the
    normalisation that is the Input's step), or None when that space is not the raw input's
    (a plane's computed features)."""
    step = model._modules[model.attrs[model.input_id]]
    if isinstance(step, Normalize):
        return values * step.std + step.mean
    return values if isinstance(step, nn.Identity) else None


def reconstruct_samples(model: GraphModel, x: torch.Tensor, labels: np.ndarray, loss: str) -> Samples:
    """Raw inputs ``x`` beside the network's reconstructions of them: the network's target is
    the raw input. When the network corrupts its input in training (``corrupting_nodes``), the
    corruption is applied here too (seeded, see ``_forward``), shown mapped back to raw values,
    and the reconstructions are of the corrupted inputs: what denoising means."""
    corrupt = corrupting_nodes(model)
    values = _forward(model, x, corrupt)
    rebuilt = _as_input(values[model.output_id], x, loss)
    originals = x.float().cpu().numpy().copy()
    corrupted = _raw(model, values[corrupt[-1]]) if corrupt else None
    errors = ((rebuilt - originals) ** 2).reshape(len(originals), -1).mean(axis=1)
    return Samples(originals, None if corrupted is None else corrupted.float().cpu().numpy().copy(), rebuilt,
                   labels.copy(), errors)


def principal_plane(codes: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """``codes`` ``(n, k)`` projected on their first two principal components (numpy SVD of the
    centred codes), and the share of the variance each keeps."""
    centred = codes - codes.mean(axis=0)
    _u, s, vt = np.linalg.svd(centred, full_matrices=False)
    variance = s ** 2
    total = float(variance.sum())
    shares = variance[:2] / total if total > 0 else np.zeros(2)
    points = centred @ vt[:2].T
    if points.shape[1] < 2:  # a one-value code: its line, drawn on the x axis
        points = np.pad(points, ((0, 0), (0, 2 - points.shape[1])))
        shares = np.pad(shares, (0, 2 - len(shares)))
    return points.astype(np.float32), (float(shares[0]), float(shares[1]))


def code_scatter(model: GraphModel, x: torch.Tensor, labels: np.ndarray, code: str | None = None
                 ) -> CodeScatter | None:
    """The code of each example of ``x`` as a 2-D point (``code``: the node to read when it is
    one of ``code_candidates``, else ``code_node``; None when the network has no candidate)."""
    values = _forward(model, x)
    sizes = {n: int(v[0].numel()) for n, v in values.items()}
    candidates = tuple(code_candidates(model))
    code = code if code in candidates else code_node(model, sizes)
    if code is None:
        return None
    codes = values[code].reshape(len(x), -1).float().cpu().numpy()
    units = codes.shape[1]
    shape = tuple(values[code].shape[1:])
    if units == 2:
        variance = codes.var(axis=0)
        total = float(variance.sum())
        shares = variance / total if total > 0 else np.array([0.5, 0.5])
        return CodeScatter(code, 2, shape, codes.copy(), labels.copy(), False, (float(shares[0]), float(shares[1])),
                           candidates)
    points, explained = principal_plane(codes)
    return CodeScatter(code, units, shape, points, labels.copy(), True, explained, candidates)


def decode(model: GraphModel, scatter: CodeScatter, codes: np.ndarray, like: torch.Tensor, loss: str
           ) -> np.ndarray:
    """Raw inputs (``like``'s example shape) that the decoder makes from ``codes`` ``(n, units)``
    put in place of ``scatter``'s code node: the nodes after it run alone (``decoder``)."""
    values = {scatter.node_id: torch.from_numpy(np.ascontiguousarray(codes, dtype=np.float32))
              .to(like.device).reshape(len(codes), *scatter.shape)}
    with evaluating(model):
        for node_id, attr, sources in decoder(model, scatter.node_id):
            values[node_id] = model._modules[attr](*[values[s] for s in sources])
    return _as_input(values[model.output_id], like[:1].expand(len(codes), *like.shape[1:]), loss)


def decoded_grid(model: GraphModel, scatter: CodeScatter, like: torch.Tensor, loss: str,
                 side: int = GRID_SIDE) -> DecodedGrid | None:
    """Images decoded from a ``side`` x ``side`` grid over the codes' central range; None unless
    the code has two units (a grid over principal components would decode codes the network
    never makes)."""
    if scatter.projected or scatter.units != 2:
        return None
    lo, hi = np.percentile(scatter.points, GRID_PERCENTILES, axis=0)
    xs = np.linspace(lo[0], hi[0], side, dtype=np.float32)
    ys = np.linspace(lo[1], hi[1], side, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    images = decode(model, scatter, np.stack([gx.ravel(), gy.ravel()], axis=1), like, loss)
    return DecodedGrid(xs, ys, images.reshape(side, side, *like.shape[1:]))


def reconstruction_picture(trainer: Trainer, code: str | None = None) -> ReconstructionPicture | None:
    """What the Reconstruction view draws, for a network that reconstructs its input (None for
    any other): the first ``SHOWN_EXAMPLES`` validation examples (the test split's when there
    is no validation split), the code of up to ``MAX_CODE_EXAMPLES`` of them (``code``: the
    node a person picked; default the narrowest, ``code_node``), and the decoded grid."""
    if not trainer.objective.reconstruct:
        return None
    data = trainer.dataset
    split = data.val if len(data.val) else data.test
    x = split.x[:MAX_CODE_EXAMPLES].to(trainer.device)
    classes = data.meta.target_kind == "classification"
    labels = split.y[:MAX_CODE_EXAMPLES].numpy().astype(np.int64) if classes else np.empty(0, np.int64)
    model, loss = trainer.model, trainer.loss_name
    samples = reconstruct_samples(model, x[:SHOWN_EXAMPLES], labels[:SHOWN_EXAMPLES], loss)
    scatter = code_scatter(model, x, labels, code)
    grid = decoded_grid(model, scatter, x, loss) if scatter is not None else None
    return ReconstructionPicture(samples, scatter, grid)
