"""The ``playground`` command: the app, and the headless check, train, export and examples commands.

Each subcommand lives in its own module and is imported only when used, so ``playground
check`` never loads Qt and the GUI starts without importing the exporters.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from playground.core.logs import setup_logging
from playground.core.params import UserError
from playground.core.version import app_version

log = logging.getLogger(__name__)
VERBOSE_FLAGS = ("-v", "--verbose")

#: subcommand -> module under ``playground.cli`` with ``add_arguments(parser)`` and ``run(args) -> int``.
SUBCOMMANDS = {
    "check": "Validate a project; print each node's output shape and parameter count.",
    "train": "Train a project headless and write metrics, weights and the resolved project.",
    "export": "Export a project's or run's model as ONNX, torch.export, safetensors or Python code.",
    "compare": "Train a project once per combination of varied settings (x seeds) and tabulate the results.",
    "examples": "List the example projects shipped with the app (their names work as PROJECT).",
    "generate": "Print text sampled from a network trained on the text dataset.",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 user error, 2 usage error)."""
    argv, verbose = _take_verbose(list(sys.argv[1:] if argv is None else argv))
    log_file = setup_logging(verbose)
    log.debug("playground %s (Python %s, %s)", " ".join(argv), sys.version.split()[0], sys.platform)
    if argv and argv[0] in SUBCOMMANDS:
        name = argv[0]
        module = importlib.import_module(f"playground.cli.{name}")
        parser = argparse.ArgumentParser(prog=f"playground {name}", description=SUBCOMMANDS[name])
        module.add_arguments(parser)
        _add_verbose(parser, verbose)
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
        parser.add_argument("--version", action="version", version=f"playground {app_version()}")
        _add_verbose(parser, verbose)
        args = parser.parse_args(argv)
        runner = module.run
    try:
        return int(runner(args) or 0)
    except UserError as exc:
        # the cause's traceback is kept when the refusal wraps another error (an exporter's, say)
        log.info("refused: %s", exc, exc_info=exc.__cause__ is not None)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one paragraph for the person, the traceback for the report
        log.exception("unexpected error in 'playground %s'", " ".join(argv))
        print(f"error: unexpected {type(exc).__name__}: {exc}. The playground did not expect this (a bug); "
              f"the full report is in the log file {log_file}: please attach it when you report the problem.",
              file=sys.stderr)
        return 1


def _take_verbose(argv: list[str]) -> tuple[list[str], bool]:
    """``argv`` without ``-v``/``--verbose``, and whether it was there: taken out before dispatch so
    every subcommand and the app accept it in any position without each parser declaring it."""
    rest = [a for a in argv if a not in VERBOSE_FLAGS]
    return rest, len(rest) != len(argv)


def _add_verbose(parser: argparse.ArgumentParser, verbose: bool) -> None:
    """Declare the flag so ``--help`` lists it and ``args.verbose`` says whether it was given
    (main() has already taken it out of the arguments)."""
    parser.add_argument(*VERBOSE_FLAGS, action="store_true", default=verbose,
                        help="log debug details too, and print them on stderr")


if __name__ == "__main__":
    raise SystemExit(main())
