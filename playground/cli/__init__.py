"""The ``playground`` command: the app, and the headless check, train and export commands.

Each subcommand lives in its own module and is imported only when used, so ``playground
check`` never loads Qt and the GUI starts without importing the exporters.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from playground.core.params import UserError

#: subcommand -> module under ``playground.cli`` with ``add_arguments(parser)`` and ``run(args) -> int``.
SUBCOMMANDS = {
    "check": "Validate a project; print each node's output shape and parameter count.",
    "train": "Train a project headless and write metrics, weights and the resolved project.",
    "export": "Export a project's or run's model as ONNX, torch.export, safetensors or Python code.",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 user error, 2 usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        name = argv[0]
        module = importlib.import_module(f"playground.cli.{name}")
        parser = argparse.ArgumentParser(prog=f"playground {name}", description=SUBCOMMANDS[name])
        module.add_arguments(parser)
        args = parser.parse_args(argv[1:])
        runner = module.run
    else:
        module = importlib.import_module("playground.cli.gui")
        parser = argparse.ArgumentParser(
            prog="playground",
            description="Neural Network Playground. Without a subcommand, opens the app.",
            epilog="subcommands:\n" + "\n".join(f"  {k:<8} {v}" for k, v in SUBCOMMANDS.items())
            + "\nrun 'playground SUBCOMMAND --help' for their options",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(parser)
        args = parser.parse_args(argv)
        runner = module.run
    try:
        return int(runner(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
