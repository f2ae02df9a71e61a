"""confusion_matrix and ConfusionView."""

from __future__ import annotations

import numpy as np
import pytest

from playground.ui.plots.confusion import MAX_LABELLED, ConfusionView, confusion_matrix
from tests.ui.plots.conftest import Show


def test_confusion_matrix_counts_pairs() -> None:
    rng = np.random.default_rng(0)
    true, pred = rng.integers(0, 4, 500), rng.integers(0, 4, 500)
    m = confusion_matrix(true, pred, 4)
    expected = np.zeros((4, 4), int)
    for t, p in zip(true, pred):
        expected[t, p] += 1
    assert m.dtype == np.int64
    assert np.array_equal(m, expected)
    assert confusion_matrix([0, 1, 1], [0, 1, 0], 3).tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 0]]
    assert confusion_matrix([], [], 2).tolist() == [[0, 0], [0, 0]]


def test_confusion_matrix_rejects_bad_labels() -> None:
    with pytest.raises(ValueError, match="0..2"):
        confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match="length"):
        confusion_matrix([0, 1], [0], 3)


def test_view_shows_counts_shares_and_accuracy(show: Show) -> None:
    view = show(ConfusionView())
    m = np.array([[8, 2, 0], [1, 9, 0], [0, 5, 5]])
    view.set_matrix(m, ["cat", "dog", "a very long class name"])
    view.flush()
    assert view.accuracy() == pytest.approx(22 / 30)
    assert "Validation accuracy 73.3%" in view.caption.text
    assert np.allclose(view._shares().sum(axis=1), 1.0), "colour is the share of each true class"
    assert view.cells.texts() == [str(v) for v in m.ravel()]
    labels = [label for _, label in view.plot.getAxis("bottom")._tickLevels[0]]
    assert labels[:2] == ["cat", "dog"]
    assert labels[2].endswith("…")
    header, rows = view.data_table()
    assert header == ["true \\ predicted", "cat", "dog", "a very long class name"]
    assert rows[2] == ["a very long class name", 0, 5, 5]


def test_many_classes_leave_the_cells_unlabelled(show: Show) -> None:
    view = show(ConfusionView())
    k = MAX_LABELLED + 8
    view.set_matrix(np.eye(k, dtype=int) * 3)
    view.flush()
    assert view.cells.texts() == []
    assert view.accuracy() == 1.0
    with pytest.raises(ValueError, match="square"):
        view.set_matrix(np.zeros((2, 3)))
