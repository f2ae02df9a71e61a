"""``playground compare PROJECT --vary PATH=V1,V2 [--vary ...] [--epochs N] [--seeds K] -o DIR``.

Trains every combination of the varied values (× K seeds) one after another, one run folder
per variant under DIR, then prints the table that ``DIR/summary.csv`` holds. Every variant is
checked before the first one trains. Ctrl-C stops the variant that is training (its row and
folder stay), starts no other, and still writes and prints the summary; a second Ctrl-C aborts.
A --vary that is not PATH=VALUES is a usage error (exit 2); a PATH or value the project cannot
take is a user error (exit 1), as is a variant that could not start; a variant that diverged is
a result like any other (its row says so) and the exit status stays 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playground.cli.interrupt import first_ctrl_c_calls
from playground.cli.train import INTERRUPTED
from playground.core.compare import (
    CompareListener,
    Comparison,
    Variant,
    VariantResult,
    Vary,
    parse_vary,
    plan_variants,
    summary_table,
)
from playground.core.examples import resolve_project_arg
from playground.core.params import UserError
from playground.core.project import load_project
from playground.core.training import Trainer


def _vary(text: str) -> Vary:
    try:
        return parse_vary(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _count(text: str) -> int:
    value = int(text) if text.isdecimal() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="the project file, or the name of a shipped example")
    parser.add_argument("--vary", type=_vary, action="append", default=[], metavar="PATH=V1,V2",
                        help="a setting and its values: training.FIELD, dataset.FIELD, graph.NODE_ID.PARAM or "
                        "graph.*.PARAM (every node that has PARAM); values are JSON where they parse (0.1, true, "
                        "null, {\"max\": 1}), else text (relu); repeat to vary several settings together")
    parser.add_argument("--seeds", type=_count, metavar="K", help="train each variant K times, with training.seed "
                        "= the project's seed + 0 ... K-1")
    parser.add_argument("--epochs", type=_count, metavar="N", help="train every variant for N epochs")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="DIR",
                        help="a new or empty folder for the run folders and summary.csv")


class _Progress(CompareListener):
    """One line on stderr as each variant starts and ends (stdout keeps the table)."""

    def __init__(self, total: int) -> None:
        self.total = total

    def on_variant_start(self, variant: Variant, trainer: Trainer) -> None:
        epochs = trainer.config.epochs
        print(f"[{variant.index}/{self.total}] {variant.label}: training {epochs} epoch{'s' if epochs != 1 else ''} "
              f"into {variant.name}/", file=sys.stderr)

    def on_variant_end(self, result: VariantResult) -> None:
        if result.status not in ("finished", "early_stopped"):
            print(f"[{result.variant.index}/{self.total}] {result.status.replace('_', ' ')}: {result.message}",
                  file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    project = load_project(resolve_project_arg(args.project))
    variants = plan_variants(project, args.vary, seeds=args.seeds, epochs=args.epochs)
    comparison = Comparison(variants, args.output, trainer_options={"probes": False})
    with first_ctrl_c_calls(comparison.stop, "stopping this variant after its current step; no other starts"):
        results = comparison.run(_Progress(len(variants)))
    print(summary_table(results))
    print(f"wrote {comparison.summary_path} and {len(results)} run folder{'s' if len(results) != 1 else ''}")
    if comparison.stopped:
        print(f"stopped: {len(variants) - len(results)} of {len(variants)} variants did not start", file=sys.stderr)
        return INTERRUPTED
    failed = [r for r in results if r.status == "failed"]
    if failed:
        print(f"error: {len(failed)} of {len(results)} variants could not train; {failed[0].variant.label}: "
              f"{failed[0].message}", file=sys.stderr)
        return 1
    return 0
