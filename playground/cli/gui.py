"""``playground [PROJECT.json]`` and ``playground --screenshot FILE.png``: the desktop app."""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", metavar="PROJECT.json",
                        help="a project file to open, or the name of a shipped example (see 'playground examples')")
    parser.add_argument("--screenshot", metavar="FILE.png",
                        help="render the main window offscreen at 1440x900 to FILE.png, then exit")
    parser.add_argument("--train-steps", type=int, default=0, metavar="N",
                        help="with --screenshot: train N steps before rendering")
    parser.add_argument("--theme", choices=("system", "light", "dark"), default=None,
                        help="appearance (default: follow the system, or the last choice)")


def run(args: argparse.Namespace) -> int:
    """Start the app, unless Qt would abort for want of a system library or a display: then
    say what to install (or set) and exit 1. Checked before Qt loads, since Qt's failure to
    load its platform plugin ends the process without a Python exception."""
    from playground.cli.qt_platform import import_advice, platform_problem
    from playground.core.examples import resolve_project_arg

    if args.project:
        args.project = resolve_project_arg(args.project)
    if args.screenshot and not any(os.environ.get(k) for k in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no display: render offscreen, as --help says
    problem = platform_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    try:
        from playground.ui.app import run_app
    except ImportError as exc:
        advice = import_advice(exc)
        if advice is None:
            raise
        print(advice, file=sys.stderr)
        return 1
    return run_app(args)
