"""``playground check PROJECT.json``: validate and print the model summary table."""

from __future__ import annotations

import argparse
import sys

from playground.core.datasets.downloads import ignored_settings
from playground.core.examples import resolve_project_arg
from playground.core.layers import describe, describe_tokens
from playground.core.project import check_project, load_project
from playground.core.shapes import format_shape


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT.json",
                        help="the project file to check, or the name of a shipped example")


def run(args: argparse.Namespace) -> int:
    project = load_project(resolve_project_arg(args.project))
    result = check_project(project)
    meta = result.meta
    header = f"{project.name}: dataset '{project.dataset.get('name')}'"
    if meta is not None:
        target = (f"{meta.target_size} classes" if meta.target_kind == "classification"
                  else f"{meta.target_size} regression target{'s' if meta.target_size > 1 else ''}")
        shown = describe_tokens(meta.input_shape[0]) if meta.is_tokens else describe(meta.input_shape)
        header += f", input {shown}, {target}"
    print(header)
    rows = [("node", "type", "output", "parameters")]
    for node_id in result.report.order or list(result.report.nodes):
        r = result.report.nodes[node_id]
        rows.append((node_id, r.type, format_shape(r.shape, r.tokens), f"{r.parameters:,}"))
    rows.append(("total", "", "", f"{result.report.total_parameters:,}"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for i, row in enumerate(rows):
        if i == len(rows) - 1:
            print("-" * (sum(widths) + 6))
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]:>{widths[3]}}")
    if result.problems:
        print(f"\n{args.project}: {len(result.problems)} problem{'s' if len(result.problems) > 1 else ''}:",
              file=sys.stderr)
        for p in result.problems:
            print(f"  error: {p.message}", file=sys.stderr)
        return 1
    for note in ignored_settings(project.dataset):
        print(f"note: {note}")
    print("\nok: the network is valid")
    return 0
