"""Looking inside a network: gradient norms, activation and weight statistics, filters, grids.

The trainer uses ``GradNorms`` every step and ``activation_stats`` and ``weight_stats`` at
its report cadence; the views call ``first_layer_filters``, ``decision_grid`` and ``unit_grids`` through
``TrainControl.call_between_steps``, so they run on the training thread between two steps.
Every function returns plain floats and owned numpy arrays, never tensors, and moves its
results to the host in one transfer (one synchronisation on a GPU).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.core.build import GraphModel, node_weights, weight_module
from playground.core.layers import ACTIVATIONS, LAYER_TYPES

#: Bins of the activation and weight histograms: enough to see a shape, few enough to draw fast.
HISTOGRAM_BINS = 16
#: A saturating unit counts as saturated where its derivative is below this share of its peak.
SATURATION_SHARE = 0.1
#: Histograms and saturated shares look at most this many values, spread evenly over the
#: tensor: plenty for 16 bins, and it keeps a report cheap whatever the layer's size.
SAMPLE_VALUES = 4096


@contextmanager
def evaluating(model: nn.Module) -> Iterator[None]:
    """Eval mode and no autograd for a measurement, restoring the training mode afterwards.

    Grad mode is thread-local, so every probe sets it itself rather than trusting the caller.
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


class _Gather:
    """Queues scalar and histogram tensors and moves them to the host in a single transfer,
    with as few device operations as possible (probes run at 30 reports a second)."""

    def __init__(self, bins: int) -> None:
        self.bins = bins
        self._scalars: list[torch.Tensor] = []
        self._hists: list[torch.Tensor] = []

    def scalars(self, *values: torch.Tensor) -> int:
        """Queue 0-d tensors; returns the index of the first one."""
        self._scalars.extend(values)
        return len(self._scalars) - len(values)

    def moments(self, t: torch.Tensor) -> int:
        """Queue what mean and standard deviation need (a sum and a norm: two fast reductions);
        ``mean_std`` reads them back."""
        flat = t.detach().reshape(-1)
        return self.scalars(flat.sum() / flat.numel(), torch.linalg.vector_norm(flat) / math.sqrt(flat.numel()))

    def histogram(self, sample: torch.Tensor) -> tuple[int, int]:
        """Queue a histogram over the sample's own range; returns (index of the range, of the counts).

        Non-finite values are clamped first so a diverging layer still gets a (wide) histogram
        instead of an error from ``histc``."""
        finite = torch.nan_to_num(sample)
        self._hists.append(torch.histc(finite, self.bins))
        return self.scalars(*torch.aminmax(finite)), len(self._hists) - 1

    def fetch(self) -> tuple[list[float], np.ndarray]:
        n = len(self._scalars)
        if not n:
            return [], np.empty((0, self.bins))
        values = torch.cat((torch.stack(self._scalars).float(), *self._hists)).cpu().numpy()
        return values[:n].tolist(), values[n:].reshape(-1, self.bins)

    @staticmethod
    def mean_std(scalars: list[float], at: int) -> tuple[float, float]:
        mean, rms = scalars[at], scalars[at + 1]
        return mean, math.sqrt(max(rms * rms - mean * mean, 0.0))

    @staticmethod
    def make_histogram(scalars: list[float], hists: np.ndarray, where: tuple[int, int]) -> Histogram:
        lo, hi = scalars[where[0]], scalars[where[0] + 1]
        if lo == hi:  # histc widens an empty range the same way
            lo, hi = lo - 1.0, hi + 1.0
        return Histogram(hists[where[1]].astype(np.int64), lo, hi)


@dataclass(frozen=True)
class Histogram:
    """Counts of values in ``len(counts)`` equal bins from ``lo`` to ``hi``."""

    counts: np.ndarray
    lo: float
    hi: float

    @property
    def edges(self) -> np.ndarray:
        return np.linspace(self.lo, self.hi, len(self.counts) + 1)


@dataclass(frozen=True)
class ActivationStats:
    """One node's output on the probe batch.

    ``saturated``: share of values where a sigmoid or tanh has less than a tenth of its peak
    slope (None for other nodes). ``dead``: share of units (features or channels) that are
    never positive on the probe batch, for ReLU-family nodes (None otherwise).
    """

    mean: float
    std: float
    saturated: float | None
    dead: float | None
    histogram: Histogram


@dataclass(frozen=True)
class WeightStats:
    """One node's weight matrix or kernel (biases left out); the histogram is of an even sample
    of at most ``SAMPLE_VALUES`` weights."""

    mean: float
    std: float
    max_abs: float
    histogram: Histogram


# --------------------------------------------------------------------------- gradients

class GradNorms:
    """Per-node gradient L2 norms, measured every step without a per-step host synchronisation.

    Every step the trainer calls ``capture()`` and keeps what it returns. At report time
    ``latest(captured)`` gives the newest step's parameter norms, and after a divergence
    ``rows(captured)`` gives every captured step's, to find where it blew up; ``per_node`` folds
    them on the host (a node's norm is the root of the sum of its parameters' squared norms).
    With ``defer`` a capture is just the step's gradient tensors (the next backward pass
    replaces rather than overwrites them when gradients are set to None) and norms are taken
    only when asked for: the cheapest for small models, whose steps are short. Without it a
    capture is one fused ``torch._foreach_norm`` over all gradients: no memory held, and the
    norms are taken before gradient clipping changes the gradients in place.
    """

    def __init__(self, node_params: Mapping[str, Sequence[torch.Tensor]], defer: bool = False) -> None:
        self.node_ids = list(node_params)
        self.params = [p for params in node_params.values() for p in params]
        self.defer = defer
        ends = np.cumsum([len(params) for params in node_params.values()]).tolist()
        self._ranges = list(zip([0, *ends[:-1]], ends))
        device = self.params[0].device if self.params else torch.device("cpu")
        self._zero = torch.zeros((), device=device)

    def _grads(self) -> list[torch.Tensor]:
        grads = [p.grad for p in self.params]
        if any(g is None for g in grads):
            return [torch.zeros_like(p) if g is None else g for p, g in zip(self.params, grads)]
        return grads

    def capture(self) -> list[torch.Tensor]:
        """What to keep of this step's gradients: the tensors themselves, or their norms."""
        return self._grads() if self.defer else torch._foreach_norm(self._grads())

    def latest(self, captured: Sequence[Sequence[torch.Tensor]]) -> list[torch.Tensor]:
        """Gradient norms of the newest captured step, one 0-d device tensor per parameter."""
        return list(torch._foreach_norm(captured[-1]) if self.defer else captured[-1])

    def rows(self, captured: Sequence[Sequence[torch.Tensor]]) -> torch.Tensor:
        """``(steps, params)`` gradient norms of every captured step (on the device)."""
        if self.defer:
            return torch.stack([torch.stack(torch._foreach_norm(row)) for row in captured])
        return torch.stack([n for row in captured for n in row]).view(len(captured), -1)

    def per_node(self, norms: Sequence[float]) -> list[float]:
        """One step's parameter norms -> node norms (an infinite norm stays infinite and so
        still names its node). Plain Python: a handful of numbers, read at report time."""
        return [math.sqrt(sum(v * v for v in norms[a:b])) for a, b in self._ranges]

    def compute(self) -> dict[str, float]:
        """The current gradients' norms by node id (a convenience for views and tests)."""
        if not self.params:
            return {}
        norms = torch.stack(torch._foreach_norm(self._grads())).tolist()
        return dict(zip(self.node_ids, self.per_node(norms)))


# --------------------------------------------------------------------------- activations, weights

#: Where the slope falls below SATURATION_SHARE of its peak: tanh' = 1 - t², so |t| > √(1 - s);
#: sigmoid' = σ(1 - σ) with peak 1/4, so |σ - 1/2| > √(1 - s) / 2.
_TANH_EDGE = math.sqrt(1 - SATURATION_SHARE)


def _sample(t: torch.Tensor) -> torch.Tensor:
    """At most SAMPLE_VALUES values spread evenly over ``t`` (a view, no copy)."""
    flat = t.detach().reshape(-1)
    return flat[:: -(-flat.numel() // SAMPLE_VALUES)]


def _saturated(t: torch.Tensor, activation: str) -> torch.Tensor:
    """Count of saturated values (divided by the count on the host)."""
    if activation == "sigmoid":
        return ((t - 0.5).abs() > _TANH_EDGE / 2).sum(dtype=torch.float32)
    return (t.abs() > _TANH_EDGE).sum(dtype=torch.float32)


def unit_axis(t: torch.Tensor) -> int:
    """The axis of a node output's units: features (B, F) and image channels (B, C, H, W) come
    first after the batch, a sequence's features (B, T, F) last, after the time steps."""
    return 2 if t.ndim == 3 else 1


def _dead(t: torch.Tensor) -> torch.Tensor:
    """Count of units (``unit_axis``) never positive over the rest (divided by the unit count on the host)."""
    axis = unit_axis(t)
    dims = [d for d in range(t.ndim) if d != axis]
    return (t.amax(dim=dims) <= 0).sum(dtype=torch.float32)


def activation_stats(model: GraphModel, batch: torch.Tensor, activations: Mapping[str, str],
                     bins: int = HISTOGRAM_BINS) -> dict[str, ActivationStats]:
    """Statistics of every node's output (the Input left out) on ``batch``, in eval mode.

    ``activations`` is ``node_activations(graph)``: it decides which nodes get a saturated
    share (sigmoid, tanh) and which a dead share (the ReLU family). Mean, spread and dead units
    use every value; the histogram and the saturated share use an even sample of at most
    ``SAMPLE_VALUES`` values.
    """
    gather = _Gather(bins)
    queued = []
    with evaluating(model):
        for node_id, t in model.forward_all(batch).items():
            if node_id == model.input_id:
                continue
            family = ACTIVATIONS[activations[node_id]].family if node_id in activations else None
            sample = _sample(t)
            share = None
            if family == "saturating":
                share = gather.scalars(_saturated(sample, activations[node_id])), sample.numel()
            elif family == "relu":
                share = gather.scalars(_dead(t)), t.shape[unit_axis(t)]
            queued.append((node_id, family, share, gather.moments(t), gather.histogram(sample)))
    scalars, hists = gather.fetch()
    stats = {}
    for node_id, family, share, moments, histogram in queued:
        fraction = scalars[share[0]] / share[1] if share else None
        stats[node_id] = ActivationStats(
            *_Gather.mean_std(scalars, moments), fraction if family == "saturating" else None,
            fraction if family == "relu" else None, _Gather.make_histogram(scalars, hists, histogram))
    return stats


def weight_stats(model: GraphModel, bins: int = HISTOGRAM_BINS) -> dict[str, WeightStats]:
    """Mean, spread, largest magnitude and histogram of each weighted node's weights."""
    gather = _Gather(bins)
    queued = []
    with torch.no_grad():
        for node_id, module in model.node_modules():
            weights = node_weights(module)
            if weights:
                w = weights[0] if len(weights) == 1 else torch.cat([p.reshape(-1) for p in weights])
                queued.append((node_id, gather.moments(w), gather.scalars(torch.linalg.vector_norm(w, math.inf)),
                               gather.histogram(_sample(w))))
    scalars, hists = gather.fetch()
    stats = {}
    for node_id, moments, max_abs, histogram in queued:
        stats[node_id] = WeightStats(*_Gather.mean_std(scalars, moments), scalars[max_abs],
                                     _Gather.make_histogram(scalars, hists, histogram))
    return stats


# --------------------------------------------------------------------------- views

@dataclass(frozen=True)
class Filters:
    """First-layer weights as images ``(n, C, H, W)``: the only layer directly in pixel space."""

    node_id: str
    images: np.ndarray


def first_layer_filters(model: GraphModel, input_shape: tuple[int, ...]) -> Filters | None:
    """The kernels of the first Conv2d fed by the Input, or the first Dense layer's weights
    reshaped to the input image (each unit's template); None when the input is not an image
    or no weighted layer reads it (directly, or through layers that pass it on unchanged at
    test time, such as the lecture's input dropout)."""
    if len(input_shape) != 3:
        return None
    the_input = {model.input_id}  # nodes whose output is the image as the network evaluates it
    for node_id, attr, sources in model.plan:
        if len(sources) != 1 or sources[0] not in the_input:
            continue
        if LAYER_TYPES[model.node_types[node_id]].transparent_at_test:
            the_input.add(node_id)
            continue
        target = weight_module(model.get_submodule(attr))
        if target is None:
            continue
        w = target.weight.detach()
        if isinstance(target, nn.Linear):
            w = w.reshape(w.shape[0], *input_shape)
        return Filters(node_id, w.float().cpu().numpy().copy())
    return None


def predict(model: GraphModel, x: torch.Tensor, loss: str) -> torch.Tensor:
    """What the network says for raw inputs ``x``: class probabilities for ``cross_entropy``
    (softmax) and ``bce`` (two columns, P(class 0) and P(class 1)), raw outputs for regression."""
    with evaluating(model):
        return read_output(model(x), loss)


def read_output(out: torch.Tensor, loss: str) -> torch.Tensor:
    """The Output node's raw values read as ``predict`` describes, on the last axis: per example
    (B, C), or at every position of a sequence (B, T, C)."""
    if loss == "cross_entropy":
        return out.softmax(dim=-1)
    if loss == "bce":
        p = torch.sigmoid(out[..., :1])
        return torch.cat((1 - p, p), dim=-1)
    return out


@dataclass(frozen=True)
class Grid:
    """Values over a square grid of 2-D inputs: ``values[i, j]`` is at ``(xs[j], ys[i])``; the
    last axis is the class (probabilities), the regression target, or the unit."""

    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class PlanePictures:
    """The network over the input plane: its output (the decision boundary) and each hidden
    node's units (the small pictures TensorFlow Playground draws on its neurons)."""

    boundary: Grid
    units: dict[str, Grid]


class PlaneGrid:
    """A grid over the plane the training points cover (plus a margin), made once per run and
    kept on the model's device, so a picture is one batched forward and one transfer: the
    live views ask for one 30 times a second, taken from the training thread's time.

    The boundary uses every point of the ``resolution``-square grid; the unit maps every
    ``unit_stride``-th (they are drawn as small tiles), from the same forward pass. Nodes with
    image-shaped outputs and the Output are left out of the unit maps."""

    def __init__(self, points: torch.Tensor, device: torch.device, resolution: int = 64,
                 margin: float = 0.1, unit_stride: int = 2) -> None:
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"grids need 2-D inputs, got points of shape {tuple(points.shape)}")
        lo, hi = points.amin(dim=0).tolist(), points.amax(dim=0).tolist()
        axes = []
        for a, b in zip(lo, hi):
            pad = (b - a) * margin or 1.0
            axes.append(np.linspace(a - pad, b + pad, resolution, dtype=np.float32))
        self.xs, self.ys = axes
        self.resolution = resolution
        self.unit_stride = unit_stride
        gx, gy = np.meshgrid(self.xs, self.ys)
        self.points = torch.from_numpy(np.stack((gx.ravel(), gy.ravel()), axis=1)).to(device)

    def pictures(self, model: GraphModel, loss: str) -> PlanePictures:
        with evaluating(model):
            outputs = model.forward_all(self.points)
        hidden = [(node_id, t) for node_id, t in outputs.items()
                  if node_id not in (model.input_id, model.output_id) and t.ndim == 2]
        parts = [read_output(outputs[model.output_id], loss), *(t for _, t in hidden)]
        values = torch.cat([p.float() for p in parts], dim=1).cpu().numpy()
        n = self.resolution
        values = values.reshape(n, n, -1)
        width = parts[0].shape[1]
        boundary = Grid(self.xs, self.ys, values[..., :width].copy())
        s = self.unit_stride
        units, at = {}, width
        for node_id, t in hidden:
            units[node_id] = Grid(self.xs[::s], self.ys[::s], values[::s, ::s, at:at + t.shape[1]].copy())
            at += t.shape[1]
        return PlanePictures(boundary, units)
