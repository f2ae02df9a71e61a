"""The log (issue 11 §1): unexpected errors are one paragraph for the person and a full
traceback in the log file, ``--verbose`` shows debug lines, setup is idempotent and never
crashes the app, ``PLAYGROUND_HOME`` moves the file, uncaught errors on any thread are logged."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import playground.cli.check
from playground.cli import main
from playground.core import logs, user_dirs
from playground.core.params import UserError


@pytest.fixture(autouse=True)
def _fresh_logger() -> Iterator[None]:
    """Each test configures the ``playground`` logger itself; none leaves handlers behind."""
    yield
    logger = logging.getLogger(logs.ROOT)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.NOTSET)


def project_file(folder: Path) -> Path:
    path = folder / "p.json"
    path.write_text(json.dumps({
        "format": "nn-playground/1", "name": "p", "dataset": {"name": "xor", "samples": 40},
        "graph": {"nodes": [{"id": "in", "type": "Input"}, {"id": "out", "type": "Output"}],
                  "edges": [["in", "out"]]},
    }))
    return path


def own_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger(logs.ROOT).handlers if getattr(h, logs._OWN, False)]


def test_an_unexpected_error_is_one_paragraph_and_its_traceback_is_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_check(args: object) -> int:
        raise RuntimeError("the shape table fell over")

    monkeypatch.setattr(playground.cli.check, "run", broken_check)
    assert main(["check", str(project_file(tmp_path))]) == 1
    err = capsys.readouterr().err
    log_file = user_dirs.log_file()
    assert err.startswith("error: unexpected RuntimeError: the shape table fell over.")
    assert str(log_file) in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    text = log_file.read_text()
    assert "Traceback (most recent call last)" in text
    assert "in broken_check" in text
    assert "RuntimeError: the shape table fell over" in text


def test_user_errors_stay_one_line_and_are_not_logged_as_crashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path / "missing.json")]) == 1
    assert capsys.readouterr().err.startswith("error: ")
    assert "Traceback" not in user_dirs.log_file().read_text()


def test_a_refusal_that_wraps_another_error_keeps_its_traceback_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refusing(args: object) -> int:
        try:
            raise OSError("the exporter's own failure")
        except OSError as exc:
            raise UserError("could not write the export: OSError: the exporter's own failure") from exc

    monkeypatch.setattr(playground.cli.check, "run", refusing)
    assert main(["check", str(project_file(tmp_path))]) == 1
    assert capsys.readouterr().err == "error: could not write the export: OSError: the exporter's own failure\n"
    text = user_dirs.log_file().read_text()
    assert "INFO playground.cli" in text
    assert "in refusing" in text


@pytest.mark.parametrize("flag", ["-v", "--verbose"])
def test_verbose_prints_debug_lines_on_stderr_in_any_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    path = str(project_file(tmp_path))
    assert main(["check", path]) == 0
    assert "DEBUG" not in capsys.readouterr().err
    for argv in ([flag, "check", path], ["check", path, flag]):
        assert main(argv) == 0
        out, err = capsys.readouterr()
        assert "DEBUG playground.cli: playground check" in err
        assert "ok: the network is valid" in out
    assert "DEBUG" in user_dirs.log_file().read_text()


def test_setup_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup_logging()
    logs.setup_logging()
    assert [type(h).__name__ for h in own_handlers()] == ["RotatingFileHandler"]
    logs.setup_logging(verbose=True)
    logs.setup_logging(verbose=True)
    assert sorted(type(h).__name__ for h in own_handlers()) == ["RotatingFileHandler", "StreamHandler"]
    logging.getLogger("playground.test").debug("once")
    assert capsys.readouterr().err.count("once") == 1
    logs.setup_logging()
    assert [type(h).__name__ for h in own_handlers()] == ["RotatingFileHandler"]


def test_playground_home_puts_the_log_file_under_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path / "portable"))
    path = logs.setup_logging()
    assert path == tmp_path / "portable" / "log" / "playground.log"
    logging.getLogger("playground.test").info("written here")
    for handler in own_handlers():
        handler.flush()
    assert "written here" in path.read_text()


def test_an_unwritable_log_folder_never_stops_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    monkeypatch.setenv("PLAYGROUND_HOME", str(blocker))
    logs.setup_logging()
    assert own_handlers() == []
    assert "going on without it" in capsys.readouterr().err
    logging.getLogger("playground.test").info("nowhere to go")
    assert main(["check", str(project_file(tmp_path))]) == 0


def test_uncaught_exceptions_on_any_thread_are_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "excepthook", lambda *args: None)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    logs.install_excepthooks()
    logs.install_excepthooks()
    try:
        raise ValueError("from a slot")
    except ValueError:
        sys.excepthook(*sys.exc_info())

    def worker() -> None:
        raise KeyError("from a worker thread")

    thread = threading.Thread(target=worker, name="loader")
    thread.start()
    thread.join()
    records = [r for r in caplog.records if r.name == "playground.core.logs"]
    assert [r.getMessage() for r in records] == ["uncaught exception", "uncaught exception in thread loader"]
    assert "ValueError: from a slot" in caplog.text
    assert "KeyError: 'from a worker thread'" in caplog.text
