"""Auto-layout: layered, left to right, each node in the column of its longest path from a source.

Qt-free geometry on a core ``Graph``. An edge that spans several columns (a residual skip)
gets a virtual point in each column it crosses, so it claims a row of its own and runs beside
the block it skips instead of behind it. Within a column, nodes are ordered by the mean row of
their inputs (the barycentre heuristic). The result keeps the drawing where it was (same
top-left corner).
"""

from __future__ import annotations

from playground.core.graph import Graph, Point

COLUMN_SPACING = 220.0
ROW_SPACING = 110.0


def layered_layout(graph: Graph, current: dict[str, Point] | None = None) -> dict[str, Point]:
    """New top-left positions for every node. ``current`` (the positions on screen) breaks
    ties and anchors the result; nodes on a cycle fall back to their insertion order."""
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
        if column[dst] - column[src] < 2:
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
    positions = {n: (column[n] * COLUMN_SPACING, row[n] * ROW_SPACING) for n in order}
    if current and positions:
        dx = min(x for x, _ in current.values()) - min(x for x, _ in positions.values())
        dy = min(y for _, y in current.values()) - min(y for _, y in positions.values())
        positions = {n: (x + dx, y + dy) for n, (x, y) in positions.items()}
    return positions
