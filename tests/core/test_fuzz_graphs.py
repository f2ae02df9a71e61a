"""Random graphs and parameter values, valid and invalid: each is either built, with a forward
pass whose every node output matches the inferred shape and parameter count, or rejected
with problems that name a node or a field. Nothing else may happen (no other exception)."""

from __future__ import annotations

import math
import os
from typing import Any

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.build import build_model
from playground.core.datasets.base import DatasetMeta
from playground.core.graph import Graph
from playground.core.layers import LAYER_TYPES, Param
from playground.core.shapes import ShapeReport, infer_shapes

EXAMPLES = 2000 if os.environ.get("CI") else 300

#: Small caps for valid values keep every built model tiny, so thousands of examples stay fast.
SMALL = {"units": 12, "filters": 4, "kernel": 4, "stride": 3}
BODY_TYPES = [t for t in LAYER_TYPES if t not in ("Input", "Output")]


def invalid_values(param: Param) -> st.SearchStrategy[Any]:
    bad: list[st.SearchStrategy[Any]] = [st.just("x"), st.just([1]), st.just({"a": 1})]
    if not param.nullable:
        bad.append(st.none())
    if param.kind in ("int", "float"):
        bad += [st.just(float("nan")), st.just(True)]
        if param.minimum is not None:
            bad.append(st.just(param.minimum - 1))
        if param.maximum is not None:
            bad += [st.just(param.maximum + 1), st.just(10**12)]
        if param.kind == "int":
            bad.append(st.just(2.5))
    elif param.kind in ("choice", "bool"):
        bad += [st.just("no_such_choice"), st.just(3)]
    return st.one_of(bad)


def valid_values(param: Param) -> st.SearchStrategy[Any]:
    if param.kind == "bool":
        return st.booleans()
    if param.kind == "choice":
        return st.sampled_from(param.choices)
    if param.kind == "int":
        lo = int(param.minimum or 0)
        hi = min(int(param.maximum or lo + 8), lo + SMALL.get(param.name, 8))
        ints = st.integers(lo, hi)
        return st.one_of(st.none(), ints) if param.nullable else ints
    lo = float(param.minimum or 0.0)
    hi = min(float(param.maximum or 1.0), lo + 1.0)
    return st.floats(lo, hi, exclude_min=param.min_exclusive, exclude_max=True, allow_nan=False)


@st.composite
def params_for(draw: st.DrawFn, type_name: str, invalid_rate: float) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for param in LAYER_TYPES[type_name].params:
        choice = draw(st.floats(0, 1))
        if choice < 0.4:
            continue
        bad = choice > 1 - invalid_rate
        params[param.name] = draw(invalid_values(param) if bad else valid_values(param))
    if draw(st.floats(0, 1)) < invalid_rate / 10:
        params["no_such_param"] = 1
    return params


@st.composite
def projects(draw: st.DrawFn) -> tuple[dict[str, Any], DatasetMeta]:
    image = draw(st.booleans())
    classification = draw(st.booleans())
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 10)), draw(st.integers(1, 10))) if image else (
        draw(st.integers(1, 12)),)
    meta = DatasetMeta(shape, "classification" if classification else "regression",
                       draw(st.integers(2, 5)) if classification else draw(st.integers(1, 3)))
    invalid_rate = draw(st.sampled_from([0.0, 0.0, 0.05, 0.3]))
    count = draw(st.integers(0, 7))
    ids = ["in"] + [f"n{i}" for i in range(count)] + ["out"]
    types = ["Input"] + [draw(st.sampled_from(BODY_TYPES)) for _ in range(count)] + ["Output"]
    nodes = [{"id": i, "type": t, "params": draw(params_for(t, invalid_rate))} for i, t in zip(ids, types)]
    if draw(st.floats(0, 1)) > invalid_rate:
        nodes[-1]["params"]["loss"] = draw(st.sampled_from(["cross_entropy", "bce"] if classification
                                                            else ["mse", "l1"]))
    edges: list[list[str]] = []
    for k in range(1, len(ids)):
        extra = []
        if types[k] in ("Add", "Concat") and k > 1:
            extra = draw(st.lists(st.integers(0, k - 2), min_size=1, max_size=2, unique=True))
        edges += [[ids[s], ids[k]] for s in [k - 1, *extra]]
    structural = draw(st.floats(0, 1))
    if structural < invalid_rate:
        mutation = draw(st.sampled_from(["extra_edge", "drop_edge", "unknown_type", "bad_id", "dup_id",
                                         "missing_node"]))
        if mutation == "extra_edge":
            edges.append([draw(st.sampled_from(ids)), draw(st.sampled_from(ids))])
        elif mutation == "drop_edge" and edges:
            edges.pop(draw(st.integers(0, len(edges) - 1)))
        elif mutation == "unknown_type":
            nodes[draw(st.integers(0, len(nodes) - 1))]["type"] = "Dense3d"
        elif mutation == "bad_id":
            nodes[-1]["id"] = "9 out"
        elif mutation == "dup_id" and count:
            nodes[1]["id"] = "in"
        elif mutation == "missing_node":
            edges.append(["ghost", ids[-1]])
    return {"nodes": nodes, "edges": edges}, meta


def check_problem_names_culprit(problem: Any) -> None:
    assert problem.message
    assert problem.node or problem.field, problem
    if problem.node:
        assert f"'{problem.node}'" in problem.message, problem


@settings(max_examples=EXAMPLES)
@given(projects())
def test_random_graph_is_built_consistently_or_rejected_by_name(case: tuple[dict[str, Any], DatasetMeta]) -> None:
    data, meta = case
    graph, parse_problems = Graph.from_dict(data)
    report = infer_shapes(graph, meta)
    problems = parse_problems + report.problems
    for problem in problems:
        check_problem_names_culprit(problem)
    if problems:
        return
    outputs = assert_built_as_inferred(graph, meta, report, torch.randn(2, *meta.input_shape))
    assert math.prod(outputs["out"].shape) == 2 * report.output_units


def assert_built_as_inferred(graph: Graph, meta: DatasetMeta, report: ShapeReport, x: torch.Tensor
                             ) -> dict[str, torch.Tensor]:
    """Build the valid ``graph`` and run it on ``x`` in eval mode: every node's output shape and
    parameter count are the report's. Returns every node's output."""
    model = build_model(graph, meta, seed=0).eval()
    with torch.no_grad():
        outputs = model.forward_all(x)
    for node_id, node_report in report.nodes.items():
        assert tuple(outputs[node_id].shape[1:]) == node_report.shape, node_id
        module = model.get_submodule(model.attrs[node_id])
        assert sum(p.numel() for p in module.parameters()) == node_report.parameters, node_id
    assert sum(p.numel() for p in model.parameters()) == report.total_parameters
    return outputs
