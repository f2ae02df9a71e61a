"""The example projects shipped inside the package.

``playground examples`` lists them and File > Examples offers them; wherever a PROJECT path is
expected, an example's name works too (``playground train lenet_digits``), so an installed app
can be tried without finding its files. An example is ``resources/examples/NAME.json``: its
name is the file stem, its title the project's ``name``, and its one-line note comes from
``resources/example_notes.json`` (``{name: note}``), since project files take no extra keys.
The notes file also gives the order of the list (the order the lectures take them in); an
example it does not mention comes after the others, by name, with no note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from playground.core.datasets import resources_dir
from playground.core.params import UserError

EXAMPLES_FOLDER = "examples"
NOTES_FILE = "example_notes.json"
SUFFIX = ".json"


@dataclass(frozen=True)
class Example:
    """One shipped example: what ``playground examples`` prints about it, and its file."""

    name: str
    title: str
    note: str
    path: Path


def examples_dir() -> Path:
    return resources_dir() / EXAMPLES_FOLDER


def _notes() -> dict[str, str]:
    """The notes file, or nothing when it is missing or unreadable: the examples still work."""
    try:
        notes = json.loads((resources_dir() / NOTES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in notes.items()} if isinstance(notes, dict) else {}


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
    notes = _notes()
    rank = {name: i for i, name in enumerate(notes)}
    paths = sorted(examples_dir().glob(f"*{SUFFIX}"), key=lambda p: (rank.get(p.stem, len(rank)), p.stem))
    found = []
    for path in paths:
        title = _title(path)
        if title is not None:
            found.append(Example(path.stem, title, notes.get(path.stem, ""), path))
    return found


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
