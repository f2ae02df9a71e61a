"""Copy and paste of node selections as JSON text (the project file's node and edge form).

A clip holds the selected nodes, the edges between them, and their positions; pasting gives
each node a fresh id where its own is taken and shifts the copies so they do not hide the
originals. Pure functions over core types, so they are tested without a clipboard.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from playground.core.graph import Edge, Graph, Node, Point
from playground.core.layers import LAYER_TYPES
from playground.core.params import resolve_params

MIME_NODES = "application/x-nn-playground-nodes"
CLIP_FORMAT = "nn-playground-clip/1"
PASTE_OFFSET = 40.0


@dataclass
class Clip:
    """Nodes with their positions and the edges among them."""

    nodes: list[tuple[Node, Point]]
    edges: list[Edge]


def clip_to_text(graph: Graph, node_ids: list[str], positions: dict[str, Point]) -> str:
    """The JSON text of the given nodes (in graph order) and their internal edges."""
    chosen = [n for n in graph.nodes if n in set(node_ids)]
    sub = Graph()
    for node_id in chosen:
        sub.nodes[node_id] = graph.nodes[node_id]
        sub.layout[node_id] = positions[node_id]
    sub.edges = [e for e in graph.edges if e[0] in sub.nodes and e[1] in sub.nodes]
    return json.dumps({"format": CLIP_FORMAT, "graph": sub.to_dict(), "layout": sub.layout_dict()})


def parse_clip(text: str) -> Clip | None:
    """Read clip text; None when it is not a clip or holds anything the editor could not show."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != CLIP_FORMAT:
        return None
    graph, problems = Graph.from_dict(data.get("graph"), data.get("layout"))
    if problems or not graph.nodes:
        return None
    for node in graph.nodes.values():
        layer = LAYER_TYPES.get(node.type)
        if layer is None or resolve_params(layer.params, node.params, owner=node.label)[1]:
            return None
    nodes = [(n, graph.layout.get(n.id, (0.0, 0.0))) for n in graph.nodes.values()]
    return Clip(nodes, list(graph.edges))


def _stem(node_id: str) -> str:
    return re.sub(r"\d+$", "", node_id) or "node"


def place_clip(graph: Graph, clip: Clip, occupied: set[Point]) -> Clip:
    """The clip as it will be pasted into ``graph``: unique ids, edges renamed, positions
    shifted diagonally until no copy lands exactly on an occupied position."""
    scratch = graph.copy()
    rename: dict[str, str] = {}
    for node, _ in clip.nodes:
        new_id = scratch.unique_id(_stem(node.id)) if node.id in scratch.nodes else node.id
        scratch.add_node(Node(new_id, node.type))
        rename[node.id] = new_id
    shift = PASTE_OFFSET
    while any((x + shift, y + shift) in occupied for _, (x, y) in clip.nodes):
        shift += PASTE_OFFSET
    nodes = [(Node(rename[n.id], n.type, json.loads(json.dumps(n.params))), (x + shift, y + shift))
             for n, (x, y) in clip.nodes]
    return Clip(nodes, [(rename[s], rename[d]) for s, d in clip.edges])

