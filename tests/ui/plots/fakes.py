"""Realistic made-up data for the live views: reports of a training run, probe results, grids.

Shared by the view tests and by ``shots.py`` (screenshots), so both look at the same data.
Every function is deterministic (seeded).
"""

from __future__ import annotations

import math

import numpy as np

from playground.core.probes import ActivationStats, Filters, Grid, Histogram, WeightStats
from playground.core.training import Report

#: A ten-layer sigmoid MLP on digits, the lecture's vanishing-gradient example.
DEEP_NODES = [f"dense{i}" for i in range(1, 10)] + ["out"]
DEEP_LABELS = {**{f"dense{i}": f"Dense {i}" for i in range(1, 10)}, "out": "Output"}


def grad_profile(nodes: list[str], decay: float, scale: float = 0.05) -> dict[str, float]:
    """Gradient norms that shrink by ``decay`` per layer going back from the output."""
    n = len(nodes)
    return {node: scale * decay ** (n - 1 - i) for i, node in enumerate(nodes)}


def histogram(rng: np.random.Generator, mean: float, std: float, lo: float | None = None,
              hi: float | None = None, n: int = 4096, bins: int = 16) -> Histogram:
    values = rng.normal(mean, std, n)
    if lo is not None or hi is not None:
        values = np.clip(values, lo, hi)
    counts, edges = np.histogram(values, bins=bins)
    return Histogram(counts.astype(np.int64), float(edges[0]), float(edges[-1]))


def activation(rng: np.random.Generator, kind: str) -> ActivationStats:
    """Stats of a sigmoid (saturated), ReLU (some dead units) or linear node."""
    if kind == "sigmoid":
        values = 1 / (1 + np.exp(-rng.normal(0, 3, 4096)))
        counts, edges = np.histogram(values, bins=16)
        return ActivationStats(float(values.mean()), float(values.std()), 0.62, None,
                               Histogram(counts.astype(np.int64), float(edges[0]), float(edges[-1])))
    if kind == "relu":
        values = np.maximum(rng.normal(0.1, 1, 4096), 0)
        counts, edges = np.histogram(values, bins=16)
        return ActivationStats(float(values.mean()), float(values.std()), None, 0.19,
                               Histogram(counts.astype(np.int64), float(edges[0]), float(edges[-1])))
    return ActivationStats(0.02, 1.3, None, None, histogram(rng, 0.02, 1.3))


def weights(rng: np.random.Generator, fan_in: int, drift: float = 0.0) -> WeightStats:
    """He-initialised weights whose spread has grown by the share ``drift`` in training."""
    std = math.sqrt(2 / fan_in) * (1 + drift)
    return WeightStats(0.0, std, 3 * std, histogram(rng, 0.0, std))


def report(step: int, *, steps_per_epoch: int = 50, total_epochs: int = 20, grad_norm: dict[str, float] | None = None,
           loss: float | None = None, acc: float | None = 0.5, val: tuple[float, float | None] | None = None,
           activations: dict[str, ActivationStats] | None = None, weights: dict[str, WeightStats] | None = None,
           epoch_end: bool = False) -> Report:
    """One report with defaults for everything a test does not care about."""
    epoch = max(1, math.ceil(step / steps_per_epoch))
    return Report(step=step, epoch=epoch, total_epochs=total_epochs, time=step * 0.01, lr=0.01,
                  train_loss=loss if loss is not None else 1.0 / (1 + step / 100), train_acc=acc,
                  val_loss=val[0] if val else None, val_acc=val[1] if val else None,
                  grad_norm=grad_norm or {}, activations=activations, weights=weights, epoch_end=epoch_end)


def training_run(steps: int = 1000, steps_per_epoch: int = 50, every: int = 5, *, decay: float = 0.3,
                 nodes: list[str] | None = None, final_loss: float = 0.08, seed: int = 0,
                 classify: bool = True) -> list[Report]:
    """Reports of a run: loss falling with noise, validation at epoch ends (overfitting a bit
    at the end), gradient norms with a per-layer ``decay`` profile, probes every 10th report
    (weights that move in proportion to each layer's gradient)."""
    rng = np.random.default_rng(seed)
    nodes = nodes or DEEP_NODES
    reports = []
    for step in range(every, steps + 1, every):
        t = step / steps
        loss = final_loss + (2.3 - final_loss) * math.exp(-5 * t) + abs(rng.normal(0, 0.03))
        acc = min(1.0, 0.1 + 0.9 * (1 - math.exp(-6 * t)) + rng.normal(0, 0.01)) if classify else None
        epoch_end = step % steps_per_epoch == 0
        val = None
        if epoch_end:
            val_loss = loss * 1.1 + 0.3 * max(0.0, t - 0.6) ** 2
            val = (val_loss, (acc - 0.03) if acc is not None else None)
        profile = grad_profile(nodes, decay)
        grads = {node: v * math.exp(rng.normal(0, 0.15)) * (1 - 0.5 * t) for node, v in profile.items()}
        probes = step % (every * 10) == 0
        acts = {n: activation(rng, "linear" if n == nodes[-1] else ("relu" if decay > 0.7 else "sigmoid"))
                for n in nodes} if probes else None
        # each layer's weights move in proportion to its gradient: a vanishing layer's barely move
        ws = {n: weights(rng, 64, 0.2 * t * profile[n] / profile[nodes[-1]]) for n in nodes} if probes else None
        reports.append(report(step, steps_per_epoch=steps_per_epoch, grad_norm=grads, loss=loss, acc=acc, val=val,
                              activations=acts, weights=ws, epoch_end=epoch_end))
    return reports


def gabor_filters(n: int = 16, size: int = 5, channels: int = 1, seed: int = 0) -> Filters:
    """Edge-like first-layer kernels, roughly what a trained LeNet's first conv shows."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[-1:1:size * 1j, -1:1:size * 1j]
    images = np.empty((n, channels, size, size), np.float32)
    for i in range(n):
        theta = math.pi * i / n
        wave = np.cos(3 * (xx * math.cos(theta) + yy * math.sin(theta)) + rng.uniform(0, math.pi))
        envelope = np.exp(-(xx ** 2 + yy ** 2) / 0.8)
        for c in range(channels):
            images[i, c] = 0.4 * wave * envelope * (1 + 0.3 * c) + rng.normal(0, 0.03, (size, size))
    return Filters("conv1", images)


def digit_images(n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """8x8 grey 'digits' (0..16 like sklearn's) drawn as rings and bars, with labels."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:8, 0:8]
    images = np.zeros((n, 1, 8, 8), np.float32)
    labels = np.arange(n) % 10
    for i, label in enumerate(labels):
        if label % 2 == 0:
            ring = np.abs(np.hypot(xx - 3.5, yy - 3.5) - 2.5) < 0.9
            images[i, 0] = 16 * ring
        else:
            images[i, 0, 1:7, 3 + label % 3 - 1] = 16
            images[i, 0, 1, 2:5] = 12
        images[i, 0] = np.clip(images[i, 0] + rng.normal(0, 1.5, (8, 8)), 0, 16)
    return images, labels


def moons(n: int = 200, noise: float = 0.12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles, the classic 2-D toy."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, math.pi, n)
    y = rng.integers(0, 2, n)
    x = np.where(y[:, None] == 0, np.stack([np.cos(t), np.sin(t)], 1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    return (x + rng.normal(0, noise, x.shape)).astype(np.float32), y.astype(np.int64)


def moons_grid(resolution: int = 64, classes: int = 2) -> Grid:
    """Class probabilities over the plane from a smooth made-up boundary."""
    xs = np.linspace(-1.5, 2.5, resolution, dtype=np.float32)
    ys = np.linspace(-1.0, 1.5, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    logits = [3 * (gy - 0.25 + 0.6 * np.sin(2 * gx - 1.2)), -3 * (gx - 0.5), 2 * (gx + gy - 1.2)][:classes]
    if classes == 2:
        p1 = 1 / (1 + np.exp(logits[0]))  # class 1 is the lower arc
        values = np.stack([1 - p1, p1], axis=-1)
    else:
        z = np.stack(logits, axis=-1)
        values = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    return Grid(xs, ys, values.astype(np.float32))


def unit_grids(nodes: tuple[str, ...] = ("h1", "h2"), units: int = 6, resolution: int = 24) -> dict[str, Grid]:
    """Hidden units' outputs over the plane: tanh of rotated half-planes and bumps."""
    xs = np.linspace(-1.5, 2.5, resolution, dtype=np.float32)
    ys = np.linspace(-1.0, 1.5, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    grids = {}
    for k, node in enumerate(nodes):
        values = np.empty((resolution, resolution, units), np.float32)
        for u in range(units):
            a = math.pi * (u + 0.5 * k) / units
            z = 2 * (np.cos(a) * (gx - 0.5) + np.sin(a) * (gy - 0.25))
            values[..., u] = np.tanh(z if k == 0 else z * np.sin(gx + u))
        grids[node] = Grid(xs, ys, values)
    return grids
