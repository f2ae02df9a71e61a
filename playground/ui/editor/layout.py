"""Auto-layout: layered, left to right, each node in the column of its longest path from a source.

Qt-free geometry on a core ``Graph``. An edge that spans several columns (a residual skip)
gets a virtual point in each column it crosses, so it claims a row of its own and runs beside
the block it skips instead of behind it. Within a column, nodes are ordered by the mean row of
their inputs (the barycentre heuristic). The result keeps the drawing where it was (same
top-left corner).

A network deeper than ``MAX_COLUMNS`` layers is folded so it still fits the canvas at a
readable zoom: consecutive layers are stacked in one column, down, then up in the next column,
down again (a snake). Every edge between columns still runs left to right; the one edge inside
a column drops (or climbs) to the card below (above) it, a short hop the canvas draws through
the gap between the two cards. A long row wrapped back to the left edge would need an edge
running right to left across the whole drawing instead.
"""

from __future__ import annotations

import math

from playground.core.graph import Graph, Point

#: Both spacings are multiples of the canvas grid (20), so Auto-Layout's snapping keeps them.
COLUMN_SPACING = 220.0
ROW_SPACING = 120.0

#: The widest row of columns left unfolded. Six columns span 5 × 220 + a 168-unit card + 80 of
#: margin = 1,348 scene units: about 60 % zoom on the ~800 px canvas of a 1440 × 900 window and
#: 80 % on a 1,100 px one, where card text still reads. (Eight would fit 1,100 px at 61 % but
#: shrink LeNet to 44 % in the default window.)
MAX_COLUMNS = 6


def layered_layout(graph: Graph, current: dict[str, Point] | None = None,
                   max_columns: int = MAX_COLUMNS) -> dict[str, Point]:
    """New top-left positions for every node. ``current`` (the positions on screen) breaks
    ties and anchors the result; nodes on a cycle fall back to their insertion order. More
    than ``max_columns`` layers are folded into a snake of columns (see the module doc)."""
    current = current if current is not None else dict(graph.layout)
    order = graph.topological_order() or list(graph.nodes)
    column: dict[str, int] = {}
    for node_id in order:
        sources = [column[s] for s in graph.inputs_of(node_id) if s in column]
        column[node_id] = max(sources) + 1 if sources else 0
    columns: dict[int, list[str]] = {}
    for node_id in order:
        columns.setdefault(column[node_id], []).append(node_id)
    preds = {n: [s for s in graph.inputs_of(n) if s in column] for n in order}
    height = {n: current.get(n, (0.0, 0.0))[1] for n in order}
    for src, dst in graph.edges:
        if src not in column or dst not in column or column[dst] - column[src] < 2:
            continue
        previous = src
        for c in range(column[src] + 1, column[dst]):
            virtual = f"\0{src}>{dst}@{c}"
            columns[c].append(virtual)
            preds[virtual] = [previous]
            height[virtual] = height[src]
            previous = virtual
        preds[dst] = [previous if p == src else p for p in preds[dst]]
    row: dict[str, float] = {}
    for c in sorted(columns):
        def key(node_id: str) -> tuple[float, float]:
            rows = [row[s] for s in preds[node_id] if s in row]
            return (sum(rows) / len(rows) if rows else height[node_id], height[node_id])

        members = sorted(columns[c], key=key)
        for i, node_id in enumerate(members):
            row[node_id] = i - (len(members) - 1) / 2
    place = _folded(columns, max_columns)
    positions = {n: (place[column[n]][0], place[column[n]][1] + row[n] * ROW_SPACING) for n in order}
    if current and positions:
        dx = min(x for x, _ in current.values()) - min(x for x, _ in positions.values())
        dy = min(y for _, y in current.values()) - min(y for _, y in positions.values())
        positions = {n: (x + dx, y + dy) for n, (x, y) in positions.items()}
    return positions


def _folded(columns: dict[int, list[str]], max_columns: int) -> dict[int, Point]:
    """Where each layer's centre goes: a plain row of columns, or, past ``max_columns`` layers,
    ``fold`` layers stacked per column, running down in even columns and up in odd ones, so the
    edge from one column to the next stays level and runs left to right."""
    count = max(columns) + 1 if columns else 0
    if count <= max_columns:
        return {c: (c * COLUMN_SPACING, 0.0) for c in columns}
    fold = math.ceil(count / max(max_columns, 1))
    slot = max(len(members) for members in columns.values()) * ROW_SPACING
    place: dict[int, Point] = {}
    for c in columns:
        group, step = divmod(c, fold)
        if group % 2:
            step = fold - 1 - step
        place[c] = (group * COLUMN_SPACING, step * slot)
    return place
