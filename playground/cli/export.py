"""``playground export (PROJECT.json | RUN_DIR) --format F [--training-script] -o FILE``.

A run folder exports its trained weights; a bare project exports the model as training would
start it (built with the training seed), and says so, so nobody ships an untrained network by
mistake. Every export is verified before it is put in place, and the verification is printed.
"""

from __future__ import annotations

import argparse
import sys

from playground.core.examples import resolve_project_arg
from playground.core.export import EXPORTERS, export_project, load_run
from playground.core.project import load_project


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="PROJECT.json|RUN_DIR",
                        help="a project file or a shipped example's name (exports the initialised model) or a run "
                             "folder written by "
                             "'playground train --run-dir' (exports the trained model)")
    parser.add_argument("--format", required=True, choices=list(EXPORTERS),
                        help="; ".join(f"{e.name}: {e.help}" for e in EXPORTERS.values()))
    parser.add_argument("--training-script", action="store_true",
                        help="with --format py: write a complete training script (and its data as an .npz "
                             "next to it) instead of the model code alone")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")


def run(args: argparse.Namespace) -> int:
    if args.training_script and "training_script" not in EXPORTERS[args.format].options:
        print("playground export: error: --training-script needs --format py", file=sys.stderr)
        return 2
    target = resolve_project_arg(args.target)
    if target.is_dir():
        project, weights_file = load_run(target)
        weights = weights_file.tensors
    else:
        project = load_project(target)
        weights = None
        print(f"note: {target} has no trained weights; exporting the initialised model "
              f"(training seed {project.train_config().seed})", file=sys.stderr)
    result = export_project(project, args.output, args.format, weights=weights,
                            training_script=args.training_script)
    exporter = EXPORTERS[result.format]
    opset = f", opset {result.opset}" if result.opset is not None else ""
    print(f"wrote {result.path} ({exporter.title}{opset})")
    for extra in result.extra_files:
        print(f"wrote {extra} (the data the training script reads)")
    print(result.message)
    return 0
