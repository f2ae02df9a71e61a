"""Project edits as data: what the advisor's one-click fixes (and scripts) apply to a project.

A fix is ``{"label": TEXT, "edits": [EDIT, ...]}`` (FORMAT.md, "Advisor"), each edit one of

- ``{"set": PATH, "value": V}`` with PATH ``training.FIELD``, ``dataset.FIELD`` or
  ``graph.NODE_ID.PARAM`` (the paths of the compare contract); a value of null removes the
  setting, so its default applies. ``graph.NODE_ID.type`` turns the node into another layer
  type, keeping its id, edges and the settings the new type also has (how "use an LSTM
  instead of the RNN" is written, and how ``compare`` varies a layer's kind);
- ``{"insert": {"id", "type", "params"}, "between": [SRC, DST]}``: a new node on the edge
  SRC -> DST (how "add a hidden layer" is written).

``apply_fix`` works on a copy and returns it only when the copy is a valid project, so a fix
either applies whole or not at all, and a bad one names the edit at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playground.core.graph import Graph, Node
from playground.core.layers import LAYER_TYPES
from playground.core.params import UserError
from playground.core.project import Project, parse_project

Edit = dict[str, Any]
Fix = dict[str, Any]


def set_edit(path: str, value: Any) -> Edit:
    """An edit that sets one setting (None: back to its default)."""
    return {"set": path, "value": value}


def insert_edit(node_id: str, node_type: str, params: Mapping[str, Any], src: str, dst: str) -> Edit:
    """An edit that puts a new node on the edge ``src -> dst``."""
    return {"insert": {"id": node_id, "type": node_type, "params": dict(params)}, "between": [src, dst]}


def make_fix(label: str, edits: list[Edit]) -> Fix:
    """A fix: the button's text and the edits it applies, in order."""
    return {"label": label, "edits": edits}


def apply_fix(project: Project, fix: Mapping[str, Any]) -> Project:
    """A new project with every edit of ``fix`` applied, validated as a project file is on load.

    Raises ``UserError`` naming the edit when an edit does not fit this project (an unknown
    node or setting, a value out of range); ``project`` itself is never changed.
    """
    edits = fix.get("edits") if isinstance(fix, Mapping) else None
    if not isinstance(edits, list):
        raise UserError("fix: expected an object with a list of 'edits'")
    result = project.copy()
    for i, edit in enumerate(edits):
        where = f"fix edit {i + 1}"
        if not isinstance(edit, Mapping):
            raise UserError(f"{where}: expected an object, got {edit!r}")
        if "set" in edit:
            _apply_set(result, str(edit["set"]), edit.get("value"), where)
        elif "insert" in edit:
            _apply_insert(result, edit["insert"], edit.get("between"), where)
        else:
            raise UserError(f"{where}: expected a 'set' or an 'insert' edit")
    checked = parse_project(result.to_dict(), source=f"the project after '{fix.get('label', 'the fix')}'")
    checked.path = project.path
    return checked


def _apply_set(project: Project, path: str, value: Any, where: str) -> None:
    parts = path.split(".")
    section = parts[0]
    if section in ("training", "dataset") and len(parts) == 2:
        target = project.training if section == "training" else project.dataset
        if value is None:
            target.pop(parts[1], None)
        else:
            target[parts[1]] = value
        return
    if section == "graph" and len(parts) == 3:
        node = project.graph.nodes.get(parts[1])
        if node is None:
            raise UserError(f"{where}: the network has no node '{parts[1]}' ({path})")
        if parts[2] == "type":
            retype_node(project.graph, node, value, where)
            return
        params = dict(node.params)
        if value is None:
            params.pop(parts[2], None)
        else:
            params[parts[2]] = value
        project.graph.set_params(node.id, params)
        return
    raise UserError(f"{where}: '{path}' is not a setting (use training.FIELD, dataset.FIELD or graph.NODE.PARAM)")


def _apply_insert(project: Project, spec: Any, between: Any, where: str) -> None:
    graph = project.graph
    if not (isinstance(spec, Mapping) and isinstance(spec.get("id"), str) and isinstance(spec.get("type"), str)):
        raise UserError(f"{where}: 'insert' needs an object with an 'id' and a 'type'")
    if not (isinstance(between, list) and len(between) == 2 and tuple(between) in graph.edges):
        raise UserError(f"{where}: 'between' must name an existing edge [SRC, DST], got {between!r}")
    src, dst = between
    if spec["id"] in graph.nodes:
        raise UserError(f"{where}: the network already has a node '{spec['id']}'")
    params = spec.get("params") or {}
    if not isinstance(params, Mapping):
        raise UserError(f"{where}: the inserted node's 'params' must be an object")
    a, b = graph.layout.get(src), graph.layout.get(dst)
    pos = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) if a is not None and b is not None else None
    graph.add_node(Node(spec["id"], spec["type"], dict(params)), pos, index=list(graph.nodes).index(dst))
    index = graph.disconnect(src, dst)
    graph.connect(src, spec["id"], index=index)
    graph.connect(spec["id"], dst, index=index + 1)


def retype_node(graph: Graph, node: Node, node_type: Any, where: str) -> None:
    """Turn ``node`` (of ``graph``, in place) into a ``node_type`` layer, keeping its id, its
    edges and those of its settings the new type also has; ``UserError`` from ``where`` for a
    type that is not a hidden layer type."""
    layer = LAYER_TYPES.get(node_type) if isinstance(node_type, str) else None
    if layer is None or node.type in ("Input", "Output") or node_type in ("Input", "Output"):
        raise UserError(f"{where}: {node.label} cannot become {node_type!r} (a hidden layer type: "
                        f"{', '.join(t for t in LAYER_TYPES if t not in ('Input', 'Output'))})")
    names = {p.name for p in layer.params}
    node.type = node_type
    graph.set_params(node.id, {k: v for k, v in node.params.items() if k in names})
