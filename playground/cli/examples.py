"""``playground examples``: the example projects shipped with the app, and how to use one."""

from __future__ import annotations

import argparse

from playground.core.examples import shipped_examples


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: the list is short and always printed whole."""


def run(args: argparse.Namespace) -> int:
    """Name and title on one line, the note indented under them; exit 0 even when the list
    is empty (nothing is wrong with the command), but say so."""
    examples = shipped_examples()
    if not examples:
        print("no examples are installed with this copy of the playground")
        return 0
    width = max(len(e.name) for e in examples)
    for example in examples:
        print(f"{example.name:<{width}}  {example.title}")
        if example.note:
            print(f"{'':<{width}}  {example.note}")
    first = examples[0].name
    print(f"\nuse a name wherever a project file goes: playground {first}, playground check {first}, "
          f"playground train {first}")
    return 0
