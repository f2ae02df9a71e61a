"""The example projects shipped inside the package.

``playground examples`` lists them and File > Examples offers them; wherever a PROJECT path is
expected, an example's name works too (``playground train lenet_digits``), so an installed app
can be tried without finding its files. An example is ``resources/examples/NAME.json``: its
name is the file stem, its title the project's ``name``, and its lesson comes from
``resources/example_notes.json``, since project files take no extra keys. There each name maps
to a lesson object (``topic``: the lecture topic it belongs to; ``note``: one line;
``look``: what to look at; ``change``: what to change next; ``why``: the one-sentence
reason), or, as before lessons existed, to the one-line note alone. The notes file also gives
the order of the list (the order the lectures take them in) and, by first appearance, of the
topics; an example it does not mention comes after the others, by name, with no note, under
``OTHER_TOPIC``. A damaged notes file or entry costs the lessons, never the examples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.datasets import resources_dir
from playground.core.params import UserError

EXAMPLES_FOLDER = "examples"
NOTES_FILE = "example_notes.json"
SUFFIX = ".json"
#: The topic of an example that the notes file gives none.
OTHER_TOPIC = "More examples"
#: The parts of a lesson besides its one-line note, in the order a reader takes them, with the
#: heading the Lesson panel and ``playground examples NAME`` show each under.
LESSON_PARTS: dict[str, str] = {"look": "Look at", "change": "Then change", "why": "Why"}


@dataclass(frozen=True)
class Lesson:
    """What an example teaches: one line for lists, and the side note shown when it opens."""

    topic: str = OTHER_TOPIC
    note: str = ""
    look: str = ""
    change: str = ""
    why: str = ""

    @property
    def complete(self) -> bool:
        """Every part is written: a student opening the example is told what to do with it."""
        return all((self.note, self.look, self.change, self.why)) and self.topic != OTHER_TOPIC


@dataclass(frozen=True)
class Example:
    """One shipped example: what ``playground examples`` prints about it, its file and its lesson."""

    name: str
    title: str
    note: str
    path: Path
    lesson: Lesson = Lesson()

    @property
    def topic(self) -> str:
        return self.lesson.topic


def examples_dir() -> Path:
    return resources_dir() / EXAMPLES_FOLDER


def _text(value: Any) -> str:
    """A lesson part as one clean line; anything but a string counts as unwritten."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def parse_lesson(entry: Any) -> Lesson:
    """One entry of the notes file: a lesson object, or a bare one-line note (the older form).
    Unknown keys are ignored and a wrong type leaves that part empty, so a newer or hand-edited
    file still lists every example."""
    if isinstance(entry, str):
        return Lesson(note=_text(entry))
    if not isinstance(entry, dict):
        return Lesson()
    topic = _text(entry.get("topic")) or OTHER_TOPIC
    parts = {key: _text(entry.get(key)) for key in ("note", *LESSON_PARTS)}
    return Lesson(topic=topic, **parts)


def _lessons() -> dict[str, Lesson]:
    """The notes file, or nothing when it is missing or unreadable: the examples still work."""
    try:
        notes = json.loads((resources_dir() / NOTES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): parse_lesson(v) for k, v in notes.items()} if isinstance(notes, dict) else {}


def _title(path: Path) -> str | None:
    """The project's ``name`` (its stem when it has none); None when the file cannot be read."""
    try:
        project = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) and name else path.stem


def shipped_examples() -> list[Example]:
    """Every readable example, in the notes file's order, then the rest by name."""
    lessons = _lessons()
    rank = {name: i for i, name in enumerate(lessons)}
    paths = sorted(examples_dir().glob(f"*{SUFFIX}"), key=lambda p: (rank.get(p.stem, len(rank)), p.stem))
    found = []
    for path in paths:
        title = _title(path)
        if title is not None:
            lesson = lessons.get(path.stem, Lesson())
            found.append(Example(path.stem, title, lesson.note, path, lesson))
    return found


def by_topic(examples: list[Example]) -> dict[str, list[Example]]:
    """The examples grouped by topic, topics in the order they first appear (the lectures')."""
    groups: dict[str, list[Example]] = {}
    for example in examples:
        groups.setdefault(example.topic, []).append(example)
    return groups


def example_for_path(path: Path) -> Example | None:
    """The shipped example whose file ``path`` is, or None (a project of the person's own)."""
    try:
        resolved = path.resolve()
    except OSError:
        return None
    return next((e for e in shipped_examples() if e.path.resolve() == resolved), None)


def example_path(name: str) -> Path | None:
    """The file of the shipped example called ``name`` (``lenet_digits`` or ``lenet_digits.json``);
    None when ``name`` is not a bare file name or no example has it."""
    if Path(name).name != name or name in ("", ".", ".."):
        return None
    stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name
    path = examples_dir() / f"{stem}{SUFFIX}"
    return path if stem and path.is_file() else None


def resolve_project_arg(text: str) -> Path:
    """The file a PROJECT argument names: a file or folder of that name when one exists (it
    always wins), else the shipped example of that name, else the path as given (so the
    loader's "no such file" message names what the person typed); a bare name that is
    neither is refused, pointing at the list of examples."""
    path = Path(text)
    if path.exists():
        return path
    found = example_path(text)
    if found is None and path.name == text and text not in ("", ".", ".."):
        raise UserError(f"{text}: no such file, and no shipped example has that name "
                        "('playground examples' lists them)")
    return found or path
