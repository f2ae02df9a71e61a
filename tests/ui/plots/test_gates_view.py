"""Gates: heat maps of an LSTM's or GRU's gates along a chosen validation sequence, computed from
the live model through the picture requests; a plain RNN is said to have none."""

from __future__ import annotations

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from playground.core.sequence_probe import gate_activations
from playground.core.training import Trainer
from playground.ui.plots.gates import GatesView
from playground.ui.plots.live import RunInfo
from tests.ui.plots.conftest import Show, deliver, drawn_share
from tests.ui.plots.test_time_grad_view import STEPS, memory_trainer, sequence_project


def started(show: Show, trainer: Trainer) -> tuple[GatesView, RunInfo]:
    view = show(GatesView(), 620, 560)
    info = RunInfo.of(trainer)
    view.start_run(info, None)
    return view, info


@pytest.mark.parametrize(("kind", "gates"), [("LSTM", ["input", "forget", "cell", "output"]),
                                              ("GRU", ["reset", "update", "new"])])
def test_each_gate_is_a_map_of_steps_by_units_of_the_chosen_sequence(show: Show, kind: str,
                                                                      gates: list[str]) -> None:
    trainer = memory_trainer(kind)
    view, info = started(show, trainer)
    assert view.node_box.count() == 1
    assert view.node_box.currentText() == f"{kind} 'rec'"
    assert deliver(view, trainer, info) == ["gates"]
    picture = view.picture()
    assert picture is not None
    assert list(picture.gates) == gates
    assert list(view._plots) == gates
    for gate, (_plot, image) in view._plots.items():
        assert image.image.shape == (32, STEPS), "units down, steps across"
        assert gate in view._titles[gate].text
    first = trainer.dataset.val.x[0].numpy().astype(int)
    symbols = "".join(info.meta.class_names[i] for i in first)
    assert symbols in view.caption.text, "the sequence is shown as its symbols"
    assert drawn_share(view) > 0.3
    header, rows = view.data_table()
    assert len(rows) == len(gates) * STEPS * 32
    assert rows[0][:5] == ["rec", 1, gates[0], 0, 0]


def test_another_sequence_asks_again_and_a_late_picture_of_the_old_one_is_dropped(show: Show,
                                                                                   qtbot: QtBot) -> None:
    trainer = memory_trainer("LSTM")
    view, info = started(show, trainer)
    stale = view.picture_requests(info)[0].compute(trainer)
    with qtbot.waitSignal(view.picturesWanted):
        view.sequence_spin.setValue(5)
    assert view.picture() is None
    with qtbot.waitSignal(view.picturesWanted):
        view.on_picture("gates", stale)  # the first sequence's: the fifth is asked for at once
    assert view.picture() is None
    deliver(view, trainer, info)
    assert view.picture().index == 4
    own = view.picture().gates["forget"]
    sequence = trainer.dataset.val.x[4].numpy()
    assert np.array_equal(own, gate_activations(trainer.model, "rec", sequence)["forget"])


def test_a_plain_rnn_is_said_to_have_no_gates(show: Show) -> None:
    trainer = memory_trainer("RNN")
    view, info = started(show, trainer)
    deliver(view, trainer, info)
    assert "A plain RNN has no gates" in (view.run_reason(info) or "")
    assert view.reason.isVisible()
    assert view._plots == {}


def test_without_a_recurrent_layer_it_says_what_to_add(show: Show) -> None:
    project = sequence_project(("in", "Input", {}), ("emb", "Embedding", {}), ("flat", "Flatten", {}),
                               ("out", "Output", {}))
    view, info = started(show, Trainer(project, report_interval=None, probes=False))
    assert "add an LSTM or GRU" in (view.reason_shown() or "")
    assert view.picture_requests(info) == []

