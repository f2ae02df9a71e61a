"""The sequence views filled with realistic made-up data (shared by the common view tests through
``populated.VIEWS`` and by ``shots.py``): an RNN's gradient fading through time kept under an
LSTM's, an LSTM's gates on a memory sequence, and text written by a half-trained network."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from playground.core.sequence_probe import GatesPicture, TextPicture
from playground.ui.plots.base import PlotView
from playground.ui.plots.gates import GatesView
from playground.ui.plots.text import TextView
from playground.ui.plots.time_grad import TimeGradView
from tests.ui.plots import fakes

SYMBOLS = tuple("ABCDEFGH")
STEPS = 20


def through_time(decay: float, steps: int = STEPS, seed: int = 0) -> list[float]:
    """Gradient norms shrinking by ``decay`` per step back from the last, with some noise."""
    rng = np.random.default_rng(seed)
    return [float(0.04 * decay ** (steps - 1 - t) * rng.uniform(0.7, 1.3)) for t in range(steps)]


def time_grad_view() -> TimeGradView:
    """The lecture's picture on memory: the RNN of run 1 kept (fading by nine decades over 20
    steps), the LSTM of run 2 holding its gradient."""
    view = TimeGradView()
    view.set_labels({"rec": "RNN 'rec'"})
    view._run = "run 1"
    view.add_reports([dataclasses.replace(fakes.report(400), time_grad={"rec": through_time(0.35)})])
    view.keep()
    view.set_labels({"rec": "LSTM 'rec'"})
    view.add_reports([dataclasses.replace(fakes.report(400), time_grad={"rec": through_time(0.93, seed=1)})])
    return view


def lstm_gates(units: int = 16, seed: int = 0) -> dict[str, np.ndarray]:
    """Gates of an LSTM that remembers the first symbol: a few units write at step 0 and then keep
    their cell (forget near 1, input near 0), the others follow the input."""
    rng = np.random.default_rng(seed)
    steps = np.arange(STEPS)[:, None]
    keepers = np.zeros(units, bool)
    keepers[:4] = True
    noise = rng.normal(0, 0.8, (STEPS, units))
    forget = 1 / (1 + np.exp(-np.where(keepers, 4.0 + noise * 0.3, noise)))
    write = np.where(keepers, (steps == 0) * 6.0 - 3.0, noise)
    gates = {"input": 1 / (1 + np.exp(-write)), "forget": forget,
             "cell": np.tanh(rng.normal(0, 1.2, (STEPS, units))),
             "output": 1 / (1 + np.exp(-(noise + np.where(keepers, 1.0, -0.5))))}
    return {name: value.astype(np.float32) for name, value in gates.items()}


def gates_view() -> GatesView:
    view = GatesView()
    view.set_nodes(["rec"], {"rec": "LSTM 'rec'"})
    sequences = np.random.default_rng(2).integers(0, len(SYMBOLS), (8, STEPS)).astype(np.float32)
    view.set_sequences(sequences, SYMBOLS)
    view.set_picture(GatesPicture("rec", 0, lstm_gates()))
    return view


LINE = "Alice was beginning to get very tired of sitting by her sister on the bank"


def text_view() -> TextView:
    """A character LSTM after a few epochs on Alice: English-looking words, some of them made up."""
    vocab = tuple(sorted(set(LINE + "\nAbdfhkmpuwy.,'")))
    ids = np.array([vocab.index(c) for c in LINE], np.int64)
    rng = np.random.default_rng(3)
    confidence = np.clip(rng.beta(2.0, 1.2, len(ids) - 1), 0.01, 0.99).astype(np.float32)
    view = TextView()
    view.set_vocabulary(vocab, ids[None])
    view.prompt.setText("Alice")
    sample = ("Alice was not a moment to be a little startled the Queen, and the Mock Turtle said to herself, "
              "'I wonder if I shall fall right through the wood,' she said the Hatter.\nThe King was a little "
              "shriek and went on.")
    view.set_picture(TextPicture("Alice", 0.8, 0, sample, ids, confidence))
    return view


#: The sequence views that draw on a pyqtgraph canvas (the Text view is text, like the Advisor:
#: ``shots.py`` renders it on its own).
SEQUENCE_VIEWS: dict[str, Callable[[], PlotView]] = {
    "time_grad": time_grad_view,
    "gates": gates_view,
}
