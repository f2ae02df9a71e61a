"""The network as plain data: nodes, edges and layout, with structural validation.

The editor's scene mirrors a ``Graph``; it never holds state of its own. Every edit goes
through a method here, which tells subscribers what changed, so the canvas, the inspector
and shape inference all follow one source of truth (the habit of Orange's canvas model).
"""

from __future__ import annotations

import copy
import functools
import keyword
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from playground.core.layers import ACTIVATIONS, LAYER_TYPES
from playground.core.params import Problem, resolve_params

ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

#: Largest network a project may hold. A canvas is unreadable long before this, and the limits
#: keep every check on a file fast whatever it contains (validation is linear in nodes + edges).
MAX_NODES = 2_000
MAX_EDGES = 10_000

Edge = tuple[str, str]
Point = tuple[float, float]
#: Inputs and outputs of every node, as ``Graph.adjacency`` returns them.
Adjacency = tuple[dict[str, list[str]], dict[str, list[str]]]


@dataclass
class Node:
    """A layer in the network. ``params`` holds what the user set; defaults fill the rest."""

    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)

    def resolved_params(self) -> dict[str, Any]:
        """Parameters with defaults filled in (invalid values replaced by defaults)."""
        layer = LAYER_TYPES.get(self.type)
        if layer is None:
            return dict(self.params)
        return layer.resolve(self.params, resolve_params(layer.params, self.params, owner=self.label)[0])

    @property
    def label(self) -> str:
        return f"{self.type} '{self.id}'"


@dataclass(frozen=True)
class GraphEvent:
    """What changed: ``kind`` is one of node_added, node_removed, edge_added, edge_removed,
    params_changed, moved, reset."""

    kind: str
    node: str | None = None
    edge: Edge | None = None


Listener = Callable[[GraphEvent], None]


@dataclass(frozen=True)
class RemovedNode:
    """A removed node with its place in the node order, its edges (with their positions in the
    edge list) and its canvas position: enough to restore the file byte for byte."""

    node: Node
    index: int
    edges: list[tuple[int, Edge]]
    pos: Point | None
    layout_index: int | None = None


class Graph:
    """Nodes in insertion order, directed edges in insertion order (Concat joins its inputs in
    that order), and a position per node for the canvas."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.layout: dict[str, Point] = {}
        self._listeners: list[Listener] = []

    # ------------------------------------------------------------------ observation
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: GraphEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # ------------------------------------------------------------------ queries
    def inputs_of(self, node_id: str) -> list[str]:
        """Sources feeding ``node_id``, in edge order. One scan of the edges: whole-graph passes
        use ``adjacency()`` instead."""
        return [s for s, d in self.edges if d == node_id]

    def outputs_of(self, node_id: str) -> list[str]:
        return [d for s, d in self.edges if s == node_id]

    def adjacency(self) -> Adjacency:
        """Inputs and outputs of every node (in edge order), built in one pass over the edges so
        that whole-graph checks stay linear. Edges naming a missing node are left out."""
        inputs: dict[str, list[str]] = {n: [] for n in self.nodes}
        outputs: dict[str, list[str]] = {n: [] for n in self.nodes}
        for s, d in self.edges:
            if s in outputs and d in inputs:
                outputs[s].append(d)
                inputs[d].append(s)
        return inputs, outputs

    def nodes_of_type(self, type_name: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.type == type_name]

    def unique_id(self, stem: str) -> str:
        """A fresh node id from a stem: 'dense' -> 'dense1', 'dense2', ..."""
        stem = re.sub(r"[^A-Za-z0-9_]", "", stem.lower()) or "node"
        if stem[0].isdigit():
            stem = "n" + stem
        i = 1
        while f"{stem}{i}" in self.nodes:
            i += 1
        return f"{stem}{i}"

    def topological_order(self) -> list[str] | None:
        """Node ids so that every edge points forward, or None when there is a cycle."""
        inputs, outputs = self.adjacency()
        indegree = {n: len(sources) for n, sources in inputs.items()}
        ready = deque(n for n, k in indegree.items() if k == 0)
        order: list[str] = []
        while ready:
            n = ready.popleft()
            order.append(n)
            for d in outputs[n]:
                indegree[d] -= 1
                if indegree[d] == 0:
                    ready.append(d)
        return order if len(order) == len(self.nodes) else None

    def reachable_from(self, start: str, *, forward: bool = True,
                       adjacency: Adjacency | None = None) -> set[str]:
        """Nodes reachable from ``start`` along edges (against them when not ``forward``);
        ``adjacency`` is ``self.adjacency()`` when the caller already has it."""
        inputs, outputs = adjacency or self.adjacency()
        step = outputs if forward else inputs
        seen: set[str] = set()
        stack = [start]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            stack.extend(step.get(n, ()))
        return seen

    def connection_problem(self, src: str, dst: str) -> str | None:
        """Why the edge src -> dst may not be added, or None. The editor asks while dragging."""
        if src not in self.nodes or dst not in self.nodes:
            return "both ends must be existing nodes"
        if src == dst:
            return "a node cannot feed itself"
        if (src, dst) in self.edges:
            return "these nodes are already connected"
        s, d = self.nodes[src], self.nodes[dst]
        s_type, d_type = LAYER_TYPES.get(s.type), LAYER_TYPES.get(d.type)
        if s_type is not None and s_type.min_outputs == 0:
            return f"{s.label} is the end of the network and has no output to connect"
        if d_type is not None and d_type.max_inputs == 0:
            return f"{d.label} takes no inputs"
        if src in self.reachable_from(dst):
            return f"connecting {s.label} to {d.label} would make a cycle"
        if d_type is not None and d_type.max_inputs is not None and len(self.inputs_of(dst)) >= d_type.max_inputs:
            return f"{d.label} already has its input; use Add or Concat to merge several"
        return None

    # ------------------------------------------------------------------ edits
    def add_node(self, node: Node, pos: Point | None = None, index: int | None = None) -> None:
        """Add a node (at ``index`` in the node order, default last)."""
        if node.id in self.nodes:
            raise ValueError(f"node id {node.id!r} already exists")
        items = list(self.nodes.items())
        items.insert(len(items) if index is None else index, (node.id, node))
        self.nodes = dict(items)
        if pos is not None:
            self.layout[node.id] = (float(pos[0]), float(pos[1]))
        self._emit(GraphEvent("node_added", node=node.id))

    def remove_node(self, node_id: str) -> RemovedNode:
        """Remove a node and its edges; returns what ``restore_node`` needs to undo it exactly."""
        index = list(self.nodes).index(node_id)
        removed = [(self.edges.index(e), e) for e in self.edges if node_id in e]
        for _, e in reversed(removed):
            self.disconnect(*e)
        node = self.nodes.pop(node_id)
        layout_index = list(self.layout).index(node_id) if node_id in self.layout else None
        pos = self.layout.pop(node_id, None)
        self._emit(GraphEvent("node_removed", node=node_id))
        return RemovedNode(node, index, removed, pos, layout_index)

    def restore_node(self, removed: RemovedNode) -> None:
        """Put a removed node back where it was, with its edges in their original order."""
        self.add_node(removed.node, removed.pos, removed.index)
        if removed.pos is not None and removed.layout_index is not None:
            entries = [(k, v) for k, v in self.layout.items() if k != removed.node.id]
            entries.insert(removed.layout_index, (removed.node.id, self.layout[removed.node.id]))
            self.layout = dict(entries)
        for index, edge in removed.edges:
            self.connect(*edge, index=index)

    def connect(self, src: str, dst: str, index: int | None = None) -> None:
        edge = (src, dst)
        if index is None:
            self.edges.append(edge)
        else:
            self.edges.insert(index, edge)
        self._emit(GraphEvent("edge_added", edge=edge))

    def disconnect(self, src: str, dst: str) -> int:
        """Remove an edge; returns its position so undo can restore the input order."""
        index = self.edges.index((src, dst))
        del self.edges[index]
        self._emit(GraphEvent("edge_removed", edge=(src, dst)))
        return index

    def set_params(self, node_id: str, params: Mapping[str, Any]) -> None:
        self.nodes[node_id].params = dict(params)
        self._emit(GraphEvent("params_changed", node=node_id))

    def move(self, node_id: str, pos: Point) -> None:
        self.layout[node_id] = (float(pos[0]), float(pos[1]))
        self._emit(GraphEvent("moved", node=node_id))

    def replace_with(self, other: Graph) -> None:
        """Take over another graph's content (open a file, restore a snapshot) and say so once."""
        self.nodes = copy.deepcopy(other.nodes)
        self.edges = list(other.edges)
        self.layout = dict(other.layout)
        self._emit(GraphEvent("reset"))

    def copy(self) -> Graph:
        """A detached deep copy without listeners: what the training thread gets."""
        g = Graph()
        g.nodes = copy.deepcopy(self.nodes)
        g.edges = list(self.edges)
        g.layout = dict(self.layout)
        return g

    # ------------------------------------------------------------------ file form
    def to_dict(self) -> dict[str, Any]:
        """The ``graph`` object of the project file (layout is stored beside it)."""
        nodes = []
        for n in self.nodes.values():
            entry: dict[str, Any] = {"id": n.id, "type": n.type}
            if n.params:
                entry["params"] = copy.deepcopy(n.params)
            nodes.append(entry)
        return {"nodes": nodes, "edges": [list(e) for e in self.edges]}

    def layout_dict(self) -> dict[str, list[float]]:
        return {k: [_num(x), _num(y)] for k, (x, y) in self.layout.items() if k in self.nodes}

    @classmethod
    def from_dict(cls, data: Any, layout: Any = None) -> tuple[Graph, list[Problem]]:
        """Read the ``graph`` object of a project file.

        Structure that cannot be represented (duplicate ids, edges to missing nodes, wrong
        JSON types) is reported as problems and left out, so the rest can still be shown.
        """
        g = cls()
        problems: list[Problem] = []
        if not isinstance(data, Mapping):
            return g, [Problem("graph must be an object with 'nodes' and 'edges'", field="graph")]
        raw_nodes = data.get("nodes", [])
        if not isinstance(raw_nodes, list):
            problems.append(Problem("graph.nodes must be a list of nodes", field="graph.nodes"))
            raw_nodes = []
        raw_edges = data.get("edges", [])
        if not isinstance(raw_edges, list):
            problems.append(Problem("graph.edges must be a list of [from, to] pairs", field="graph.edges"))
            raw_edges = []
        if len(raw_nodes) > MAX_NODES or len(raw_edges) > MAX_EDGES:
            return g, [*problems, *_size_problems(len(raw_nodes), len(raw_edges))]
        for i, raw in enumerate(raw_nodes):
            node, problem = _parse_node(raw, i)
            if problem:
                problems.append(problem)
            if node is None:
                continue
            if node.id in g.nodes:
                problems.append(Problem(f"node id '{node.id}' is used twice: ids must be unique",
                                        node.id, f"graph.nodes[{i}].id"))
                continue
            g.nodes[node.id] = node
        seen: set[Edge] = set()
        for i, raw in enumerate(raw_edges):
            where = f"graph.edges[{i}]"
            if not (isinstance(raw, (list, tuple)) and len(raw) == 2 and all(isinstance(x, str) for x in raw)):
                problems.append(Problem(f"{where} must be a pair of node ids like [\"in\", \"h1\"]",
                                        field=where))
                continue
            src, dst = raw
            missing = [x for x in (src, dst) if x not in g.nodes]
            if missing:
                problems.append(Problem(f"edge '{src}' -> '{dst}' refers to a node that does not exist: "
                                        f"'{missing[0]}'", missing[0], where))
                continue
            if (src, dst) in seen:
                problems.append(Problem(f"edge '{src}' -> '{dst}' is listed twice", dst, where))
                continue
            seen.add((src, dst))
            g.edges.append((src, dst))
        problems.extend(_parse_layout(g, layout))
        return g, problems


def _size_problems(nodes: int, edges: int) -> list[Problem]:
    """A network over the size limits, named with the limit."""
    problems = []
    if nodes > MAX_NODES:
        problems.append(Problem(f"the network has {nodes:,} nodes, more than the {MAX_NODES:,} a project may have",
                                field="graph.nodes"))
    if edges > MAX_EDGES:
        problems.append(Problem(f"the network has {edges:,} edges, more than the {MAX_EDGES:,} a project may have",
                                field="graph.edges"))
    return problems


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 2)


def _parse_node(raw: Any, i: int) -> tuple[Node | None, Problem | None]:
    where = f"graph.nodes[{i}]"
    if not isinstance(raw, Mapping):
        return None, Problem(f"{where} must be an object with 'id' and 'type'", field=where)
    node_id, type_name = raw.get("id"), raw.get("type")
    if not isinstance(node_id, str) or not node_id:
        return None, Problem(f"{where} has no text 'id'", field=f"{where}.id")
    if not isinstance(type_name, str):
        return None, Problem(f"node '{node_id}' has no text 'type'", node_id, f"{where}.type")
    params = raw.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        return Node(node_id, type_name), Problem(
            f"{type_name} '{node_id}': params must be an object of name: value pairs", node_id, f"{where}.params")
    unknown = sorted(set(raw) - {"id", "type", "params"})
    node = Node(node_id, type_name, dict(params))
    if unknown:
        return node, Problem(f"{node.label}: unknown key '{unknown[0]}' (a node has id, type and params)",
                             node_id, f"{where}.{unknown[0]}")
    return node, None


def _parse_layout(g: Graph, layout: Any) -> list[Problem]:
    if layout is None:
        return []
    if not isinstance(layout, Mapping):
        return [Problem("layout must be an object of node id: [x, y]", field="layout")]
    problems = []
    for key, pos in layout.items():
        ok = (isinstance(pos, (list, tuple)) and len(pos) == 2
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e7 for v in pos))
        if not ok:
            problems.append(Problem(f"layout of '{key}' must be [x, y] numbers", key, f"layout.{key}"))
        elif key in g.nodes:
            g.layout[key] = (float(pos[0]), float(pos[1]))
    return problems


def structural_problems(g: Graph) -> list[Problem]:
    """Everything wrong with the graph's shape as a network, each naming its node:
    id syntax, unknown types and parameters, one Input and one Output, cycles, arity,
    nodes that lead nowhere or that the Input does not reach."""
    problems = _size_problems(len(g.nodes), len(g.edges))
    if problems:
        return problems
    adjacency = g.adjacency()
    for n in g.nodes.values():
        if not ID_PATTERN.fullmatch(n.id):
            problems.append(Problem(f"node id '{n.id}' is not a valid name: use up to 64 letters, digits and _, "
                                    "not starting with a digit", n.id, "id"))
        layer = LAYER_TYPES.get(n.type)
        if layer is None:
            known = ", ".join(LAYER_TYPES)
            problems.append(Problem(f"node '{n.id}' has unknown type '{n.type}' (known: {known})", n.id, "type"))
            continue
        problems.extend(resolve_params(layer.params, n.params, owner=n.label, node=n.id)[1])
    for type_name in ("Input", "Output"):
        found = g.nodes_of_type(type_name)
        if len(found) != 1:
            where = ", ".join(f"'{n.id}'" for n in found)
            problems.append(Problem(
                f"the network needs exactly one {type_name} node but has {len(found)}" + (f" ({where})" if where
                                                                                        else ""),
                found[1].id if len(found) > 1 else None, "graph"))
    if g.topological_order() is None:
        cyclic = _nodes_on_cycles(adjacency[1])
        names = ", ".join(f"'{n}'" for n in cyclic[:_NAMED])
        more = f" and {len(cyclic) - _NAMED:,} more" if len(cyclic) > _NAMED else ""
        problems.append(Problem(f"the graph has a cycle through {names}{more}: remove one of its edges",
                                cyclic[0] if cyclic else None, "graph.edges"))
    problems.extend(_arity_problems(g, adjacency))
    problems.extend(_connectivity_problems(g, adjacency))
    return problems


#: How many nodes a message lists by name before it says how many more there are.
_NAMED = 10


def _arity_problems(g: Graph, adjacency: Adjacency) -> Iterable[Problem]:
    inputs, outputs = adjacency
    for n in g.nodes.values():
        layer = LAYER_TYPES.get(n.type)
        if layer is None:
            continue
        k = len(inputs[n.id])
        lo, hi = layer.min_inputs, layer.max_inputs
        if hi == 0 and k:
            yield Problem(f"{n.label} takes no inputs but has {k}", n.id, "graph.edges")
        elif k < lo:
            need = "an input" if lo == 1 else f"at least {lo} inputs"
            yield Problem(f"{n.label} needs {need} but has {k}: connect "
                          f"{'another node' if k else 'a node'} to it", n.id, "graph.edges")
        elif hi is not None and k > hi:
            yield Problem(f"{n.label} takes one input but has {k}: merge them with Add or Concat first",
                          n.id, "graph.edges")
        if layer.min_outputs == 0 and outputs[n.id]:
            yield Problem(f"{n.label} is the end of the network: nothing may follow it", n.id, "graph.edges")


def _connectivity_problems(g: Graph, adjacency: Adjacency) -> Iterable[Problem]:
    inputs, outputs = g.nodes_of_type("Input"), g.nodes_of_type("Output")
    reach = g.reachable_from(inputs[0].id, adjacency=adjacency) if len(inputs) == 1 else set(g.nodes)
    to_out = (g.reachable_from(outputs[0].id, forward=False, adjacency=adjacency) if len(outputs) == 1
              else set(g.nodes))
    for n in g.nodes.values():
        if n.id not in reach:
            yield Problem(f"{n.label} is not connected to the Input: wire it in or delete it", n.id, "graph.edges")
        elif n.id not in to_out:
            yield Problem(f"{n.label} leads nowhere: connect its output towards the Output or delete it",
                          n.id, "graph.edges")


def _nodes_on_cycles(outputs: dict[str, list[str]]) -> list[str]:
    """Nodes that lie on a cycle, in node order: the members of strongly connected components
    with more than one node, or with an edge to themselves (Tarjan's algorithm, iterative so a
    long cycle cannot exhaust the stack; linear in nodes + edges)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cyclic: set[str] = set()
    for root in outputs:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(outputs[root]))]
        while work:
            node, successors = work[-1]
            child = next(successors, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(outputs[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in outputs[node]:
                    cyclic.update(component)
    return [n for n in outputs if n in cyclic]


def attribute_names(node_ids: Iterable[str]) -> dict[str, str]:
    """The Python attribute each node's module gets: its id, with '_' appended where the id is a
    keyword, would shadow an ``nn.Module`` member ('in' -> 'in_') or is taken. The app's model
    and the generated code both use this, so their state-dict keys agree."""
    ids = list(node_ids)
    taken = {i for i in ids if _usable(i)}
    names: dict[str, str] = {}
    for node_id in ids:
        name = node_id
        if not _usable(name):
            while not _usable(name) or name in taken:
                name += "_"
            taken.add(name)
        names[node_id] = name
    return names


def _usable(name: str) -> bool:
    return not keyword.iskeyword(name) and name not in _module_members()


@functools.cache
def _module_members() -> frozenset[str]:
    """Names an ``nn.Module`` attribute may not take (nor a ``torch.fx.GraphModule``'s, such as
    'code' and 'graph': the pt2 and ONNX exports load the model back as one); asked when a model
    is built, so the editor (which only edits the graph) starts without importing torch."""
    import torch
    from torch import nn

    members = dir(nn.Module()) + dir(torch.fx.GraphModule)
    return frozenset(members) | frozenset({"nodes", "plan", "build", "Net", "torch", "nn", "x"})


def node_activations(graph: Graph) -> dict[str, str]:
    """The non-linearity at the end of each node that has one: Dense and Conv2d's ``activation``,
    an Activation node's ``function`` (the probes read its family from the catalogue, the advisor
    which nodes make the network non-linear)."""
    found = {}
    for node in graph.nodes.values():
        params = node.resolved_params()
        name = params.get("function") if node.type == "Activation" else params.get("activation")
        if name in ACTIVATIONS:
            found[node.id] = name
    return found
