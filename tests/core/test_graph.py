"""Every structural validation rule names the node at fault; edits notify subscribers."""

from __future__ import annotations

from typing import Any

import pytest

from playground.core.graph import Graph, GraphEvent, Node, attribute_names, structural_problems


def chain(*specs: tuple[str, str] | tuple[str, str, dict[str, Any]]) -> Graph:
    data = {"nodes": [{"id": s[0], "type": s[1], "params": s[2] if len(s) > 2 else {}} for s in specs],
            "edges": [[a[0], b[0]] for a, b in zip(specs, specs[1:])]}
    graph, problems = Graph.from_dict(data)
    assert problems == []
    return graph


def messages(graph: Graph) -> list[str]:
    return [p.message for p in structural_problems(graph)]


def test_valid_chain_has_no_problems() -> None:
    assert messages(chain(("in", "Input"), ("h1", "Dense"), ("out", "Output"))) == []


def test_needs_exactly_one_input_and_one_output() -> None:
    g = chain(("h1", "Dense"), ("out", "Output"))
    assert any("exactly one Input node but has 0" in m for m in messages(g))
    g = chain(("in", "Input"), ("h1", "Dense"))
    assert any("exactly one Output node but has 0" in m for m in messages(g))
    g = chain(("in", "Input"), ("h1", "Dense"), ("out", "Output"))
    g.add_node(Node("in2", "Input"))
    g.connect("in2", "h1")
    problems = structural_problems(g)
    assert any(p.node == "in2" and "exactly one Input node but has 2 ('in', 'in2')" in p.message
               for p in problems)


def test_cycle_is_named() -> None:
    g = chain(("in", "Input"), ("a", "Dense"), ("b", "Dense"), ("add", "Add", {}), ("out", "Output"))
    g.connect("add", "a")
    problems = [p for p in structural_problems(g) if "cycle" in p.message]
    assert problems
    assert problems[0].node in {"a", "b", "add"}
    assert "'a'" in problems[0].message
    assert "'add'" in problems[0].message


def test_dangling_and_unreachable_nodes_are_named() -> None:
    g = chain(("in", "Input"), ("h1", "Dense"), ("out", "Output"))
    g.add_node(Node("lonely", "Dense"))
    g.add_node(Node("tail", "Dense"))
    g.connect("h1", "tail")
    by_node = {p.node: p.message for p in structural_problems(g)}
    assert "not connected to the Input" in by_node["lonely"]
    assert "leads nowhere" in by_node["tail"]


def test_edges_to_missing_nodes_and_duplicate_ids_are_reported_when_reading() -> None:
    data = {"nodes": [{"id": "in", "type": "Input"}, {"id": "in", "type": "Dense"}, {"id": "out", "type": "Output"}],
            "edges": [["in", "out"], ["in", "ghost"], ["in", "out"]]}
    _, problems = Graph.from_dict(data)
    text = [p.message for p in problems]
    assert any("'in' is used twice" in m for m in text)
    assert any("does not exist: 'ghost'" in m for m in text)
    assert any("listed twice" in m for m in text)


@pytest.mark.parametrize(("node_type", "sources", "expected"), [
    ("Add", 1, "needs at least 2 inputs but has 1"),
    ("Concat", 1, "needs at least 2 inputs but has 1"),
    ("Dense", 2, "takes one input but has 2"),
    ("Dense", 0, "needs an input but has 0"),
])
def test_arity(node_type: str, sources: int, expected: str) -> None:
    g = chain(("in", "Input"), ("a", "Dense"), ("b", "Dense"))
    g.add_node(Node("x", node_type))
    g.add_node(Node("out", "Output"))
    for src in ["a", "b"][:sources]:
        g.connect(src, "x")
    g.connect("x", "out")
    assert any(p.node == "x" and expected in p.message for p in structural_problems(g))


def test_input_takes_no_inputs_and_nothing_follows_output() -> None:
    g = chain(("in", "Input"), ("h", "Dense"), ("out", "Output"))
    g.edges.append(("out", "h"))
    text = messages(g)
    assert any("Output 'out' is the end of the network" in m for m in text)


def test_node_ids_must_be_names() -> None:
    g = chain(("in", "Input"), ("my layer", "Dense"), ("out", "Output"))
    assert any("'my layer' is not a valid name" in m for m in messages(g))


def test_unknown_type_and_parameter_are_named() -> None:
    g = chain(("in", "Input"), ("h1", "Dense3d"), ("h2", "Dense", {"unit": 3}), ("out", "Output"))
    problems = structural_problems(g)
    assert any(p.node == "h1" and "unknown type 'Dense3d'" in p.message for p in problems)
    assert any(p.node == "h2" and p.field == "params.unit" and "unknown parameter 'unit'" in p.message
               for p in problems)


@pytest.mark.parametrize(("params", "field", "text"), [
    ({"units": -3}, "params.units", "units must be a whole number from 1 to 65536, got -3"),
    ({"units": 2.5}, "params.units", "got 2.5"),
    ({"dropout": 1.0}, "params.dropout", "dropout must be a number from 0 below 1, got 1.0"),
    ({"activation": "relu6"}, "params.activation", "activation must be one of"),
    ({"init": "glorot"}, "params.init", "init must be one of"),
    ({"batchnorm": "yes"}, "params.batchnorm", "must be true or false"),
])
def test_out_of_range_values_name_node_and_field(params: dict[str, Any], field: str, text: str) -> None:
    g = chain(("in", "Input"), ("h1", "Dense", params), ("out", "Output"))
    problems = structural_problems(g)
    assert any(p.node == "h1" and p.field == field and text in p.message and "Dense 'h1'" in p.message
               for p in problems), [p.message for p in problems]


def test_connection_problem_refuses_cycles_and_arity_while_dragging() -> None:
    g = chain(("in", "Input"), ("a", "Dense"), ("b", "Dense"), ("out", "Output"))
    assert "cycle" in (g.connection_problem("b", "a") or "")
    assert "already has its input" in (g.connection_problem("in", "b") or "")
    assert "takes no inputs" in (g.connection_problem("a", "in") or "")
    assert "end of the network" in (g.connection_problem("out", "a") or "")
    assert g.connection_problem("a", "a") == "a node cannot feed itself"
    g.add_node(Node("sum", "Add"))
    assert g.connection_problem("a", "sum") is None


def test_edits_notify_subscribers_and_undo_information_restores_graph() -> None:
    g = chain(("in", "Input"), ("a", "Dense"), ("out", "Output"))
    before = g.to_dict()
    events: list[GraphEvent] = []
    g.subscribe(events.append)
    removed = g.remove_node("a")
    assert [e.kind for e in events] == ["edge_removed", "edge_removed", "node_removed"]
    assert g.to_dict() != before
    g.restore_node(removed)
    assert g.to_dict() == before


def test_unique_id_and_attribute_names() -> None:
    g = chain(("in", "Input"), ("dense1", "Dense"), ("out", "Output"))
    assert g.unique_id("Dense") == "dense2"
    names = attribute_names(["in", "in_", "forward", "h1"])
    assert names == {"in": "in__", "in_": "in_", "forward": "forward_", "h1": "h1"}
    assert len(set(names.values())) == 4
