"""``playground [PROJECT.json]`` and ``playground --screenshot FILE.png``: the desktop app."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", metavar="PROJECT.json", help="a project file to open")
    parser.add_argument("--screenshot", metavar="FILE.png",
                        help="render the main window offscreen at 1440x900 to FILE.png, then exit")
    parser.add_argument("--train-steps", type=int, default=0, metavar="N",
                        help="with --screenshot: train N steps before rendering")
    parser.add_argument("--theme", choices=("system", "light", "dark"), default=None,
                        help="appearance (default: follow the system, or the last choice)")


def run(args: argparse.Namespace) -> int:
    from playground.ui.app import run_app

    return run_app(args)
