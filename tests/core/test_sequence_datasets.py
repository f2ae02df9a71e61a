"""The sequence datasets: ``text`` (the next character at every position of a text, split by
position) and ``memory`` (recall a random sequence's first symbol), and what a person's own
text file may do wrong."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.datasets import DataError, LoadContext, dataset_meta, load_dataset, resolve_dataset_spec, sequences
from playground.core.datasets.base import resources_dir
from playground.core.datasets.sequences import CORPORA, MAX_VOCAB, char_name


def text_of(data: Any, *splits: str) -> str:
    """The text the windows of ``splits`` (all, in order, by default) were cut from: each
    window's inputs and its last target."""
    vocab = data.meta.vocab
    parts = []
    for name in splits or ("train", "val", "test"):
        split = getattr(data, name)
        for x, y in zip(split.x.long().tolist(), split.y.tolist()):
            parts.append("".join(vocab[i] for i in x) + vocab[y[-1]])
    return "".join(parts)


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / f"{uuid.uuid4().hex}.txt"  # a new name: a rewrite within one clock tick is not stale
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def load_file(path: Path, **params: Any) -> Any:
    return load_dataset({"name": "text", "path": str(path), **params})


def error_of(spec: dict[str, Any]) -> str:
    with pytest.raises(DataError) as excinfo:
        load_dataset(spec)
    return str(excinfo.value)


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize("corpus", list(CORPORA))
def test_a_shipped_corpus_is_a_real_text_of_at_least_100_kb(corpus: str) -> None:
    path = resources_dir() / "datasets" / CORPORA[corpus][0]
    raw = path.read_bytes()
    assert len(raw) >= 100_000
    assert b"Gutenberg" not in raw, "no Project Gutenberg licence text ships"
    data = load_dataset({"name": "text", "corpus": corpus})
    text = raw.decode("utf-8")
    assert data.meta.vocab == tuple(sorted(set(text)))
    assert 40 <= data.target_size <= 100, "letters, digits and punctuation of an English book"
    assert text.startswith(text_of(data)), "the windows cover the text in order"
    assert len(text_of(data)) > len(text) - 65


def test_the_target_at_each_position_is_the_next_character(tmp_path: Path) -> None:
    text = "The quick brown fox jumps over the lazy dog.\n" * 20
    data = load_file(write(tmp_path, text), seq_len=8)
    assert data.meta.input_shape == (8,)
    assert data.meta.per_step_targets
    assert data.meta.is_tokens
    for split in (data.train, data.val, data.test):
        assert split.x.dtype == torch.float32
        assert split.y.dtype == torch.int64
        assert split.y.shape == split.x.shape
        assert torch.equal(split.y[:, :-1], split.x[:, 1:].long()), "y[t] is the character after x[t]"
    n = len(text) // 9
    assert len(data.train) + len(data.val) + len(data.test) == n, "non-overlapping windows of seq_len + 1"
    assert text_of(data) == text[: n * 9]


def test_the_splits_are_cut_by_position_training_text_first() -> None:
    ctx = LoadContext(val_fraction=0.25)
    data = load_dataset({"name": "text", "seq_len": 32, "test_fraction": 0.1}, ctx)
    n = len(data.train) + len(data.val) + len(data.test)
    assert len(data.test) == round(n * 0.1)
    assert len(data.val) == round((n - len(data.test)) * 0.25), "validation from the training settings"
    text = (resources_dir() / "datasets" / "alice.txt").read_text("utf-8")
    train, val = len(data.train) * 33, len(data.val) * 33
    assert text_of(data, "train") == text[:train], "training text first"
    assert text_of(data, "val") == text[train:train + val], "then the validation text"
    assert text_of(data, "test") == text[train + val:train + val + len(data.test) * 33], "the test text last"


def test_token_ids_are_not_normalised_and_names_are_printable(tmp_path: Path) -> None:
    data = load_file(write(tmp_path, "a b\tc\nd\x01e " * 30), seq_len=4)
    assert torch.equal(data.mean, torch.zeros(4))
    assert torch.equal(data.std, torch.ones(4))
    assert data.meta.vocab == ("\x01", "\t", "\n", " ", "a", "b", "c", "d", "e")
    assert data.class_names == ("U+0001", "⇥", "⏎", "␣", "a", "b", "c", "d", "e")
    assert char_name("\r") == "U+000D"
    assert char_name("\u200b") == "U+200B"


def test_a_chosen_file_wins_over_the_corpus_and_resolves_from_the_project_folder(tmp_path: Path) -> None:
    path = write(tmp_path, "xyz" * 100)
    data = load_dataset({"name": "text", "corpus": "shakespeare", "path": path.name, "seq_len": 5},
                        LoadContext(base_dir=tmp_path))
    assert data.meta.vocab == ("x", "y", "z")
    assert dataset_meta({"name": "text", "path": str(path), "seq_len": 5}) == data.meta, "peek agrees"


def test_no_path_means_the_shipped_corpus_and_a_blank_one_is_named() -> None:
    _, params, problems = resolve_dataset_spec({"name": "text"})
    assert not problems
    assert params["path"] is None
    assert params["corpus"] == "alice"
    _, _, problems = resolve_dataset_spec({"name": "text", "path": " "})
    assert [p.field for p in problems] == ["dataset.path"]


def test_a_missing_file_is_named_before_loading(tmp_path: Path) -> None:
    _, _, problems = resolve_dataset_spec({"name": "text", "path": str(tmp_path / "gone.txt")})
    assert [p.field for p in problems] == ["dataset.path"]
    assert "gone.txt' does not exist" in problems[0].message


def test_a_file_that_is_not_utf8_is_refused_with_the_byte_offset(tmp_path: Path) -> None:
    path = write(tmp_path, b"plain text, then \xff\xfe" + b"x" * 200)
    message = error_of({"name": "text", "path": str(path)})
    assert f"{path.name} is not a UTF-8 text file" in message
    assert "at byte 17" in message
    marked = write(tmp_path, b"\xef\xbb\xbfabc\xc3(" + b"x" * 200)
    assert "at byte 6" in error_of({"name": "text", "path": str(marked)}), "counted from the file's start"


@pytest.mark.parametrize(("content", "expected"), [
    ("", "is empty"),
    ("a" * 500, "only one distinct character (a)"),
    ("ab" * 40, "80 characters: 1 window(s) of 65 (seq_len + 1); it needs at least 3"),
])
def test_texts_with_nothing_to_learn_are_refused_by_name(tmp_path: Path, content: str, expected: str) -> None:
    path = write(tmp_path, content)
    message = error_of({"name": "text", "path": str(path)})
    assert path.name in message
    assert expected in message
    with pytest.raises(DataError, match=re.escape(expected)):
        dataset_meta({"name": "text", "path": str(path)})


def test_too_many_distinct_characters_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "".join(chr(0x4E00 + i) for i in range(MAX_VOCAB + 1)) * 3)
    assert f"{MAX_VOCAB + 1:,} different characters; at most {MAX_VOCAB:,}" in error_of(
        {"name": "text", "path": str(path)})


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sequences, "MAX_TEXT_BYTES", 1000)
    path = write(tmp_path, "ab" * 600)
    assert "files over" in error_of({"name": "text", "path": str(path)})


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_device_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert "is a pipe (FIFO), not a file" in error_of({"name": "text", "path": str(fifo)})
    if Path("/dev/zero").exists():
        assert "is a device, not a file" in error_of({"name": "text", "path": "/dev/zero"})


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=300), seq_len=st.integers(2, 12))
def test_any_unicode_text_loads_and_round_trips_or_is_refused(tmp_path_factory: pytest.TempPathFactory,
                                                              text: str, seq_len: int) -> None:
    path = write(tmp_path_factory.mktemp("texts"), text)
    decoded = text.removeprefix("\ufeff")  # a leading byte-order mark is not part of the text
    if len(set(decoded)) < 2 or len(decoded) < 3 * (seq_len + 1):
        with pytest.raises(DataError, match=re.escape(path.name)):
            load_file(path, seq_len=seq_len)
        return
    data = load_file(path, seq_len=seq_len)
    text = decoded
    n = len(text) // (seq_len + 1)
    assert data.meta.vocab == tuple(sorted(set(text)))
    assert text_of(data) == text[: n * (seq_len + 1)]
    assert len(data.class_names) == data.target_size == len(data.meta.vocab)
    assert all(name.isprintable() and name for name in data.class_names)


# --------------------------------------------------------------------------- memory


def test_memory_asks_for_the_first_symbol_of_each_sequence() -> None:
    data = load_dataset({"name": "memory"})
    assert data.meta.input_shape == (20,)
    assert data.meta.vocab == data.class_names == tuple("ABCDEFGH")
    assert not data.meta.per_step_targets
    assert len(data.train) + len(data.val) + len(data.test) == 4000
    for split in (data.train, data.val, data.test):
        assert split.y.shape == (len(split),)
        assert torch.equal(split.y, split.x[:, 0].long())
    assert torch.equal(data.mean, torch.zeros(20))
    assert torch.equal(data.std, torch.ones(20))


def test_memory_answers_are_at_chance_without_the_first_step() -> None:
    data = load_dataset({"name": "memory", "vocab": 4, "seq_len": 30, "samples": 8000})
    x, y = data.train.x.long().numpy(), data.train.y.numpy()
    share = np.bincount(y, minlength=4) / len(y)
    assert np.allclose(share, 0.25, atol=0.03), "every symbol equally likely: chance is 1/vocab"
    for step in (1, 15, 29):
        assert abs((x[:, step] == y).mean() - 0.25) < 0.03, "later symbols say nothing about the answer"
    assert set(np.unique(x)) == {0, 1, 2, 3}


def test_memory_is_the_same_for_a_seed_and_differs_between_seeds() -> None:
    spec = {"name": "memory", "samples": 300, "seq_len": 5}
    a = sequences.load_memory(resolve_dataset_spec(spec)[1], LoadContext())
    b = sequences.load_memory(resolve_dataset_spec(spec)[1], LoadContext())
    c = sequences.load_memory(resolve_dataset_spec({**spec, "seed": 9})[1], LoadContext())
    assert torch.equal(a.train.x, b.train.x)
    assert torch.equal(a.test.y, b.test.y)
    assert not torch.equal(a.train.x, c.train.x)


@pytest.mark.parametrize(("field", "value"), [("vocab", 1), ("vocab", 65), ("seq_len", 1), ("seq_len", 201)])
def test_memory_bounds_are_named(field: str, value: int) -> None:
    _, _, problems = resolve_dataset_spec({"name": "memory", field: value})
    assert [p.field for p in problems] == [f"dataset.{field}"]


# --------------------------------------------------------------------------- sine


def test_sine_predicts_the_next_value_at_every_step() -> None:
    data = load_dataset({"name": "sine", "seq_len": 30, "samples": 500})
    assert data.meta.input_shape == (30, 1)
    assert data.meta.is_sequence
    assert not data.meta.is_tokens
    assert data.meta.per_step_targets
    for split in (data.train, data.val, data.test):
        assert split.y.shape == split.x.shape
        assert torch.equal(split.y[:, :-1], split.x[:, 1:]), "y[t] is the value after x[t]"
    values = data.train.x.numpy()
    assert 0.5 <= np.abs(values).max(axis=1).mean() <= 1.0, "amplitudes from 0.5 to 1"
    assert data.mean.shape == data.std.shape == (1,), "one feature's statistics over every step"


def test_sine_noise_scatters_the_values_by_its_standard_deviation() -> None:
    clean = load_dataset({"name": "sine", "samples": 400, "seed": 3})
    noisy = load_dataset({"name": "sine", "samples": 400, "seed": 3, "noise": 0.2})
    residual = (noisy.train.x - clean.train.x).numpy()
    assert residual.std() == pytest.approx(0.2, rel=0.1)
