"""``playground examples [NAME]``: the example projects shipped with the app, and how to use one.

Without a name, the list: under each lecture topic, every example's name and title on one line
and its one-line note indented under them. With a name, that example's whole lesson (what to
look at, what to change next, why), the text the app's Lesson panel shows when it opens.
"""

from __future__ import annotations

import argparse
import textwrap

from playground.core.examples import LESSON_PARTS, Example, by_topic, example_path, shipped_examples
from playground.core.params import UserError

WIDTH = 88


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="an example's name: print its whole lesson")


def run(args: argparse.Namespace) -> int:
    """Exit 0 even when the list is empty (nothing is wrong with the command), but say so; an
    unknown name is a user error naming it."""
    examples = shipped_examples()
    if args.name:
        return _show_lesson(args.name, examples)
    if not examples:
        print("no examples are installed with this copy of the playground")
        return 0
    width = max(len(e.name) for e in examples)
    groups = by_topic(examples)
    for i, (topic, group) in enumerate(groups.items()):
        if i:
            print()
        print(f"{topic}:")
        for example in group:
            print(f"  {example.name:<{width}}  {example.title}")
            if example.note:
                print(f"  {'':<{width}}  {example.note}")
    first = examples[0].name
    print(f"\nuse a name wherever a project file goes: playground {first}, playground check {first}, "
          f"playground train {first}; playground examples {first} prints its lesson")
    return 0


def _show_lesson(name: str, examples: list[Example]) -> int:
    path = example_path(name)
    found = next((e for e in examples if path is not None and e.path == path), None)
    if found is None:
        raise UserError(f"{name}: no shipped example has that name ('playground examples' lists them)")
    lesson = found.lesson
    print(f"{found.title}  ({found.name}, {lesson.topic})")
    if lesson.note:
        print(textwrap.fill(lesson.note, WIDTH))
    for key, heading in LESSON_PARTS.items():
        text = getattr(lesson, key)
        if text:
            print(f"\n{heading}:")
            print(textwrap.fill(text, WIDTH, initial_indent="  ", subsequent_indent="  "))
    print(f"\nplayground {found.name} opens it; playground train {found.name} trains it headless")
    return 0
