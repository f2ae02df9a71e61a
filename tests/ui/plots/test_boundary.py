"""BoundaryView: heat map over the plane, train and test points, hidden-unit pictures."""

from __future__ import annotations

import numpy as np
import pytest

from playground.core.probes import Grid
from playground.ui.plots.boundary import MAX_UNITS, BoundaryView
from tests.ui.plots import fakes
from tests.ui.plots.conftest import Show
from tests.ui.plots.populated import boundary_view


def test_shows_points_heat_map_and_unit_pictures(show: Show) -> None:
    view = show(boundary_view())
    assert view.point_counts() == (200, 60)
    assert view.unit_count() == 16
    grid = fakes.moons_grid()
    values, levels = view.heat_values()
    assert np.allclose(values, grid.values[..., 1]), "two classes: P(class 1)"
    assert levels == pytest.approx((0.0, 1.0))
    rgb = view.heat.image[..., :3].astype(int)
    blue_minus_red = rgb[..., 2] - rgb[..., 0]
    assert blue_minus_red[values > 0.9].min() > 0, "sure of class 1: blue"
    assert blue_minus_red[values < 0.1].max() < 0, "sure of class 0: orange"
    rect = view.heat.mapRectToParent(view.heat.boundingRect())
    step = float(grid.xs[1] - grid.xs[0])
    assert rect.left() == pytest.approx(grid.xs[0] - step / 2, abs=1e-5)
    assert rect.width() == pytest.approx(step * len(grid.xs), abs=1e-4)
    assert view.plot.getViewBox().state["aspectLocked"], "the plane is not stretched"
    assert view.test_points.opts["pen"] != view.train_points.opts["pen"], "test points have another outline"
    header, rows = view.data_table()
    assert len(rows) == 64 * 64 + 200 + 60
    assert header[:4] == ["kind", "x", "y", "target"]


def test_unit_pictures_are_capped_per_node(show: Show) -> None:
    view = show(BoundaryView())
    view.set_unit_grids(fakes.unit_grids(("h1",), units=MAX_UNITS + 4), {"h1": "Dense 1"})
    view.flush()
    assert view.unit_count() == MAX_UNITS
    grid = fakes.unit_grids(("h1",), units=MAX_UNITS + 4)["h1"]
    levels = view.unit_levels("h1")
    assert levels == pytest.approx([float(np.abs(grid.values[..., u]).max()) for u in range(MAX_UNITS)]), (
        "each unit on its own symmetric scale")
    caption = view._units["h1"].caption
    assert "first 16 of 20" in caption.text or "first 16 of 20" in caption.toolTip()


def test_many_classes_and_regression(show: Show) -> None:
    view = show(BoundaryView())
    x, _ = fakes.moons(50)
    view.set_points(x, np.arange(50) % 3)
    view.set_grid(fakes.moons_grid(classes=3))
    view.flush()
    assert view.heat.image.shape == (64, 64, 3), "winning class colour blended by confidence"
    assert not view.colorbar.isVisible()
    targets = np.linspace(-2.0, 3.0, 50)
    view.set_points(x, targets)
    grid = fakes.moons_grid()
    view.set_grid(Grid(grid.xs, grid.ys, grid.values[..., :1] * 10), "regression")
    view.flush()
    assert view.heat_values()[1] == pytest.approx((-2.0, 3.0)), "levels from the targets, steady while training"
    assert view.colorbar.isVisible()
    view.reset()
    view.flush()
    assert view.point_counts() == (0, 0)
    assert not view.heat.isVisible()
