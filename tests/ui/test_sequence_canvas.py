"""The canvas shows a recurrent network's shapes: token ids on the Input, (T, F) sequences after
it, in words in the tooltips, and the Recurrent group in its own colour."""

from __future__ import annotations

from collections.abc import Callable

from playground.core.layers import GROUPS
from playground.ui.main_window import MainWindow
from playground.ui.theme import GROUP_COLORS
from tests.ui.helpers import chain

Factory = Callable[..., MainWindow]


def test_a_char_lstm_shows_ids_then_sequences(make_window: Factory) -> None:
    project = chain(("in", "Input"), ("emb", "Embedding"), ("lstm", "LSTM"), ("out", "Output"),
                    dataset={"name": "memory", "seq_len": 12, "vocab": 5})
    project.graph.nodes["lstm"].params["return_sequences"] = False
    window = make_window(project)
    nodes = window.scene.nodes
    assert [nodes[n].shape_text for n in ("in", "emb", "lstm", "out")] == ["12 ids", "12×32", "64", "5"]
    assert "output 12 token ids" in nodes["in"].toolTip()
    assert "output a sequence of 12 steps × 32 features" in nodes["emb"].toolTip()
    assert nodes["lstm"].params_text == f"{4 * (64 * (32 + 64) + 2 * 64):,} params"


def test_the_recurrent_group_has_its_own_colour() -> None:
    assert set(GROUPS) <= set(GROUP_COLORS)
    assert len(set(GROUP_COLORS.values())) == len(GROUP_COLORS)
