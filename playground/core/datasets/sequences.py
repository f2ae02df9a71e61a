"""Sequence datasets: characters of a text to predict one after another, a memory task, and
sine waves to continue.

``text`` is the lecture's classic recurrent demo, character-level language modelling: every
character is a token, and at each position the network predicts the next one. The text is cut
into non-overlapping windows and split by position (training text first, the test text last),
because neighbouring windows share phrases: shuffled, the validation text would leak into
training. ``memory`` is the long-range task on which plain RNNs fail and LSTMs succeed: the
first symbol of a random sequence has to be recalled after all the others. ``sine`` is the
regression toy: each step of a wave predicts the next value, which needs the steps before it
(one value alone cannot tell rising from falling).

``text`` and ``memory`` hold token ids as float32 numbers like every other feature
(``DatasetMeta.vocab``), which only an Embedding reads; their normalisation is the identity.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from playground.core.datasets.base import (
    DataError,
    Dataset,
    DatasetEntry,
    DatasetMeta,
    LoadContext,
    build_dataset,
    register,
    resources_dir,
    samples_param,
    seed_param,
    test_fraction_param,
)
from playground.core.datasets.files import MAX_CLASSES
from playground.core.params import Param
from playground.core.safe_read import read_capped

#: Shipped public-domain texts (credits in ``resources/datasets/README.md``): name -> (file, title).
CORPORA: dict[str, tuple[str, str]] = {
    "alice": ("alice.txt", "Alice's Adventures in Wonderland, Lewis Carroll (1865)"),
    "shakespeare": ("as_you_like_it.txt", "As You Like It, William Shakespeare (1599)"),
}
#: The largest text read: each character becomes 12 bytes of training data (a float32 input
#: id and an int64 target id), so 16 MB of text is about 200 MB in memory.
MAX_TEXT_BYTES = 16 << 20
#: Every distinct character is a class of the output; as many as any dataset may have.
MAX_VOCAB = MAX_CLASSES
#: The symbols of ``memory``, one per token id.
SYMBOLS = string.ascii_uppercase + string.ascii_lowercase + string.digits + "#@"

#: How the common characters that do not show themselves are named in the vocabulary's class
#: names (symbols every common desktop font has; the control pictures ␍ ␀ … are missing from most).
_VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}


def char_name(char: str) -> str:
    """A printable name of one character, for class names and previews: "␣" for a space, "⏎"
    for a newline, "⇥" for a tab, "U+XXXX" for anything else that prints as nothing."""
    if char in _VISIBLE:
        return _VISIBLE[char]
    return char if char.isprintable() else f"U+{ord(char):04X}"


def _source(params: dict[str, Any], ctx: LoadContext) -> Path:
    """The file the text comes from: the user's file when one is set, else the shipped corpus."""
    if params.get("path"):
        return ctx.resolve(params["path"])
    return resources_dir() / "datasets" / CORPORA[params["corpus"]][0]


def _stamp(path: Path) -> tuple[int, int] | None:
    """The file's modification time and size, so a changed file is read again; None when it
    cannot be statted (reading it then gives the message)."""
    try:
        st = path.stat()
    except (OSError, ValueError):
        return None
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=2)
def _decoded(path: Path, stamp: tuple[int, int] | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """The text of ``path`` as token ids and its sorted distinct characters, cached by the
    file's ``stamp``: the editor asks for the vocabulary on every edit."""
    raw = read_capped(path, DataError, MAX_TEXT_BYTES)
    try:
        # plain UTF-8, so the offset of a bad byte is the file's; a leading byte-order mark is dropped
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name} is not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    if not text:
        raise DataError(f"{path.name} is empty; the text dataset needs a text to learn from")
    # one 32-bit number per character (a UTF-8 decode never yields lone surrogates)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    alphabet, ids = np.unique(codes, return_inverse=True)
    if len(alphabet) > MAX_VOCAB:
        raise DataError(f"{path.name} has {len(alphabet):,} different characters; at most {MAX_VOCAB:,} are "
                        "supported (each one is a class the network predicts)")
    if len(alphabet) < 2:
        raise DataError(f"{path.name} has only one distinct character ({char_name(chr(alphabet[0]))}); "
                        "there is nothing to predict")
    ids = ids.reshape(-1).astype(np.uint16)  # a quarter of the int64 ids np.unique gives, while cached
    ids.flags.writeable = False
    return ids, tuple(chr(c) for c in alphabet)


def _read_text(params: dict[str, Any], ctx: LoadContext) -> tuple[Path, np.ndarray, tuple[str, ...]]:
    path = _source(params, ctx)
    ids, vocab = _decoded(path, _stamp(path))
    return path, ids, vocab


def _window_count(path: Path, ids: np.ndarray, params: dict[str, Any], ctx: LoadContext) -> int:
    """How many windows of ``seq_len`` + 1 characters the text holds; refuses a text too short
    to give training, validation and test at least one window each."""
    n, width = len(ids) // (params["seq_len"] + 1), params["seq_len"] + 1
    needed = 2 + (ctx.val_fraction > 0)
    if n < needed:
        raise DataError(f"{path.name} has {len(ids):,} characters: {n} window(s) of {width} (seq_len + 1); it "
                        f"needs at least {needed} (one each for training, validation and test). Use a longer "
                        "text or a smaller seq_len")
    return n


def _text_meta(vocab: tuple[str, ...], seq_len: int) -> DatasetMeta:
    return DatasetMeta((seq_len,), "classification", len(vocab), tuple(char_name(c) for c in vocab),
                       vocab=vocab, per_step_targets=True)


def peek_text(params: dict[str, Any], ctx: LoadContext) -> DatasetMeta:
    """The shapes and vocabulary of a text, through the same checks as loading it."""
    path, ids, vocab = _read_text(params, ctx)
    _window_count(path, ids, params, ctx)
    return _text_meta(vocab, params["seq_len"])


def load_text(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    """Windows of ``seq_len`` + 1 characters: x the ids of the first ``seq_len``, y those of the
    last ``seq_len`` (the next character at every position), split by position."""
    path, ids, vocab = _read_text(params, ctx)
    n, width = _window_count(path, ids, params, ctx), params["seq_len"] + 1
    windows = ids[: n * width].reshape(n, width)
    source = f"{params['corpus']} ({CORPORA[params['corpus']][1]})" if not params.get("path") else str(path)
    return build_dataset(
        "text", windows[:, :-1].astype(np.float32), windows[:, 1:].astype(np.int64),
        _text_meta(vocab, params["seq_len"]), ctx, seed=0, test_fraction=params["test_fraction"],
        source=path.name, by_position=True,
        info={"source": source, "characters": len(ids)},
    )


def _memory_meta(params: dict[str, Any]) -> DatasetMeta:
    symbols = tuple(SYMBOLS[: params["vocab"]])
    return DatasetMeta((params["seq_len"],), "classification", params["vocab"], symbols, vocab=symbols)


def memory(rng: np.random.Generator, n: int, seq_len: int, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences of ``seq_len`` symbols drawn uniformly (ids ``(n, seq_len)``) and their
    first symbols ``(n,)``: chance is 1 / ``vocab``, and nothing after the first step helps."""
    x = rng.integers(0, vocab, size=(n, seq_len))
    return x, x[:, 0].copy()


def load_memory(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    x, y = memory(np.random.default_rng(params["seed"]), params["samples"], params["seq_len"], params["vocab"])
    return build_dataset("memory", x.astype(np.float32), y, _memory_meta(params), ctx, seed=params["seed"],
                         test_fraction=params["test_fraction"], info={"source": "generated: recall the first symbol"})


def _sine_meta(params: dict[str, Any]) -> DatasetMeta:
    return DatasetMeta((params["seq_len"], 1), "regression", 1, per_step_targets=True)


def sine_waves(rng: np.random.Generator, n: int, seq_len: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """``n`` waves of ``seq_len`` + 1 steps, each with its own period (10 to 50 steps), phase and
    amplitude (0.5 to 1), plus Gaussian noise of standard deviation ``noise``: the first
    ``seq_len`` values ``(n, seq_len, 1)`` and, at every step, the next one."""
    steps = np.arange(seq_len + 1)
    frequency = rng.uniform(0.02, 0.1, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    amplitude = rng.uniform(0.5, 1.0, size=(n, 1))
    wave = amplitude * np.sin(2 * np.pi * frequency * steps + phase) + rng.normal(0.0, 1.0, (n, seq_len + 1)) * noise
    return wave[:, :-1, None], wave[:, 1:, None]


def load_sine(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    x, y = sine_waves(np.random.default_rng(params["seed"]), params["samples"], params["seq_len"], params["noise"])
    return build_dataset("sine", x, y, _sine_meta(params), ctx, seed=params["seed"],
                         test_fraction=params["test_fraction"], info={"source": "generated: sine waves"})


register(
    DatasetEntry(
        name="text",
        title="Text (next character)",
        group="sequences",
        help="A text, one character at a time: at every position the network predicts the next character "
             "(character-level language modelling, the classic recurrent demo). A shipped public-domain book, "
             "or your own UTF-8 text file.",
        params=(
            Param("corpus", "choice", "alice", "The shipped public-domain text: " + "; ".join(
                f"{name}: {title}" for name, (_, title) in CORPORA.items()) + ". Ignored when a file is chosen.",
                choices=tuple(CORPORA)),
            Param("path", "path", None, "Your own UTF-8 text file (at most 16 MB); when set, it is used instead "
                  "of the corpus.", nullable=True, label="Text file"),
            Param("seq_len", "int", 64, "Characters per training sequence: how far back through time the "
                  "gradient flows.", minimum=2, maximum=1024, label="Sequence length"),
            test_fraction_param(0.1),
        ),
        load=load_text,
        path_params=("path",),
        peek=peek_text,
    )
)

register(
    DatasetEntry(
        name="memory",
        title="Memory (recall the first symbol)",
        group="sequences",
        help="Random sequences of symbols; the answer is the first one, seen seq_len steps before the end. "
             "A plain RNN forgets it over long sequences (its gradient vanishes through time); an LSTM's "
             "gates can carry it.",
        params=(
            Param("seq_len", "int", 20, "Symbols per sequence: how many steps the first one must be "
                  "remembered.", minimum=2, maximum=200, label="Sequence length"),
            Param("vocab", "int", 8, "How many different symbols: chance is one in this many.",
                  minimum=2, maximum=len(SYMBOLS), label="Symbols"),
            samples_param(4000, 100_000),
            test_fraction_param(0.2),
            seed_param(),
        ),
        load=load_memory,
        meta=_memory_meta,
    )
)

register(
    DatasetEntry(
        name="sine",
        title="Sine waves (next value)",
        group="sequences",
        help="Sine waves of random frequency, phase and amplitude; at every step the network predicts the "
             "next value. One value alone cannot tell a rising wave from a falling one: the network has to "
             "remember the steps before (sequence regression).",
        params=(
            Param("seq_len", "int", 40, "Steps per sequence.", minimum=2, maximum=500, label="Sequence length"),
            samples_param(2000, 100_000),
            Param("noise", "float", 0.0, "Standard deviation of the noise added to every value: 0 is a clean "
                  "wave, 0.3 hides its shape.", minimum=0.0, maximum=1.0),
            test_fraction_param(0.2),
            seed_param(),
        ),
        load=load_sine,
        meta=_sine_meta,
    )
)
