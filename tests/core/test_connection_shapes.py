"""A connection the shapes cannot take is refused before it is made, with the reason, and an
unfinished network can still be wired: ``connection_problem`` / ``edge_shape_problem``."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.datasets.base import DatasetMeta
from playground.core.graph import Graph, Node, structural_problems
from playground.core.params import Problem
from playground.core.shapes import connection_problem, edge_shape_problem, infer_shapes
from tests.core.test_fuzz_graphs import EXAMPLES, projects

DIGITS = DatasetMeta((1, 8, 8), "classification", 10)
TOY = DatasetMeta((2,), "classification", 2)


def wired(*nodes: tuple[str, str] | tuple[str, str, dict[str, Any]], edges: list[tuple[str, str]]) -> Graph:
    g = Graph()
    for spec in nodes:
        g.add_node(Node(spec[0], spec[1], dict(spec[2]) if len(spec) > 2 else {}))  # type: ignore[misc]
    for edge in edges:
        g.connect(*edge)
    return g


def test_dense_into_conv_is_refused_naming_the_node_and_the_reason() -> None:
    g = wired(("in", "Input"), ("d", "Dense", {"units": 16}), ("conv1", "Conv2d"), ("out", "Output"),
              edges=[("in", "d"), ("conv1", "out")])
    problem = connection_problem(g, DIGITS, "d", "conv1")
    assert problem is not None
    assert problem.startswith("Conv2d 'conv1' needs an image input (C, H, W) but gets 16 features")
    assert g.edges == [("in", "d"), ("conv1", "out")]  # asking changes nothing
    assert connection_problem(g, DIGITS, "in", "conv1") is None  # the image fits


def test_unfinished_networks_can_still_be_wired() -> None:
    g = wired(("in", "Input"), ("a", "Dense"), ("b", "Dense"), ("c", "Conv2d"), edges=[])
    assert edge_shape_problem(g, DIGITS, "in", "a") is None  # no Output yet: still allowed
    g.connect("in", "a")
    assert connection_problem(g, DIGITS, "a", "b") is None  # 'b' will lead nowhere: allowed
    assert connection_problem(g, None, "a", "c") is None  # no dataset, nothing to compare
    assert connection_problem(g, DIGITS, "b", "c") is None  # 'b' is not fed yet: shape unknown
    assert "needs an image input" in (connection_problem(g, DIGITS, "a", "c") or "")


def test_merges_refuse_a_mismatch_only_once_both_sides_are_known() -> None:
    g = wired(("in", "Input"), ("a", "Dense", {"units": 16}), ("b", "Dense", {"units": 32}),
              ("c", "Dense", {"units": 16}), ("sum", "Add"), ("cat", "Concat"),
              edges=[("in", "a"), ("in", "b"), ("in", "c")])
    assert connection_problem(g, TOY, "b", "sum") is None  # an Add with one input waits for the next
    g.connect("a", "sum")
    problem = connection_problem(g, TOY, "b", "sum")
    assert problem is not None
    assert problem.startswith("Add 'sum' needs inputs of equal shape")
    assert connection_problem(g, TOY, "c", "sum") is None
    g.connect("a", "cat")
    assert connection_problem(g, TOY, "b", "cat") is None  # Concat joins any feature widths


def test_a_problem_the_target_already_has_is_not_blamed_on_the_new_edge() -> None:
    g = wired(("in", "Input"), ("cat", "Concat"), ("f", "Flatten"), ("x", "Dense"),
              edges=[("in", "cat"), ("in", "f"), ("f", "cat"), ("in", "x")])
    report = infer_shapes(g, DIGITS)
    assert report.nodes["cat"].problems  # an image and features already clash there
    problem = edge_shape_problem(g, DIGITS, "x", "cat", report)
    assert problem is not None
    assert problem.startswith("Concat 'cat' joins features, or images")
    assert problem == edge_shape_problem(g, DIGITS, "x", "cat")  # the report passed in is the graph's
    # had the target already shown this very message, the edge would not be blamed for it
    report.nodes["cat"].problems.append(Problem(problem, "cat", "graph"))
    assert edge_shape_problem(g, DIGITS, "x", "cat", report) is None


def test_structural_reason_comes_first_and_an_oversized_layer_is_refused() -> None:
    g = wired(("in", "Input"), ("a", "Dense"), ("b", "Dense"), edges=[("in", "a"), ("a", "b")])
    assert "cycle" in (connection_problem(g, TOY, "b", "a") or "")
    big = DatasetMeta((3, 512, 512), "classification", 10)
    g2 = wired(("in", "Input"), ("wide", "Dense", {"units": 4096}), edges=[])
    problem = connection_problem(g2, big, "in", "wide")
    assert problem is not None
    assert "Dense 'wide'" in problem
    assert "parameters" in problem


@settings(max_examples=EXAMPLES)
@given(projects(), st.data())
def test_refusal_agrees_with_inference_on_the_graph_with_the_edge(case: tuple[dict[str, Any], DatasetMeta],
                                                                 data: st.DataObject) -> None:
    """The one-node check says exactly what full inference would newly report at the target."""
    raw, meta = case
    graph, _ = Graph.from_dict(raw)
    ids = list(graph.nodes)
    dst = data.draw(st.sampled_from(ids))
    if data.draw(st.booleans()):  # free the target's input, as a person does before rewiring it
        for edge in [e for e in graph.edges if e[1] == dst]:
            graph.disconnect(*edge)
    sources = [s for s in ids if graph.connection_problem(s, dst) is None]
    if not sources:
        return
    src = data.draw(st.sampled_from(sources))
    before = infer_shapes(graph, meta)
    answer = edge_shape_problem(graph, meta, src, dst, before)
    trial = graph.copy()
    trial.connect(src, dst)
    after = infer_shapes(trial, meta)
    structural = {p.message for p in structural_problems(trial)}
    had = {p.message for p in before.nodes[dst].problems}
    new = [p.message for p in after.nodes[dst].problems
           if p.message not in structural and p.message not in had and not p.message.startswith("the network has")]
    assert (answer is not None) == bool(new), (answer, new)
    if answer is not None:
        assert answer in new
        assert f"'{dst}'" in answer
