"""Declarative parameter schemas shared by layers, datasets and training settings.

One schema type serves validation (the CLI and the project loader), the defaults that make
every ``params`` key optional, and the inspector widgets the editor builds: a parameter is
described once and every consumer reads the same description.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

ParamKind = Literal["int", "float", "bool", "choice", "str", "path", "ints"]

#: Longest path a project may name, in characters, and longest single file or folder name in
#: UTF-8 bytes (the usual NAME_MAX): longer ones make the operating system raise instead of answer.
MAX_PATH_CHARS = 1024
MAX_NAME_BYTES = 255


@dataclass(frozen=True)
class Problem:
    """One thing wrong with user input, named so a person can find and fix it.

    ``node`` is the node id when the problem belongs to a node; ``field`` is a dotted path
    to the offending value (``"params.units"``, ``"training.lr"``, ``"dataset.path"``).
    Problems are values, not exceptions, so an editor can show all of them at once.
    """

    message: str
    node: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        return self.message


class UserError(Exception):
    """Bad user input that deserves a one-paragraph message rather than a traceback."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class Param:
    """A named, typed, bounded setting with a default and a one-sentence help text."""

    name: str
    kind: ParamKind
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    choices: tuple[str, ...] = ()
    nullable: bool = False
    label: str = ""
    log_scale: bool = False
    null_label: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def describe_range(self) -> str:
        """The allowed values in words, for messages and tooltips."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind in ("str", "path"):
            return "a text" if self.kind == "str" else "a file or folder path"
        if self.kind == "ints":
            low, high = self.extra.get("length", (1, 8))
            return f"a list of {low} to {high} values, each {self._element().describe_range()}"
        what = "a whole number" if self.kind == "int" else "a number"
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            left = "above" if self.min_exclusive else "from"
            right = "below" if self.max_exclusive else "to"
            return f"{what} {left} {_fmt(lo)} {right} {_fmt(hi)}"
        if lo is not None:
            return f"{what} {'above' if self.min_exclusive else 'of at least'} {_fmt(lo)}"
        if hi is not None:
            return f"{what} {'below' if self.max_exclusive else 'of at most'} {_fmt(hi)}"
        return what

    def check(self, value: Any) -> tuple[Any, str | None]:
        """Return the normalised value, or an error text saying what is allowed."""
        if value is None:
            if self.nullable:
                return None, None
            return None, f"must be {self.describe_range()}, got null"
        if self.kind == "bool":
            if isinstance(value, bool):
                return value, None
            return None, f"must be true or false, got {show_value(value)}"
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value, None
            return None, f"must be {self.describe_range()}, got {show_value(value)}"
        if self.kind == "ints":
            return self._check_ints(value)
        if self.kind in ("str", "path"):
            if not (isinstance(value, str) and (value.strip() or self.kind == "str")):
                return None, f"must be {self.describe_range()}, got {show_value(value)}"
            unusable = _path_problem(value) if self.kind == "path" else None
            return (None, unusable) if unusable else (value, None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"must be {self.describe_range()}, got {show_value(value)}"
        if self.kind == "int":
            if isinstance(value, float) and not value.is_integer():
                return None, f"must be {self.describe_range()}, got {show_value(value)}"
            value = int(value)
        else:
            try:
                value = float(value)
            except OverflowError:  # an int beyond float range
                value = math.inf
            if not math.isfinite(value):
                return None, f"must be {self.describe_range()}, got {show_value(value)}"
        if not self._in_range(value):
            return None, f"must be {self.describe_range()}, got {show_value(value)}"
        return value, None

    def _element(self) -> Param:
        """One item of an "ints" list: a whole number in this parameter's range."""
        return replace(self, kind="int", default=None, nullable=False)

    def _check_ints(self, value: Any) -> tuple[Any, str | None]:
        """A list (``extra["length"]``: its shortest and longest) of whole numbers in range, as a tuple."""
        low, high = self.extra.get("length", (1, 8))
        if isinstance(value, (list, tuple)) and low <= len(value) <= high:
            checked = [self._element().check(v) for v in value]
            if not any(error for _, error in checked):
                return tuple(v for v, _ in checked), None
        return None, f"must be {self.describe_range()}, got {show_value(value)}"

    def _in_range(self, value: float) -> bool:
        lo, hi = self.minimum, self.maximum
        if lo is not None and (value <= lo if self.min_exclusive else value < lo):
            return False
        return not (hi is not None and (value >= hi if self.max_exclusive else value > hi))


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def _path_problem(path: str) -> str | None:
    """Why the operating system would refuse ``path`` outright (rather than say it is missing)."""
    if "\x00" in path:
        return "contains a NUL character, which no file name can hold"
    if len(path) > MAX_PATH_CHARS:
        return f"is {len(path):,} characters long; a path may have at most {MAX_PATH_CHARS:,}"
    longest = max(path.replace("\\", "/").split("/"), key=lambda part: len(part.encode("utf-8", "surrogatepass")))
    if len(longest.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return (f"has a file or folder name of more than {MAX_NAME_BYTES} bytes ({show_value(longest)}); "
                "shorten it")
    return None


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 2, 4, 4, 40, 40


def show_value(value: Any) -> str:
    """A short rendering of a user's value for a message: bounded in length and nesting, and
    safe for numbers too long to print in full (Python refuses ints over 4,300 digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"a number of about {int(value.bit_length() * math.log10(2)) + 1:,} digits"
    if isinstance(value, str):
        text = _SHORT.repr(value)
    else:
        text = (_SHORT.repr(value) if isinstance(value, (list, dict, tuple)) else str(value)).replace(
            "True", "true").replace("False", "false")
    return text if len(text) <= 40 else text[:37] + "..."


def resolve_params(
    schema: Sequence[Param],
    given: Any,
    *,
    owner: str,
    node: str | None = None,
    field_prefix: str = "params",
) -> tuple[dict[str, Any], list[Problem]]:
    """Fill defaults, check types and ranges, and reject unknown names.

    ``owner`` starts every message (for example ``"Dense 'h1'"`` or ``"training"``) so the
    text names its culprit wherever it is shown. Invalid values fall back to the default in
    the returned dict so later stages (shape inference) can still run and report more.
    """
    problems: list[Problem] = []
    by_name = {p.name: p for p in schema}
    resolved = {p.name: p.default for p in schema}
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        problems.append(
            Problem(f"{owner}: {field_prefix} must be an object of name: value pairs", node, field_prefix)
        )
        return resolved, problems
    for name, value in given.items():
        where = f"{field_prefix}.{name}" if field_prefix else str(name)
        param = by_name.get(name)
        if param is None:
            known = ", ".join(by_name) or "none"
            problems.append(
                Problem(f"{owner}: unknown parameter '{name}' (known: {known})", node, where)
            )
            continue
        checked, error = param.check(value)
        if error:
            problems.append(Problem(f"{owner}: {param.name} {error}", node, where))
        else:
            resolved[name] = checked
    return resolved, problems


def non_default(schema: Sequence[Param], values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from their defaults: what a saved file needs to record."""
    defaults = {p.name: p.default for p in schema}
    return {k: v for k, v in values.items() if k not in defaults or defaults[k] != v}
