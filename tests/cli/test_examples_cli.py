"""The examples ship inside the package and are usable by name; ``playground --version``.

A pip or pipx install has no checkout around it, so everything here runs from a folder that
holds no project files (``monkeypatch.chdir``): only what the package carries can be found.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import pytest

import playground
from playground.cli import main
from playground.core.examples import (
    OTHER_TOPIC,
    Lesson,
    by_topic,
    examples_dir,
    resolve_project_arg,
    shipped_examples,
)

ROOT = Path(__file__).resolve().parents[2]
NAMES = [e.name for e in shipped_examples()]
#: The examples the README and the lectures refer to by name.
KNOWN = {"spiral", "residual_mlp_spiral", "vanishing_sigmoid_digits", "relu_he_digits", "lenet_digits"}


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder outside the checkout."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_the_examples_are_package_data() -> None:
    package = Path(playground.__file__).resolve().parent
    assert examples_dir().resolve().is_relative_to(package)
    assert set(NAMES) >= KNOWN
    assert {p.stem for p in examples_dir().glob("*.json")} == set(NAMES), "every example file is listed"


def test_examples_lists_name_title_and_a_one_line_note(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    for example in shipped_examples():
        assert example.note, f"{example.name} has a note"
        assert "\n" not in example.note
        title = json.loads(example.path.read_text(encoding="utf-8"))["name"]
        assert example.title == title
        assert any(line.split(None, 1) == [example.name, title] for line in out.splitlines())
        assert example.note in out
    assert out.index("spiral ") < out.index("lenet_digits "), "in the notes file's (the lectures') order"


def test_examples_are_listed_under_their_lecture_topics(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples"]) == 0
    lines = capsys.readouterr().out.splitlines()
    headings = [line[:-1] for line in lines if line.endswith(":") and not line.startswith(" ")]
    assert headings == list(by_topic(shipped_examples()))
    assert headings[:2] == ["The basic machine", "Vanishing and exploding gradients"]
    for topic, examples in by_topic(shipped_examples()).items():
        start = lines.index(f"{topic}:")
        block = lines[start + 1:lines.index("", start) if "" in lines[start:] else None]
        assert [line.split()[0] for line in block if not line.startswith("   ")] == [e.name for e in examples]


def test_examples_name_prints_the_whole_lesson(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples", "vanishing_sigmoid_digits"]) == 0
    out = capsys.readouterr().out
    lesson = next(e for e in shipped_examples() if e.name == "vanishing_sigmoid_digits").lesson
    assert out.startswith("Vanishing gradients: 10 sigmoid layers  (vanishing_sigmoid_digits, "
                          "Vanishing and exploding gradients)")
    flat = " ".join(out.split())
    for heading, text in (("Look at:", lesson.look), ("Then change:", lesson.change), ("Why:", lesson.why)):
        assert f"{heading} {text}" in flat


def test_examples_with_an_unknown_name_is_a_user_error(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples", "no_such_example"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no_such_example")
    assert "Traceback" not in err


@pytest.fixture
def resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped examples without a notes file, read instead of the package's."""
    folder = tmp_path / "resources"
    shutil.copytree(examples_dir(), folder / "examples")
    monkeypatch.setenv("PLAYGROUND_RESOURCES", str(folder))
    return folder


@pytest.mark.parametrize("notes", [None, "{not json", "[1, 2]", '"a string"'])
def test_a_missing_or_damaged_notes_file_costs_the_lessons_only(resources: Path, notes: str | None,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    if notes is not None:
        (resources / "example_notes.json").write_text(notes, encoding="utf-8")
    found = shipped_examples()
    assert [e.name for e in found] == sorted(NAMES), "every example, by name"
    assert {e.lesson for e in found} == {Lesson()}
    assert main(["examples"]) == 0
    assert capsys.readouterr().out.startswith(f"{OTHER_TOPIC}:\n")


def test_an_older_notes_file_of_one_line_notes_still_reads(resources: Path) -> None:
    notes = {"spiral": "A one-line note.", "lenet_digits": "Another one."}
    (resources / "example_notes.json").write_text(json.dumps(notes), encoding="utf-8")
    found = {e.name: e for e in shipped_examples()}
    assert [e.name for e in shipped_examples()][:2] == ["spiral", "lenet_digits"], "still the file's order"
    assert found["spiral"].note == "A one-line note."
    assert found["spiral"].lesson == Lesson(note="A one-line note.")
    assert found["spiral"].topic == OTHER_TOPIC
    assert not found["spiral"].lesson.complete


def test_a_lesson_with_wrong_types_keeps_what_it_can(resources: Path) -> None:
    notes = {"spiral": {"topic": 3, "note": "Two\nlines.", "look": ["x"], "why": "Because.", "extra": 1},
             "lenet_digits": 7}
    (resources / "example_notes.json").write_text(json.dumps(notes), encoding="utf-8")
    found = {e.name: e for e in shipped_examples()}
    assert found["spiral"].lesson == Lesson(topic=OTHER_TOPIC, note="Two lines.", why="Because.")
    assert found["lenet_digits"].lesson == Lesson()


@pytest.mark.parametrize("name", NAMES)
def test_every_shipped_example_passes_check_by_name(name: str, elsewhere: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", name]) == 0, capsys.readouterr().err
    assert "ok: the network is valid" in capsys.readouterr().out


def test_the_name_may_carry_the_json_suffix(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "lenet_digits.json"]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith("LeNet on digits: dataset 'digits'")


def test_a_real_file_of_that_name_wins(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = json.loads((examples_dir() / "spiral.json").read_text(encoding="utf-8"))
    mine["name"] = "My own spiral"
    for file_name in ("spiral.json", "spiral"):
        (elsewhere / file_name).write_text(json.dumps(mine), encoding="utf-8")
        assert resolve_project_arg(file_name) == Path(file_name)
        assert main(["check", file_name]) == 0, capsys.readouterr().err
        assert capsys.readouterr().out.startswith("My own spiral:")


@pytest.mark.parametrize("text", ["sub/spiral.json", "./spiral", ""])
def test_only_a_bare_example_name_is_resolved(text: str, elsewhere: Path) -> None:
    assert resolve_project_arg(text) == Path(text)


def test_an_unknown_name_is_a_user_error(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "no_such_example"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no_such_example")
    assert "playground examples" in err
    assert "Traceback" not in err


def test_train_and_export_take_an_example_name(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = elsewhere / "run"
    assert main(["train", "spiral", "--epochs", "1", "--run-dir", str(run_dir)]) == 0, capsys.readouterr().err
    assert {"metrics.jsonl", "model.safetensors", "project.json"} <= {p.name for p in run_dir.iterdir()}
    out = elsewhere / "spiral.safetensors"
    assert main(["export", "spiral", "--format", "safetensors", "-o", str(out)]) == 0, capsys.readouterr().err
    assert out.stat().st_size > 0


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"playground {importlib.metadata.version('nn-playground')}\n"


def test_the_package_and_its_metadata_agree_on_the_version() -> None:
    """pyproject.toml reads the version from ``playground.__version__``; a stale editable
    install (metadata from before a version bump) fails here: reinstall with scripts/setup.sh."""
    assert importlib.metadata.version("nn-playground") == playground.__version__


def test_version_without_importing_torch_or_qt() -> None:
    """``--version`` answers at once: it needs neither PyTorch nor Qt."""
    code = ("import sys; from playground.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'PySide6'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"playground {playground.__version__}", "[]"]


def package_data_patterns() -> list[str]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [f"playground/{p}" for p in config["tool"]["setuptools"]["package-data"]["playground"]]


def test_package_data_covers_every_resource_file() -> None:
    """What the app reads from resources/ is declared package data (the slow test below builds
    the wheel itself; CI installs it and trains an example outside the checkout)."""
    patterns = package_data_patterns()
    resources = Path(playground.__file__).resolve().parent / "resources"
    files = [p.relative_to(ROOT).as_posix() for p in resources.rglob("*") if p.is_file()]
    assert files
    assert [f for f in files if not any(fnmatch(f, pattern) for pattern in patterns)] == []


@pytest.mark.slow
def test_the_built_wheel_carries_the_resources(tmp_path: Path) -> None:
    """Built from the files git knows (as scripts/wheel_check.sh does), so a stale build/ in the
    checkout cannot supply what the configuration fails to."""
    if not (ROOT / ".git").exists():
        pytest.skip("builds from the files a git checkout knows")
    source = tmp_path / "source"
    known = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout
    for name in filter(None, known.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "wheel"),
                    str(source)], check=True, timeout=600)
    (wheel,) = (tmp_path / "wheel").glob("nn_playground-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"nn_playground-{playground.__version__}.dist-info/METADATA").decode()
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "playground" / "resources").rglob("*") if p.is_file()}
    assert shipped <= names
    assert "playground/resources/datasets/digits.npz" in names
    assert "License-Expression: MIT" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
