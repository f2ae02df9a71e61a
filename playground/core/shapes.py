"""Shape inference over the whole graph: per node output shape, parameter count, or the error.

Errors are values, collected for every node at once, so the editor can outline each invalid
node and the CLI can list them all; one bad node does not hide the next.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    describe_tokens,
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
    #: The output is a token dataset's ids (the Input's), not numbers.
    tokens: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and self.shape is not None

    @property
    def shape_words(self) -> str:
        """The output shape in words, for tooltips: '20 token ids', 'a sequence of 20 steps × 32 features'."""
        if self.shape is None:
            return "unknown"
        return describe_tokens(self.shape[0]) if self.tokens else describe(self.shape)


@dataclass
class ShapeReport:
    """Per-node reports, every problem found, and the total parameter count."""

    nodes: dict[str, NodeReport]
    problems: list[Problem]
    total_parameters: int
    order: list[str] | None
    output_units: int | None = None
    #: The Input node's id ("" unless there is exactly one).
    input_id: str = ""
    #: For each node, the nearest recurrent node at or above it (itself, if it is one) and that
    #: node's ``return_sequences``: whom a message about a time axis points at.
    recurrent: dict[str, tuple[str, bool]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def recurrent_before(self, sources: Sequence[str]) -> tuple[str, bool] | None:
        """The nearest recurrent node at or above any of ``sources`` (the first source's first)."""
        return next((self.recurrent[s] for s in sources if s in self.recurrent), None)


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
    the_input = graph.nodes_of_type("Input")
    report = ShapeReport(reports, problems, 0, order, _output_units(graph, meta, reports, problems),
                         the_input[0].id if len(the_input) == 1 else "")
    if order is not None and meta is not None:
        inputs, _ = graph.adjacency()
        for node_id in order:
            _infer_node(graph.nodes[node_id], inputs[node_id], meta, report)
    total = sum(r.parameters for r in reports.values())
    if total > MAX_TOTAL_PARAMETERS:
        biggest = max(reports.values(), key=lambda r: r.parameters)
        problem = Problem(
            f"the network has {total:,} parameters, more than the {MAX_TOTAL_PARAMETERS:,} a desktop can "
            f"train: shrink {biggest.type} '{biggest.node_id}' ({biggest.parameters:,} parameters)",
            biggest.node_id, "graph")
        problems.append(problem)
        biggest.problems.append(problem)
    report.total_parameters = total
    return report


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


def shape_context(node: Node, meta: DatasetMeta, report: ShapeReport, sources: Sequence[str]) -> ShapeContext:
    """What a node with inputs ``sources`` sees of the dataset and the network in its shape rule and
    factory: one place for inference and build."""
    return ShapeContext(
        node.id, node.type, meta.input_shape, report.output_units or meta.target_size, meta.raw_shape,
        input_id=report.input_id, vocab=len(meta.vocab), sequence_data=meta.is_sequence,
        per_step_targets=meta.per_step_targets, recurrent_before=report.recurrent_before(sources))


def network_reconstructs(graph: Graph) -> bool:
    """Whether the network's Output reconstructs its input (an autoencoder): its targets are the
    raw inputs and there are no accuracies."""
    outputs = graph.nodes_of_type("Output")
    return len(outputs) == 1 and reconstructs(outputs[0].resolved_params())


def _infer_node(node: Node, sources: list[str], meta: DatasetMeta, report: ShapeReport) -> None:
    entry = report.nodes[node.id]
    result = _apply_rule(node, [(s, report.nodes[s].shape) for s in sources], meta, report)
    if isinstance(result, Problem):
        report.problems.append(result)
        entry.problems.append(result)
    elif result is not None:
        entry.shape, entry.parameters = result
        entry.tokens = meta.is_tokens and node.id == report.input_id
    params = node.resolved_params() if node.type in LAYER_TYPES else {}
    if "return_sequences" in params:
        report.recurrent[node.id] = (node.id, bool(params["return_sequences"]))
    elif (before := report.recurrent_before(sources)) is not None:
        report.recurrent[node.id] = before


def _apply_rule(node: Node, inputs: list[tuple[str, Shape | None]], meta: DatasetMeta,
                report: ShapeReport) -> tuple[Shape, int] | Problem | None:
    """The node's shape rule on its input shapes: (shape, parameter count), the problem it
    raises, or None when it cannot be asked yet (an unknown input shape, too few or too many
    inputs: structure reports those)."""
    layer = LAYER_TYPES.get(node.type)
    known = [(s, shape) for s, shape in inputs if shape is not None]
    if layer is None or len(known) < len(inputs):
        return None
    if len(inputs) < layer.min_inputs or (layer.max_inputs is not None and len(inputs) > layer.max_inputs):
        return None
    ctx = shape_context(node, meta, report, [s for s, _ in inputs])
    if ctx.vocab and not layer.reads_tokens:
        ids = next(((s, shape) for s, shape in known if s == ctx.input_id), None)
        if ids is not None:
            return Problem(f"{ctx.who} gets {describe_tokens(ids[1][0])} from '{ids[0]}': token ids are names, not "
                           "quantities: put an Embedding first", node.id, "graph")
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
    result = _apply_rule(graph.nodes[dst], [*inputs, (src, report.nodes[src].shape)], meta, report)
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


def format_shape(shape: Shape | None, tokens: bool = False) -> str:
    """Shape as the UI and CLI print it: '(8,)' reads badly, so '8', '20×32' (a sequence) and
    '1×8×8'; a token dataset's ids (``tokens``) as '20 ids'."""
    if shape is None:
        return "?"
    if tokens:
        return f"{shape[0]} ids"
    return "×".join(str(s) for s in shape)
