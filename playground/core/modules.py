"""The few torch modules PyTorch lacks that the catalogue needs.

Each class here imports nothing but torch and is self-contained, because the Python
exporter copies their source verbatim into the standalone file it writes: the generated
code and the app then run the very same definitions.
"""

from __future__ import annotations

from typing import ClassVar

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


class TokenEmbedding(nn.Module):
    """A learned vector per token. The data holds token ids as numbers (like every other
    feature), so the ids are rounded to integers here; an id outside the vocabulary, from a
    file a person was handed, is clamped to it rather than crashing a lookup."""

    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ids = x.round().long().clamp(0, self.embedding.num_embeddings - 1)
        return self.embedding(ids)


class Recurrent(nn.Module):
    """One recurrent layer (``kind`` RNN, LSTM or GRU) over a batch-first sequence (B, T, F):
    s_t = f(U x_t + W s_{t-1}) with PyTorch's fused kernels for training and export.

    ``return_sequences`` keeps every step's output (B, T, units), else only the last step's
    (B, units). ``bptt`` truncates backpropagation through time while training: the sequence is
    run in chunks of that many steps and the state passed between chunks is detached, so no
    gradient flows back further; the values are the same as without it.

    ``unroll`` recomputes the same layer one step at a time by hand from the same weights, so
    that the probes can see what the fused kernel hides: each step's hidden state (a node of
    the autograd graph: its ``.grad`` after ``retain_grad`` is the loss gradient reaching it
    through time) and an LSTM's or GRU's gate activations."""

    KINDS = ("RNN", "LSTM", "GRU")
    #: The gates ``unroll`` reports, in the order PyTorch stacks their weights.
    GATES: ClassVar[dict[str, tuple[str, ...]]] = {
        "RNN": (), "LSTM": ("input", "forget", "cell", "output"), "GRU": ("reset", "update", "new")}

    def __init__(self, kind: str, features: int, units: int, *, return_sequences: bool = True,
                 activation: str = "tanh", bptt: int | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.units = units
        self.return_sequences = return_sequences
        self.activation = activation
        self.bptt = bptt
        if kind == "RNN":
            self.layer: nn.Module = nn.RNN(features, units, nonlinearity=activation, batch_first=True)
        elif kind == "LSTM":
            self.layer = nn.LSTM(features, units, batch_first=True)
            # Forget gates start open, biased to sigmoid(3) = 0.95 rather than PyTorch's 0.5: the cell
            # state then carries information, and its gradient, over long spans from the start
            # (0.95^40 = 0.13 of it survives 40 steps). Keras's bias of 1 (0.73^40 = 3e-6) left the
            # memory task at 40 steps at chance, the network memorising its training sequences
            # instead, while 3 recalls it within a few epochs (as chrono initialisation argues,
            # Tallec & Ollivier 2018: the forget bias sets the span the cell remembers).
            with torch.no_grad():
                self.layer.bias_ih_l0[units:2 * units] = 3.0
                self.layer.bias_hh_l0[units:2 * units] = 0.0
        else:
            self.layer = nn.GRU(features, units, batch_first=True)

    def _last(self, sequence: torch.Tensor) -> torch.Tensor:
        return sequence if self.return_sequences else sequence[:, -1]

    def _truncates(self, steps: int) -> bool:
        return self.training and self.bptt is not None and steps > self.bptt

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self._truncates(x.shape[1]):
            return self._last(self.layer(x)[0])
        outputs = []
        state = None
        for chunk in x.split(self.bptt, dim=1):
            out, state = self.layer(chunk, state)
            outputs.append(out)
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        return self._last(torch.cat(outputs, dim=1))

    def unroll(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], dict[str, torch.Tensor]]:
        """(the same output as ``forward``, each step's hidden state h_t, each gate's activations
        as (B, T, units)), computed step by step; truncation applies as in ``forward``."""
        layer = self.layer
        w_ih, w_hh = layer.weight_ih_l0, layer.weight_hh_l0
        b_ih, b_hh = layer.bias_ih_l0, layer.bias_hh_l0
        batch, steps = x.shape[0], x.shape[1]
        h = x.new_zeros(batch, self.units)
        c = x.new_zeros(batch, self.units)
        inputs = x @ w_ih.t() + b_ih
        states: list[torch.Tensor] = []
        gates: dict[str, list[torch.Tensor]] = {name: [] for name in self.GATES[self.kind]}
        for t in range(steps):
            if t and self._truncates(steps) and t % self.bptt == 0:
                h, c = h.detach(), c.detach()
            recurrent = h @ w_hh.t() + b_hh
            if self.kind == "RNN":
                z = inputs[:, t] + recurrent
                h = torch.tanh(z) if self.activation == "tanh" else torch.relu(z)
            elif self.kind == "LSTM":
                i, f, g, o = (inputs[:, t] + recurrent).chunk(4, dim=1)
                i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
                c = f * c + i * g
                h = o * torch.tanh(c)
                for name, value in zip(self.GATES["LSTM"], (i, f, g, o)):
                    gates[name].append(value)
            else:
                x_r, x_z, x_n = inputs[:, t].chunk(3, dim=1)
                h_r, h_z, h_n = recurrent.chunk(3, dim=1)
                r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
                n = torch.tanh(x_n + r * h_n)
                h = (1 - z) * n + z * h
                for name, value in zip(self.GATES["GRU"], (r, z, n)):
                    gates[name].append(value)
            states.append(h)
        sequence = torch.stack(states, dim=1)
        return self._last(sequence), states, {name: torch.stack(v, dim=1) for name, v in gates.items()}
