"""The recurrent layer: its step-by-step unrolling is the fused layer, and truncation cuts
gradients exactly where it says, so the probes built on them show what training does."""

from __future__ import annotations

import pytest
import torch

from playground.core.modules import Recurrent, TokenEmbedding


@pytest.mark.parametrize("kind", Recurrent.KINDS)
@pytest.mark.parametrize("return_sequences", [True, False])
def test_unrolling_by_hand_gives_the_fused_layers_output(kind: str, return_sequences: bool) -> None:
    torch.manual_seed(0)
    layer = Recurrent(kind, 5, 7, return_sequences=return_sequences)
    x = torch.randn(3, 11, 5)
    out, states, gates = layer.unroll(x)
    assert torch.allclose(out, layer(x), atol=1e-5)
    assert len(states) == 11
    assert states[-1].shape == (3, 7)
    assert set(gates) == set(Recurrent.GATES[kind])
    for value in gates.values():
        assert value.shape == (3, 11, 7)


def test_relu_rnn_unrolls_too() -> None:
    torch.manual_seed(1)
    layer = Recurrent("RNN", 2, 4, activation="relu")
    x = torch.randn(2, 6, 2)
    assert torch.allclose(layer.unroll(x)[0], layer(x), atol=1e-5)


@pytest.mark.parametrize("kind", Recurrent.KINDS)
def test_truncation_keeps_the_values_and_stops_gradients_beyond_its_length(kind: str) -> None:
    torch.manual_seed(2)
    full = Recurrent(kind, 3, 4, return_sequences=False)
    cut = Recurrent(kind, 3, 4, return_sequences=False, bptt=4)
    cut.load_state_dict(full.state_dict())
    x = torch.randn(2, 12, 3, requires_grad=True)
    assert torch.allclose(full(x), cut(x), atol=1e-6)
    cut(x).sum().backward()
    grad = x.grad.abs().sum(dim=(0, 2))
    assert torch.all(grad[:8] == 0)
    assert torch.all(grad[8:] > 0)
    x.grad = None
    _, states, _ = cut.unroll(x)
    for h in states:
        h.retain_grad()
    states[-1].sum().backward()
    assert states[7].grad is None or float(states[7].grad.abs().sum()) == 0
    assert float(states[8].grad.abs().sum()) > 0
    cut.eval()
    assert torch.allclose(full(x), cut(x), atol=1e-6)


def test_embedding_reads_ids_held_as_numbers_and_clamps_foreign_ids() -> None:
    embed = TokenEmbedding(5, 3)
    ids = torch.tensor([[0.0, 4.0, 2.0, 99.0, -3.0]])
    out = embed(ids)
    table = embed.embedding.weight
    assert torch.equal(out[0, 1], table[4])
    assert torch.equal(out[0, 3], table[4])
    assert torch.equal(out[0, 4], table[0])


def test_lstm_forget_gates_start_open() -> None:
    torch.manual_seed(3)
    layer = Recurrent("LSTM", 4, 6)
    with torch.no_grad():
        _, _, gates = layer.unroll(torch.zeros(1, 3, 4))
    assert float(gates["forget"][0, 0].mean()) > 0.7
    assert abs(float(gates["input"][0, 0].mean()) - 0.5) < 0.1
