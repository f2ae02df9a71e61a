"""Sequence data in every live view: the views about images, planes and curves say why they have
nothing to show (naming the sequences), and the sequence views apply where they should."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from playground.core.datasets import DatasetMeta
from playground.ui.plots.registry import LIVE_VIEWS

#: Memory at its shortest: two symbols are a sequence, not a point of the plane.
MEMORY = DatasetMeta((2,), "classification", 4, tuple("ABCD"), vocab=tuple("ABCD"))
TEXT = DatasetMeta((64,), "classification", 3, ("a", "b", "⏎"), vocab=("a", "b", "\n"), per_step_targets=True)
SINE = DatasetMeta((40, 1), "regression", 1, per_step_targets=True)
#: Views about images, planes, curves and autoencoders, none of which a sequence is.
NEVER = {"boundary", "fit", "reconstruction", "filters", "saliency", "feature_maps", "units"}


@pytest.mark.parametrize(("meta", "described", "applies", "not_applies"), [
    (MEMORY, "sequences of 2 symbols", {"time_grad", "gates", "confusion"}, NEVER | {"text"}),
    (TEXT, "sequences of 64 characters", {"time_grad", "gates", "text"}, NEVER | {"confusion"}),
    (SINE, "sequences of 40 steps of 1 feature", {"time_grad", "gates"}, NEVER | {"text", "confusion"}),
])
def test_each_view_applies_to_sequences_or_says_why_not(qtbot: QtBot, meta: DatasetMeta, described: str,
                                                        applies: set[str], not_applies: set[str]) -> None:
    assert not meta.is_plane
    reasons = {}
    for cls in LIVE_VIEWS:
        view = cls()
        qtbot.addWidget(view)
        reasons[cls.dock_id] = view.not_applicable(meta)
    assert {k for k in applies if reasons[k]} == set()
    assert {k for k in not_applies if not reasons[k]} == set()
    for key in NEVER:
        assert described in reasons[key], key
    if meta.per_step_targets and meta.is_tokens:
        assert "every position" in reasons["confusion"]
