"""What a recurrent network does through time, made visible: the probes behind the sequence views.

The lecture's point about recurrent networks is a product through time: the gradient that
reaches step t is multiplied by one Jacobian per later step, so a plain RNN's gradient fades
(or explodes) beyond ~10 steps while an LSTM's gates keep a path open. PyTorch's fused kernels
hide the steps, so every probe here runs the recurrent layers unrolled by hand
(``Recurrent.unroll``: the same weights, the same values) and reads what the steps hold:

- ``time_gradients``: the norm of the loss gradient reaching each step's hidden state
  (``time_grad`` in ``metrics.jsonl``), computed without disturbing training in any way;
- ``gate_activations``: an LSTM's or GRU's gates over one sequence;
- ``sample_text`` and ``next_char_confidence``: what a model trained on ``text`` writes, and
  how sure it was of each character of a real line (the classic character-level demo).

The views ask for these through the picture functions at the end (``*_picture(trainer, ...)``),
which return plain data for the GUI thread; ``playground generate`` calls ``sample_text``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from playground.core.modules import Recurrent
from playground.core.params import UserError
from playground.core.probes import evaluating

if TYPE_CHECKING:
    from playground.core.training import Trainer

#: Characters ``sample_text`` reads at most as context when no ``seq_len`` is given: the
#: ``text`` dataset's default window.
DEFAULT_CONTEXT = 64


def recurrent_nodes(model: nn.Module) -> dict[str, Recurrent]:
    """Each node (a ``GraphModel``'s node id; another module's child name) whose module is or
    holds a ``Recurrent`` layer, in the network's order, with that layer."""
    units = model.node_modules() if hasattr(model, "node_modules") else model.named_children()
    found = {}
    for name, module in units:
        layer = next((m for m in module.modules() if isinstance(m, Recurrent)), None)
        if layer is not None:
            found[name] = layer
    return found


@dataclass
class _Unrolled:
    """One recurrent layer's steps from the last forward pass: h_t per step, and its gates."""

    states: list[torch.Tensor]
    gates: dict[str, torch.Tensor]


@contextlib.contextmanager
def _unrolling(layers: dict[str, Recurrent]) -> Iterator[dict[str, _Unrolled]]:
    """While inside, every forward pass of the model runs ``layers`` unrolled step by step (the
    same output, so the rest of the network is unchanged) and records their steps by node."""
    seen: dict[str, _Unrolled] = {}

    def hook(node_id: str) -> Callable[[nn.Module, tuple[torch.Tensor, ...], torch.Tensor], torch.Tensor]:
        def unrolled(layer: nn.Module, inputs: tuple[torch.Tensor, ...], _fused: torch.Tensor) -> torch.Tensor:
            assert isinstance(layer, Recurrent)
            output, states, gates = layer.unroll(inputs[0])
            seen[node_id] = _Unrolled(states, gates)
            return output

        return unrolled

    handles = [layer.register_forward_hook(hook(node_id)) for node_id, layer in layers.items()]
    try:
        yield seen
    finally:
        for handle in handles:
            handle.remove()


def _device(model: nn.Module) -> torch.device:
    return next((p.device for p in model.parameters()), torch.device("cpu"))


@contextlib.contextmanager
def _probing(model: nn.Module, layers: Sequence[Recurrent]) -> Iterator[None]:
    """Eval mode for the rest of the model (no dropout, batch norm's running statistics read and
    left alone) while the recurrent layers keep their mode (truncated BPTT applies as in
    training); the global random state untouched; every mode restored afterwards."""
    was_training = model.training
    modes = [layer.training for layer in layers]
    device = _device(model)
    accelerated = device.type != "cpu"
    model.eval()
    for layer, mode in zip(layers, modes):
        layer.train(mode)
    try:
        with torch.random.fork_rng(devices=[device.index or 0] if accelerated else [],
                                   device_type=device.type if accelerated else None):
            yield
    finally:
        model.train(was_training)
        for layer, mode in zip(layers, modes):
            layer.train(mode)


def time_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                   loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> dict[str, list[float]]:
    """For each recurrent node, the L2 norm (over the batch and the units) of the gradient of
    ``loss_fn(model(x), y)`` with respect to its hidden state h_t, for every step t: how much
    of the loss reaches step t by backpropagation through time. Empty without recurrent nodes.

    Training is left exactly as it was: the gradients are taken with ``torch.autograd.grad``
    with respect to the states only (no parameter's ``.grad`` is written, no parameter hook
    runs), the rest of the network is evaluated (see ``_probing``), and the global random state
    is forked. Non-finite norms (a diverging run) are returned as they are."""
    layers = recurrent_nodes(model)
    if not layers:
        return {}
    with _probing(model, list(layers.values())), torch.enable_grad(), _unrolling(layers) as seen:
        loss = loss_fn(model(x), y)
        nodes = [node_id for node_id in layers if node_id in seen]
        states = [h for node_id in nodes for h in seen[node_id].states]
        if not states or not loss.requires_grad:
            return {node_id: [0.0] * len(seen[node_id].states) for node_id in nodes}
        grads = torch.autograd.grad(loss, states, allow_unused=True)
    norms = torch.stack([torch.linalg.vector_norm(g) if g is not None else h.new_zeros(())
                         for g, h in zip(grads, states)]).tolist()
    result, at = {}, 0
    for node_id in nodes:
        steps = len(seen[node_id].states)
        result[node_id] = norms[at: at + steps]
        at += steps
    return result


def gate_activations(model: nn.Module, node_id: str, x: np.ndarray | torch.Tensor) -> dict[str, np.ndarray]:
    """The gates of recurrent node ``node_id`` over one raw example ``x`` (no batch axis): each
    gate's activations as ``(T, units)`` float32, LSTM input/forget/cell/output, GRU
    reset/update/new; empty for a plain RNN, which has none. Eval mode; modes restored."""
    layers = recurrent_nodes(model)
    if node_id not in layers:
        raise UserError(f"node '{node_id}' is not a recurrent layer (RNN, LSTM or GRU)")
    batch = _batch(model, x)
    with evaluating(model), _unrolling({node_id: layers[node_id]}) as seen:
        model(batch)
    return {name: _owned(value[0]) for name, value in seen[node_id].gates.items()}


# --------------------------------------------------------------------------- text


def _batch(model: nn.Module, x: np.ndarray | torch.Tensor | Sequence[int]) -> torch.Tensor:
    """One raw example as a batch of one float32 tensor on the model's device."""
    return torch.as_tensor(np.asarray(x, dtype=np.float32))[None].to(_device(model))


def _owned(t: torch.Tensor) -> np.ndarray:
    return t.detach().float().cpu().numpy().copy()


def _last_logits(output: torch.Tensor) -> torch.Tensor:
    """The prediction for the next token from a model's output for one sequence: the last
    position's when it predicts at every position (1, T, C), else its one prediction (1, C)."""
    return output[0, -1] if output.ndim == 3 else output[0]


def token_ids(vocab: Sequence[str], text: str) -> list[int]:
    """``text`` as ids of ``vocab``; ``UserError`` naming the first character outside it."""
    index = {token: i for i, token in enumerate(vocab)}
    for position, char in enumerate(text):
        if char not in index:
            raise UserError(f"the prompt's character {char!r} (position {position + 1}) is not in the text's "
                            f"alphabet of {len(vocab)} characters: the model has never seen it")
    return [index[char] for char in text]


def sample_text(model: nn.Module, vocab: Sequence[str], prompt: str, length: int, temperature: float,
                seed: int, *, seq_len: int = DEFAULT_CONTEXT) -> str:
    """Text written by a model trained on the ``text`` dataset: ``prompt`` followed by
    ``length`` characters, each drawn from the model's prediction for the next character given
    the last ``seq_len`` characters so far, its logits divided by ``temperature`` (low: the
    likeliest characters, repetitive; 1: as the model predicts; high: wilder).

    ``vocab`` is the dataset's alphabet (``DatasetMeta.vocab``, one character per token id) and
    ``seq_len`` the window it was trained on. An empty prompt starts from a newline when the
    alphabet has one, else from a character of the alphabet drawn at random; that character then
    begins the returned text. The same ``seed`` gives the same text (the draws use a generator of
    their own, never the global random state). ``UserError`` for a prompt character outside the
    alphabet, a temperature that is not above 0, a negative length or a ``seq_len`` below 1.
    """
    if not (math.isfinite(temperature) and temperature > 0):
        raise UserError(f"the temperature must be a number above 0, not {temperature}")
    if length < 0:
        raise UserError(f"the length must be 0 or more characters, not {length}")
    if seq_len < 1:
        raise UserError(f"the context (seq_len) must be at least 1 character, not {seq_len}")
    if not vocab:
        raise UserError("the model was not trained on text: its dataset has no alphabet")
    generator = torch.Generator().manual_seed(int(seed))
    ids = token_ids(vocab, prompt)
    if not ids:
        ids = [list(vocab).index("\n") if "\n" in vocab
               else int(torch.randint(len(vocab), (1,), generator=generator))]
    start = len(ids)
    with evaluating(model):
        for _ in range(length):
            logits = _last_logits(model(_batch(model, ids[-seq_len:]))).float().cpu()
            probabilities = torch.softmax(logits / temperature, dim=0)
            ids.append(int(torch.multinomial(probabilities, 1, generator=generator)))
    return (prompt or vocab[ids[0]]) + "".join(vocab[i] for i in ids[start:])


def next_char_confidence(model: nn.Module, ids: Sequence[int] | np.ndarray | torch.Tensor) -> np.ndarray:
    """Along a line of token ids, the probability the model gave each actual next token: entry
    t is P(ids[t + 1] | ids[0..t]), from one forward pass of ``ids[:-1]`` by a model that
    predicts at every position (``len(ids) - 1`` values, float32; empty for a shorter line)."""
    line = np.asarray(ids, dtype=np.int64).reshape(-1)
    if len(line) < 2:
        return np.empty(0, np.float32)
    with evaluating(model):
        output = model(_batch(model, line[:-1]))
        probabilities = torch.softmax(output[0].float(), dim=-1)
        nxt = torch.as_tensor(line[1:], device=probabilities.device)
        return _owned(probabilities.gather(1, nxt[:, None])[:, 0])


# --------------------------------------------------------------------------- pictures for the views


@dataclass(frozen=True)
class GatesPicture:
    """The gates of recurrent node ``node_id`` over validation sequence ``index``: each gate's
    activations ``(T, units)`` (empty for a plain RNN)."""

    node_id: str
    index: int
    gates: dict[str, np.ndarray]


def gates_picture(trainer: Trainer, node_id: str, index: int, sequence: np.ndarray) -> GatesPicture:
    """``gate_activations`` of the live model for the Gates view; ``sequence`` is the raw example
    the view shows as validation sequence ``index``."""
    return GatesPicture(node_id, index, gate_activations(trainer.model, node_id, sequence))


@dataclass(frozen=True)
class TextPicture:
    """What the Text view shows: ``sample`` (the prompt and what the model wrote after it, with
    the settings it was written with) and the confidence the model gave each next character of a
    validation line (``line``: token ids; ``confidence[t]`` is for ``line[t + 1]``)."""

    prompt: str
    temperature: float
    seed: int
    sample: str
    line: np.ndarray
    confidence: np.ndarray


def text_picture(trainer: Trainer, prompt: str, length: int, temperature: float, seed: int,
                 line: np.ndarray) -> TextPicture:
    """A sample of the live model and its confidence along ``line``, read with the run's window
    (the dataset's ``seq_len``)."""
    meta = trainer.dataset.meta
    sample = sample_text(trainer.model, meta.vocab, prompt, length, temperature, seed, seq_len=meta.input_shape[0])
    ids = np.asarray(line, dtype=np.int64).copy()
    return TextPicture(prompt, temperature, seed, sample, ids, next_char_confidence(trainer.model, ids))
