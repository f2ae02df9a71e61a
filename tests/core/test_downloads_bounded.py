"""Downloads are the user's business and bounded (issue 11 §4).

A project file must not choose where the app connects or writes: an older file's ``mirror``
and ``cache_dir`` open but are ignored. A download never reads past the file's known size,
keeps nothing unless size and MD5 match, and leaves no partial file behind, whatever a
server sends: an endless stream, more than declared, the wrong bytes, a dropped connection.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.core.datasets import REGISTRY, DataError, LoadContext, downloads, load_dataset
from playground.core.project import check_project, load_project
from tests.core.io_helpers import local_server

PAYLOAD = bytes(range(256)) * 20  # 5,120 bytes: stands in for every MNIST file
EXPECTED = downloads.Expected(hashlib.md5(PAYLOAD).hexdigest(), len(PAYLOAD))


@dataclass
class Reply:
    """What the server sends for a path: a body, the Content-Length it declares (None: none,
    the body ends when the connection closes), whether it then streams forever, or stops early."""

    body: bytes = PAYLOAD
    declared: int | None = len(PAYLOAD)
    endless: bool = False
    drop_after: int | None = None


@dataclass
class Server:
    url: str
    replies: dict[str, Reply] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    default: Reply = field(default_factory=Reply)


class _Handler(http.server.BaseHTTPRequestHandler):
    server_state: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server_state
        state.requests.append(self.path)
        reply = state.replies.get(self.path, state.default)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if reply.declared is not None:
            self.send_header("Content-Length", str(reply.declared))
        self.end_headers()
        body = reply.body if reply.drop_after is None else reply.body[:reply.drop_after]
        try:
            self.wfile.write(body)
            while reply.endless:
                self.wfile.write(b"\0" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    handler = type("Handler", (_Handler,), {})
    with local_server(handler, monkeypatch) as url:
        handler.server_state = state = Server(url)
        yield state


@pytest.fixture
def user_mnist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: Server) -> Path:
    """The user's settings: dataset folder ``tmp_path/datasets``, MNIST mirror the local server,
    every MNIST file expected to be ``PAYLOAD``. Returns the MNIST folder."""
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "datasets"))
    monkeypatch.setenv("PLAYGROUND_MNIST_MIRROR", server.url)
    monkeypatch.setitem(downloads.EXPECTED, "mnist", dict.fromkeys(downloads.FILES, EXPECTED))
    return tmp_path / "datasets" / "mnist"


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def load_mnist(**params: Any) -> Any:
    """MNIST through its registry loader (past the dataset cache, which these tests would fool)."""
    return REGISTRY["mnist"].load({"cache_dir": "", "mirror": "", "download": True, "seed": 1, **params},
                                  LoadContext())


def refused(target: Path, url: str) -> str:
    """Fetch ``url``, expect a one-line refusal, and that nothing is left in the folder."""
    with pytest.raises(DataError) as excinfo:
        downloads.fetch(url, target, EXPECTED)
    text = str(excinfo.value)
    assert "\n" not in text
    assert url in text
    assert "nothing was saved" in text
    assert files_under(target.parent) == []
    return text


# --------------------------------------------------------------------------- hostile servers


def test_an_endless_stream_is_cut_at_the_known_size(tmp_path: Path, server: Server) -> None:
    server.replies["/endless"] = Reply(declared=None, endless=True)
    text = refused(tmp_path / "dl" / "file.gz", server.url + "endless")
    assert f"larger than the expected {len(PAYLOAD):,} bytes" in text


def test_a_larger_declared_size_is_refused_before_reading(tmp_path: Path, server: Server) -> None:
    server.replies["/huge"] = Reply(declared=761_000_000, endless=True)
    text = refused(tmp_path / "dl" / "file.gz", server.url + "huge")
    assert f"the server says it has 761,000,000 bytes, expected {len(PAYLOAD):,}" in text


def test_more_bytes_than_declared_never_become_the_file(tmp_path: Path, server: Server) -> None:
    server.replies["/more"] = Reply(body=PAYLOAD + b"tail", declared=None)
    assert "larger than the expected" in refused(tmp_path / "dl" / "file.gz", server.url + "more")


def test_a_wrong_checksum_keeps_nothing(tmp_path: Path, server: Server) -> None:
    server.replies["/wrong"] = Reply(body=PAYLOAD[::-1])
    assert "its MD5 is" in refused(tmp_path / "dl" / "file.gz", server.url + "wrong")


def test_a_dropped_connection_keeps_nothing(tmp_path: Path, server: Server) -> None:
    server.replies["/drop"] = Reply(declared=None, drop_after=1000)
    text = refused(tmp_path / "dl" / "file.gz", server.url + "drop")
    assert f"stopped after 1,000 of {len(PAYLOAD):,} bytes" in text


def test_a_connection_dropped_before_its_declared_length_keeps_nothing(tmp_path: Path, server: Server) -> None:
    server.replies["/cut"] = Reply(drop_after=3000)
    target = tmp_path / "dl" / "file.gz"
    with pytest.raises((DataError, OSError, downloads.http.client.HTTPException)):
        downloads.fetch(server.url + "cut", target, EXPECTED)
    assert files_under(target.parent) == []


def test_an_interrupt_while_downloading_removes_the_partial_file(
    tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = downloads.urllib.request.urlopen

    def interrupted_after_one_chunk(url: str, timeout: float) -> Any:
        response = opened(url, timeout=timeout)
        read = response.read
        calls = []

        def read_then_interrupt(amount: int) -> bytes:
            calls.append(amount)
            if len(calls) > 1:
                raise KeyboardInterrupt
            return read(min(amount, 100))

        response.read = read_then_interrupt
        return response

    monkeypatch.setattr(downloads.urllib.request, "urlopen", interrupted_after_one_chunk)
    target = tmp_path / "dl" / "file.gz"
    with pytest.raises(KeyboardInterrupt):
        downloads.fetch(server.url + "any", target, EXPECTED)
    assert files_under(target.parent) == []


# One server for all examples: each sets the reply it wants before fetching.
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.binary(max_size=len(PAYLOAD) + 50),
    st.integers(0, len(PAYLOAD) + 50).map(lambda n: (PAYLOAD * 2)[:n]),
    st.integers(0, len(PAYLOAD) - 1).map(lambda i: PAYLOAD[:i] + bytes([PAYLOAD[i] ^ 1]) + PAYLOAD[i + 1:]),
), honest=st.booleans())
def test_only_the_expected_bytes_are_ever_kept(tmp_path_factory: pytest.TempPathFactory, server: Server,
                                                body: bytes, honest: bool) -> None:
    server.default = Reply(body=body, declared=len(body) if honest else None)
    target = tmp_path_factory.mktemp("dl") / "file.gz"
    if body == PAYLOAD:
        downloads.fetch(server.url + "file.gz", target, EXPECTED)
        assert target.read_bytes() == PAYLOAD
        assert files_under(target.parent) == ["file.gz"]
    else:
        refused(target, server.url + "file.gz")


def test_a_refused_download_names_the_file_and_writes_only_in_the_dataset_folder(
    tmp_path: Path, server: Server, user_mnist: Path
) -> None:
    server.default = Reply(declared=None, endless=True)
    with pytest.raises(DataError) as excinfo:
        load_mnist()
    assert "train-images-idx3-ubyte.gz" in str(excinfo.value)
    assert files_under(tmp_path) == []
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")] == ["datasets", "datasets/mnist"]


def test_partial_files_a_killed_download_left_are_removed_by_the_next(
    tmp_path: Path, server: Server, user_mnist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_mnist.mkdir(parents=True)
    stale = user_mnist / ".train-images-idx3-ubyte.gz.k1ll3d.part"
    live = user_mnist / ".t10k-images-idx3-ubyte.gz.running.part"
    for part in (stale, live):
        part.write_bytes(b"half a file")
    old = stale.stat().st_mtime - downloads.STALE_PART_S - 60
    os.utime(stale, (old, old))
    server.default = Reply(body=b"")
    with pytest.raises(DataError):
        load_mnist()
    assert not stale.exists()
    assert live.exists()  # another process may still be writing it


# --------------------------------------------------------------------------- projects choose nothing


def write_old_project(folder: Path, mirror: str) -> Path:
    """A project file as older versions wrote it: MNIST with its own mirror and cache folder."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "handed.json"
    path.write_text(json.dumps({
        "format": "nn-playground/1", "name": "handed",
        "dataset": {"name": "mnist", "mirror": mirror, "cache_dir": "elsewhere/cache", "download": True},
        "graph": {"nodes": [{"id": "in", "type": "Input"}, {"id": "f", "type": "Flatten"},
                            {"id": "out", "type": "Output"}],
                  "edges": [["in", "f"], ["f", "out"]]},
    }))
    return path


def test_an_old_project_with_mirror_and_cache_dir_opens_and_is_told_they_are_ignored(tmp_path: Path) -> None:
    path = write_old_project(tmp_path / "project", "http://attacker.invalid/")
    project = load_project(path)
    result = check_project(project)
    assert result.ok, result.problems
    notes = downloads.ignored_settings(project.dataset)
    assert len(notes) == 2
    assert "mirror 'http://attacker.invalid/' is ignored" in " ".join(notes)
    assert "PLAYGROUND_MNIST_MIRROR" in " ".join(notes)
    assert "cache_dir 'elsewhere/cache' is ignored" in " ".join(notes)
    assert not (tmp_path / "project" / "elsewhere").exists()
    assert downloads.ignored_settings({"name": "mnist"}) == []
    assert downloads.ignored_settings({"name": "spiral", "mirror": "x"}) == []


def test_loading_a_projects_dataset_never_contacts_its_mirror(
    tmp_path: Path, server: Server, user_mnist: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    """The project names a server that would answer; the user's mirror is offline: nothing may
    reach the project's server, and nothing is written next to the project."""
    monkeypatch.setenv("PLAYGROUND_MNIST_MIRROR", "http://127.0.0.1:9/")  # the user's mirror: refused
    path = write_old_project(tmp_path / "project", server.url)
    project = load_project(path)
    with pytest.raises(DataError) as excinfo:
        load_dataset(project.dataset, project.load_context())  # what the window's loader runs
    assert server.requests == []
    assert "http://127.0.0.1:9/" in str(excinfo.value)
    assert str(user_mnist) in str(excinfo.value)
    assert files_under(tmp_path / "project") == ["handed.json"]
    assert "mirror" in caplog.text
    assert "is ignored" in caplog.text


def test_the_users_mirror_and_folder_serve_a_project_that_named_others(
    tmp_path: Path, server: Server, user_mnist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the files on the user's mirror, the same old project trains from the user's folder."""
    images = np.zeros((2, 1, 28, 28), np.uint8)
    monkeypatch.setattr(downloads, "read_idx_pair", lambda *paths: (images, np.zeros(2, np.uint8)))
    monkeypatch.setattr(downloads, "build_dataset", lambda *args, **kwargs: kwargs["info"])
    info = load_mnist(mirror="http://127.0.0.1:9/", cache_dir=str(tmp_path / "project-cache"))
    assert info["folder"] == str(user_mnist)
    assert sorted(server.requests) == sorted(f"/{file}" for file in downloads.FILES)
    assert files_under(user_mnist) == sorted(downloads.FILES)
    assert not (tmp_path / "project-cache").exists()
    assert os.listdir(tmp_path) == ["datasets"]
