"""ActivationView: one row per node in order, histograms as shares, the saturated and dead
fractions in the text, reports without probe results ignored."""

from __future__ import annotations

import numpy as np
import pytest

from playground.ui.plots.activations import ActivationView
from tests.ui.plots import fakes
from tests.ui.plots.conftest import Show
from tests.ui.plots.populated import activation_view


def test_rows_follow_the_node_order_with_statistics_in_the_text(show: Show) -> None:
    view = show(activation_view())
    assert list(view._rows) == ["h1", "act1", "h2", "drop", "out"]
    rows = view._rows
    assert "saturated <b>62%</b>" in rows["h1"].act_caption.text
    assert "dead <b>19%</b>" in rows["act1"].act_caption.text
    assert "mean" in rows["h2"].act_caption.text
    assert "std" in rows["h2"].act_caption.text
    assert rows["drop"].weight_caption.text == "no weights"
    assert "max |w|" in rows["h1"].weight_caption.text
    assert view.colors.warning.name() in rows["h1"].act_caption.text, "a saturated majority is a warning"
    x, y = rows["h1"].act_curve.getOriginalDataset()
    assert len(x) == len(y) + 1, "bin edges and counts"
    assert y.sum() == pytest.approx(100.0), "bins as shares of the values"


def test_reports_without_probes_are_ignored_and_the_newest_measurement_wins(show: Show) -> None:
    view = show(ActivationView())
    rng = np.random.default_rng(1)
    old = fakes.report(10, activations={"a": fakes.activation(rng, "relu")}, weights={"a": fakes.weights(rng, 8)})
    new = fakes.report(20, activations={"a": fakes.activation(rng, "sigmoid")}, weights=None)
    view.add_reports([old, new, fakes.report(30)])
    view.flush()
    assert view._step == 20
    assert "saturated" in view._rows["a"].act_caption.text
    assert view.title_label.text().endswith("step 20")
    header, rows = view.data_table()
    assert len(rows) == len(new.activations["a"].histogram.counts)
    assert dict(zip(header, rows[0]))["kind"] == "activation"
