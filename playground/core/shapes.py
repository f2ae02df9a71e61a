"""Shape inference over the whole graph: per node output shape, parameter count, or the error.

Errors are values, collected for every node at once, so the editor can outline each invalid
node and the CLI can list them all; one bad node does not hide the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from playground.core.datasets.base import DatasetMeta
from playground.core.graph import Graph, structural_problems
from playground.core.layers import (
    LAYER_TYPES,
    MAX_ACTIVATION_ELEMENTS,
    MAX_NODE_PARAMETERS,
    Shape,
    ShapeContext,
    ShapeError,
    describe,
    loss_problem,
    output_units,
)
from playground.core.params import Problem

#: Largest network the playground will build (about 400 MB of float32 weights).
MAX_TOTAL_PARAMETERS = 100_000_000


@dataclass
class NodeReport:
    """What the canvas shows on a node: its summary, output shape and parameter count."""

    node_id: str
    type: str
    summary: str
    shape: Shape | None = None
    parameters: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.shape is not None


@dataclass
class ShapeReport:
    """Per-node reports, every problem found, and the total parameter count."""

    nodes: dict[str, NodeReport]
    problems: list[Problem]
    total_parameters: int
    order: list[str] | None
    output_units: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def infer_shapes(graph: Graph, meta: DatasetMeta | None) -> ShapeReport:
    """Validate the structure and propagate shapes from the dataset's input to the Output.

    ``meta`` may be None when the dataset itself is broken; structure is still checked and
    every node reachable without data sizes is reported.
    """
    problems = structural_problems(graph)
    reports = {
        n.id: NodeReport(n.id, n.type, LAYER_TYPES[n.type].summary(n.resolved_params())
                         if n.type in LAYER_TYPES else n.type)
        for n in graph.nodes.values()
    }
    for p in problems:
        if p.node in reports:
            reports[p.node].problems.append(p)
    order = graph.topological_order()
    units = _output_units(graph, meta, reports, problems)
    if order is not None and meta is not None:
        for node_id in order:
            _infer_node(graph, node_id, meta, units, reports, problems)
    total = sum(r.parameters for r in reports.values())
    if total > MAX_TOTAL_PARAMETERS:
        biggest = max(reports.values(), key=lambda r: r.parameters)
        problem = Problem(
            f"the network has {total:,} parameters, more than the {MAX_TOTAL_PARAMETERS:,} a desktop can "
            f"train: shrink {biggest.type} '{biggest.node_id}' ({biggest.parameters:,} parameters)",
            biggest.node_id, "graph")
        problems.append(problem)
        biggest.problems.append(problem)
    return ShapeReport(reports, problems, total, order, units)


def _output_units(graph: Graph, meta: DatasetMeta | None, reports: dict[str, NodeReport],
                  problems: list[Problem]) -> int | None:
    outputs = graph.nodes_of_type("Output")
    if meta is None or len(outputs) != 1:
        return None
    node = outputs[0]
    loss = node.resolved_params()["loss"]
    why = loss_problem(loss, meta.target_kind, meta.target_size)
    if why:
        problem = Problem(f"{node.label}: {why}", node.id, "params.loss")
        problems.append(problem)
        reports[node.id].problems.append(problem)
    return output_units(loss, meta.target_kind, meta.target_size)


def _infer_node(graph: Graph, node_id: str, meta: DatasetMeta, units: int | None,
                reports: dict[str, NodeReport], problems: list[Problem]) -> None:
    node = graph.nodes[node_id]
    layer = LAYER_TYPES.get(node.type)
    report = reports[node_id]
    sources = graph.inputs_of(node_id)
    if layer is None or any(reports[s].shape is None for s in sources):
        return
    if len(sources) < layer.min_inputs or (layer.max_inputs is not None and len(sources) > layer.max_inputs):
        return
    ctx = ShapeContext(node_id, node.type, meta.input_shape, units or meta.target_size)
    inputs = [(s, reports[s].shape) for s in sources]
    try:
        shape, count = layer.infer(inputs, node.resolved_params(), ctx)
    except ShapeError as exc:
        problem = Problem(str(exc), node_id, "graph")
        problems.append(problem)
        report.problems.append(problem)
        return
    size_problem = _size_problem(ctx, shape, count)
    if size_problem:
        problems.append(size_problem)
        report.problems.append(size_problem)
        return
    report.shape, report.parameters = shape, count


def _size_problem(ctx: ShapeContext, shape: Shape, count: int) -> Problem | None:
    if math.prod(shape) > MAX_ACTIVATION_ELEMENTS:
        return Problem(f"{ctx.who} outputs {describe(shape)} per sample, more than memory allows: use fewer "
                       "units or filters, a stride, or pooling before it", ctx.node_id, "params")
    if count > MAX_NODE_PARAMETERS:
        return Problem(f"{ctx.who} would have {count:,} parameters (more than {MAX_NODE_PARAMETERS:,}): use "
                       "fewer units or pool/flatten a smaller input", ctx.node_id, "params")
    return None


def format_shape(shape: Shape | None) -> str:
    """Shape as the UI and CLI print it: '(8,)' reads badly, so '8' and '1×8×8'."""
    if shape is None:
        return "?"
    return "×".join(str(s) for s in shape)
