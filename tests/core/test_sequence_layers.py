"""Recurrent layers on the canvas: the shapes and parameter counts a student sees on each node, the
errors that say what to change, and models that agree with both."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.build import build_model
from playground.core.datasets.base import DatasetMeta
from playground.core.graph import Graph
from playground.core.layers import GROUPS, LAYER_TYPES, describe
from playground.core.shapes import connection_problem, infer_shapes, network_reconstructs
from tests.core.test_fuzz_graphs import BODY_TYPES, assert_built_as_inferred, check_problem_names_culprit, params_for

VOCAB = tuple("abcdefghij")
T = 20
#: Like ``text``: token ids in, the next token at every position out.
TEXT = DatasetMeta((T,), "classification", len(VOCAB), VOCAB, vocab=VOCAB, per_step_targets=True)
#: Like ``memory``: token ids in, one class per sequence.
MEMORY = DatasetMeta((T,), "classification", 8, tuple("ABCDEFGH"), vocab=tuple("ABCDEFGH"))
FEATURES = DatasetMeta((16,), "classification", 3)
IMAGES = DatasetMeta((1, 28, 28), "classification", 10)
#: Steps of numbers (a sine toy): (T, F) in, a value at every position out.
WAVE = DatasetMeta((T, 1), "regression", 1, per_step_targets=True)

Spec = tuple[str, str, dict[str, Any]]
IN: Spec = ("in", "Input", {})
EMB: Spec = ("emb", "Embedding", {"dim": 8})
OUT: Spec = ("out", "Output", {})


def graph(nodes: list[Spec], edges: list[tuple[str, str]]) -> Graph:
    g, problems = Graph.from_dict({"nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
                                   "edges": [list(e) for e in edges]})
    assert not problems
    return g


def chain(*nodes: Spec) -> Graph:
    return graph(list(nodes), [(a[0], b[0]) for a, b in zip(nodes, nodes[1:])])


def messages(graph: Graph, meta: DatasetMeta) -> list[str]:
    return [p.message for p in infer_shapes(graph, meta).problems]


def test_the_palette_shows_the_recurrent_layers_together() -> None:
    assert "Recurrent" in GROUPS
    assert [t.name for t in LAYER_TYPES.values() if t.group == "Recurrent"] == ["Embedding", "RNN", "LSTM", "GRU"]
    for name in ("Embedding", "RNN", "LSTM", "GRU"):
        assert len(LAYER_TYPES[name].help) > 100, "a student needs more than a name"
    assert "forget gate" in LAYER_TYPES["LSTM"].help
    assert LAYER_TYPES["LSTM"].defaults() == {"units": 64, "return_sequences": True, "bptt": None}
    assert LAYER_TYPES["RNN"].defaults()["activation"] == "tanh"
    assert LAYER_TYPES["RNN"].param("activation").choices == ("tanh", "relu")
    assert LAYER_TYPES["Embedding"].defaults() == {"dim": 32}


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_shapes_and_parameter_counts_are_the_torch_modules(kind: str, return_sequences: bool) -> None:
    meta = TEXT if return_sequences else MEMORY
    g = chain(IN, ("emb", "Embedding", {"dim": 12}),
              ("r", kind, {"units": 7, "return_sequences": return_sequences}), OUT)
    report = infer_shapes(g, meta)
    assert report.ok, report.problems
    assert report.nodes["emb"].shape == (T, 12)
    assert report.nodes["r"].shape == ((T, 7) if return_sequences else (7,))
    assert report.nodes["out"].shape == ((T, meta.target_size) if return_sequences else (meta.target_size,))
    model = build_model(g, meta, seed=0)
    for node_id, module in model.node_modules():
        assert report.nodes[node_id].parameters == sum(p.numel() for p in module.parameters()), node_id
    reference = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[kind](12, 7)
    assert report.nodes["r"].parameters == sum(p.numel() for p in reference.parameters())
    assert report.nodes["emb"].parameters == len(meta.vocab) * 12
    ids = torch.randint(0, len(meta.vocab), (3, T)).float()
    assert tuple(model(ids).shape) == (3, *report.nodes["out"].shape)


def test_dense_dropout_and_activation_act_on_every_step_and_flatten_joins_them() -> None:
    g = chain(IN, EMB, ("r", "GRU", {"units": 6}), ("d", "Dense", {"units": 5, "activation": "tanh"}),
              ("drop", "Dropout", {}), ("act", "Activation", {"function": "relu"}), ("noise", "Noise", {}), OUT)
    report = infer_shapes(g, TEXT)
    assert report.ok, report.problems
    assert [report.nodes[n].shape for n in ("d", "drop", "act", "noise", "out")] == [(T, 5)] * 4 + [(T, len(VOCAB))]
    assert report.nodes["d"].parameters == 6 * 5 + 5, "the same weights at every step"
    model = build_model(g, TEXT, seed=0).eval()
    x = torch.randint(0, 10, (2, T)).float()
    values = model.forward_all(x)
    step = 4
    alone = torch.tanh(model.d.linear(values["r"][:, step]))
    assert torch.allclose(values["d"][:, step], alone, atol=1e-6), "step 4's output depends on step 4 only"

    flat = infer_shapes(chain(IN, EMB, ("r", "GRU", {"units": 6}), ("f", "Flatten", {}), OUT), MEMORY)
    assert flat.ok
    assert flat.nodes["f"].shape == (T * 6,)


def test_shapes_are_worded_for_a_student() -> None:
    assert describe((20, 32)) == "a sequence of 20 steps × 32 features"
    assert describe((16,)) == "16 features"


@pytest.mark.parametrize(("meta", "nodes", "message"), [
    (FEATURES, [IN, ("lstm", "LSTM", {}), OUT],
     "LSTM 'lstm' needs a sequence input (T, F) but gets 16 features: use Reshape to read the features as a "
     "sequence, e.g. shape [16, 1]"),
    (IMAGES, [IN, ("rnn", "RNN", {}), OUT],
     "RNN 'rnn' needs a sequence input (T, F) but gets a 1×28×28 image: use Reshape to read it as a sequence, "
     "e.g. shape [28, 28]"),
    (MEMORY, [IN, EMB, ("a", "LSTM", {"return_sequences": False}), ("b", "GRU", {}), OUT],
     "GRU 'b' needs a sequence input (T, F) but gets 64 features: turn return_sequences on for 'a' so that it "
     "passes on every step"),
    (MEMORY, [IN, ("lstm", "LSTM", {}), OUT],
     "LSTM 'lstm' gets 20 token ids from 'in': token ids are names, not quantities: put an Embedding first"),
    (TEXT, [IN, ("d", "Dense", {}), OUT],
     "Dense 'd' gets 20 token ids from 'in': token ids are names, not quantities: put an Embedding first"),
    (TEXT, [IN, OUT],
     "Output 'out' gets 20 token ids from 'in': token ids are names, not quantities: put an Embedding first"),
    (FEATURES, [IN, EMB, OUT],
     "Embedding 'emb' looks up token ids, which only a token dataset (text, memory) gives, but gets 16 features: "
     "use Dense to learn from numbers"),
    (TEXT, [IN, EMB, ("emb2", "Embedding", {}), OUT],
     "Embedding 'emb2' looks up the token ids the Input gives but gets a sequence of 20 steps × 8 features from "
     "'emb': connect it straight to the Input"),
    (TEXT, [IN, EMB, ("lstm", "LSTM", {"return_sequences": False}), OUT],
     "Output 'out' predicts at every position (the dataset has a target for each step) but gets 64 features: "
     "turn return_sequences on for 'lstm'"),
    (MEMORY, [IN, EMB, ("lstm", "LSTM", {}), ("d", "Dense", {}), OUT],
     "Output 'out' gets a sequence of 20 steps × 16 features but the dataset has one target per sequence: turn "
     "return_sequences off for 'lstm' so that it passes on only its last step"),
    (MEMORY, [IN, EMB, OUT],
     "Output 'out' gets a sequence of 20 steps × 8 features but the dataset has one target per sequence: put "
     "Flatten before it, or a recurrent layer that passes on only its last step"),
    (TEXT, [IN, EMB, ("lstm", "LSTM", {}), ("bn", "BatchNorm", {}), OUT],
     "BatchNorm 'bn' does not work on a sequence of 20 steps × 64 features: batch norm would mix the statistics "
     "of different time steps; leave it out, or put it after a recurrent layer that passes on only its last step"),
    (TEXT, [IN, EMB, ("d", "Dense", {"batchnorm": True}), OUT],
     "Dense 'd' acts on every step of a sequence of 20 steps × 8 features, where batch norm would mix the steps' "
     "statistics: turn batch norm off"),
    (TEXT, [IN, EMB, ("c", "Conv2d", {}), OUT],
     "Conv2d 'c' needs an image input (C, H, W) but gets a sequence of 20 steps × 8 features: over time steps use "
     "a recurrent layer (RNN, LSTM, GRU), or Dense, which acts on every step"),
    (TEXT, [IN, EMB, ("m", "Maxout", {}), OUT],
     "Maxout 'm' does not work on a sequence of 20 steps × 8 features: put Flatten before it, or use Dense, which "
     "acts on every step"),
    (TEXT, [IN, EMB, ("out", "Output", {"target": "input"})],
     "Output 'out': the inputs of a token dataset are token ids, names rather than quantities, so there is "
     "nothing to reconstruct: use target 'label'"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None)
def test_each_misfit_says_what_to_change(meta: DatasetMeta, nodes: list[Spec], message: str) -> None:
    assert message in messages(chain(*nodes), meta)


def test_a_wrong_connection_is_refused_while_it_is_dragged() -> None:
    g = graph([IN, ("lstm", "LSTM", {}), OUT], [("lstm", "out")])
    assert connection_problem(g, TEXT, "in", "lstm") == (
        "LSTM 'lstm' gets 20 token ids from 'in': token ids are names, not quantities: put an Embedding first")
    g = graph([IN, EMB, ("lstm", "LSTM", {"return_sequences": False}), ("d", "Dense", {}), OUT],
              [("in", "emb"), ("emb", "lstm"), ("lstm", "d")])
    assert connection_problem(g, TEXT, "d", "out") == (
        "Output 'out' predicts at every position (the dataset has a target for each step) but gets 16 features: "
        "turn return_sequences on for 'lstm'")
    assert connection_problem(g, MEMORY, "d", "out") is None


def test_steps_of_numbers_feed_a_recurrent_layer_directly() -> None:
    g = chain(IN, ("rnn", "RNN", {"units": 5, "activation": "relu", "bptt": 4}), ("out", "Output", {"loss": "mse"}))
    report = infer_shapes(g, WAVE)
    assert report.ok, report.problems
    assert report.nodes["in"].shape == (T, 1)
    assert report.nodes["out"].shape == (T, 1)
    assert LAYER_TYPES["RNN"].summary(g.nodes["rnn"].resolved_params()) == "RNN 5 · relu · all steps · bptt 4"
    model = build_model(g, WAVE, torch.zeros(T, 1), torch.ones(T, 1), seed=0)
    assert tuple(model(torch.randn(4, T, 1)).shape) == (4, T, 1)


def test_token_ids_reach_the_embedding_unchanged() -> None:
    """The Input of token data does not normalise: id 7 must stay 7 whatever statistics are given."""
    g = chain(IN, EMB, ("lstm", "LSTM", {}), OUT)
    model = build_model(g, TEXT, torch.full((T,), 3.0), torch.full((T,), 2.0), seed=0)
    ids = torch.arange(T).float().remainder(10).unsqueeze(0)
    assert torch.equal(model.forward_all(ids)["in"], ids)


def test_a_reshape_of_flat_data_still_feeds_an_output_whole() -> None:
    """Only sequence datasets need the time axis settled before the Output: reshaping flat data
    into two axes and predicting from all of it (the reconstruction lessons' decoders) still works."""
    meta = DatasetMeta((12,), "regression", 1)
    report = infer_shapes(chain(IN, ("r", "Reshape", {"shape": [3, 4]}), ("out", "Output", {"loss": "mse"})), meta)
    assert report.ok
    assert report.nodes["out"].shape == (1,)



#: Mostly the layers that take sequences, and every other one now and then.
SEQUENCE_BODY = ["Embedding", "RNN", "LSTM", "GRU", "Dense", "Dropout", "Noise", "Activation", "Flatten",
                 *BODY_TYPES]


@st.composite
def sequence_chains(draw: st.DrawFn) -> tuple[Graph, DatasetMeta]:
    """Chains on token and step data with a target per position or per sequence, some wrong."""
    steps = draw(st.integers(1, 6))
    vocab = tuple("abcde"[: draw(st.integers(2, 5))])
    meta = draw(st.sampled_from([
        DatasetMeta((steps,), "classification", len(vocab), vocab, vocab=vocab, per_step_targets=True),
        DatasetMeta((steps,), "classification", len(vocab), vocab, vocab=vocab),
        DatasetMeta((steps, 2), "regression", 1, per_step_targets=True),
    ]))
    body = [draw(st.sampled_from(SEQUENCE_BODY)) for _ in range(draw(st.integers(0, 4)))]
    types = ["Input", *(["Embedding"] if meta.is_tokens and draw(st.booleans()) else []), *body, "Output"]
    nodes = [(f"n{i}", t, draw(params_for(t, draw(st.sampled_from([0.0, 0.05]))))) for i, t in enumerate(types)]
    if meta.target_kind == "regression":
        nodes[-1][2]["loss"] = "mse"
    return chain(*nodes), meta


@settings(max_examples=300)
@given(sequence_chains())
def test_random_sequence_networks_are_built_as_inferred_or_refused_by_name(case: tuple[Graph, DatasetMeta]) -> None:
    g, meta = case
    report = infer_shapes(g, meta)
    for problem in report.problems:
        check_problem_names_culprit(problem)
    if report.problems:
        return
    x = torch.randint(0, len(meta.vocab), (2, *meta.input_shape)).float() if meta.is_tokens else torch.randn(
        2, *meta.input_shape)
    assert_built_as_inferred(g, meta, report, x)
    last = report.nodes[report.order[-1]].shape
    if network_reconstructs(g):
        assert last == meta.raw_shape
    else:
        assert last == ((meta.input_shape[0], report.output_units) if meta.per_step_targets
                        else (report.output_units,))
