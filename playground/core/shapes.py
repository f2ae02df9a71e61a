"""Shape inference over the whole graph: per node output shape, parameter count, or the error.

Errors are values, collected for every node at once, so the editor can outline each invalid
node and the CLI can list them all; one bad node does not hide the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from playground.core.datasets.base import DatasetMeta
from playground.core.graph import Graph, Node, structural_problems
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
    reconstructs,
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
        inputs, _ = graph.adjacency()
        for node_id in order:
            _infer_node(graph, node_id, inputs[node_id], meta, units, reports, problems)
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
    params = node.resolved_params()
    reconstruct = reconstructs(params)
    why = loss_problem(params["loss"], meta.target_kind, meta.target_size, reconstruct=reconstruct)
    if why:
        problem = Problem(f"{node.label}: {why}", node.id, "params.loss")
        problems.append(problem)
        reports[node.id].problems.append(problem)
    if reconstruct:
        return math.prod(meta.raw_shape)
    return output_units(params["loss"], meta.target_kind, meta.target_size)


def shape_context(node: Node, meta: DatasetMeta, units: int | None) -> ShapeContext:
    """What a node's shape rule and factory see of the dataset: one place for inference and build."""
    return ShapeContext(node.id, node.type, meta.input_shape, units or meta.target_size, meta.raw_shape)


def network_reconstructs(graph: Graph) -> bool:
    """Whether the network's Output reconstructs its input (an autoencoder): its targets are the
    raw inputs and there are no accuracies."""
    outputs = graph.nodes_of_type("Output")
    return len(outputs) == 1 and reconstructs(outputs[0].resolved_params())


def _infer_node(graph: Graph, node_id: str, sources: list[str], meta: DatasetMeta, units: int | None,
                reports: dict[str, NodeReport], problems: list[Problem]) -> None:
    report = reports[node_id]
    result = _apply_rule(graph.nodes[node_id], [(s, reports[s].shape) for s in sources], meta, units)
    if isinstance(result, Problem):
        problems.append(result)
        report.problems.append(result)
    elif result is not None:
        report.shape, report.parameters = result


def _apply_rule(node: Node, inputs: list[tuple[str, Shape | None]], meta: DatasetMeta,
                units: int | None) -> tuple[Shape, int] | Problem | None:
    """The node's shape rule on its input shapes: (shape, parameter count), the problem it
    raises, or None when it cannot be asked yet (an unknown input shape, too few or too many
    inputs: structure reports those)."""
    layer = LAYER_TYPES.get(node.type)
    known = [(s, shape) for s, shape in inputs if shape is not None]
    if layer is None or len(known) < len(inputs):
        return None
    if len(inputs) < layer.min_inputs or (layer.max_inputs is not None and len(inputs) > layer.max_inputs):
        return None
    ctx = shape_context(node, meta, units)
    try:
        shape, count = layer.infer(known, node.resolved_params(), ctx)
    except ShapeError as exc:
        return Problem(str(exc), node.id, "graph")
    return _size_problem(ctx, shape, count) or (shape, count)


def edge_shape_problem(graph: Graph, meta: DatasetMeta | None, src: str, dst: str,
                       report: ShapeReport | None = None) -> str | None:
    """Why adding the edge ``src -> dst`` would break shapes at ``dst``, or None.

    The editor asks this while a connection is dragged, so a Dense output dropped on a Conv2d
    is refused with the reason instead of accepted and then flagged. Only ``dst``'s inputs
    change, and nothing that feeds ``dst`` can depend on the new edge (cycles are refused
    first, by ``Graph.connection_problem``), so ``dst``'s shape rule on its current input
    shapes plus ``src``'s gives exactly what ``infer_shapes`` would report for ``dst`` on the
    graph with the edge added, at the cost of one node instead of the whole graph.

    Only a problem this edge causes counts: one ``dst`` already has is not repeated, and an
    edge whose effect cannot be known yet (no dataset, a source the Input does not reach, an
    Add waiting for its second input) is allowed, so an unfinished network can still be wired.
    ``report`` is ``infer_shapes(graph, meta)`` when the caller already has it.
    """
    if meta is None or src not in graph.nodes or dst not in graph.nodes:
        return None
    report = report if report is not None else infer_shapes(graph, meta)
    if report.order is None or src not in report.nodes or dst not in report.nodes:
        return None
    inputs = [(s, report.nodes[s].shape if s in report.nodes else None) for s in graph.inputs_of(dst)]
    result = _apply_rule(graph.nodes[dst], [*inputs, (src, report.nodes[src].shape)], meta,
                         report.output_units)
    if not isinstance(result, Problem):
        return None
    if any(p.message == result.message for p in report.nodes[dst].problems):
        return None
    return result.message


def connection_problem(graph: Graph, meta: DatasetMeta | None, src: str, dst: str,
                       report: ShapeReport | None = None) -> str | None:
    """Why ``src -> dst`` may not be added: the structural rules (``Graph.connection_problem``:
    cycles, arity, ends of the network) first, then the shapes (``edge_shape_problem``). One
    answer for the canvas drag and for every other way an edge is requested."""
    return graph.connection_problem(src, dst) or edge_shape_problem(graph, meta, src, dst, report)


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
