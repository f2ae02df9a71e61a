"""FilterView: tiles with gaps, symmetric colour levels, RGB kernels, caps and titles."""

from __future__ import annotations

import numpy as np
import pytest

from playground.core.probes import Filters
from playground.ui.plots.filters import MAX_TILES, FilterView, tile
from tests.ui.plots import fakes
from tests.ui.plots.conftest import Show


def test_tile_puts_images_in_a_grid_with_transparent_gaps() -> None:
    images = np.arange(5 * 3 * 4, dtype=np.float32).reshape(5, 3, 4)
    grid = tile(images, cols=3)
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 2)
    assert np.array_equal(grid[:3, :4], images[0])
    assert np.array_equal(grid[4:7, 5:9], images[4])
    assert np.isnan(grid[3]).all(), "a 1-pixel gap between rows"
    assert np.isnan(grid[:, 4]).all(), "a 1-pixel gap between columns"
    assert np.isnan(grid[4:, 10:]).all(), "the missing sixth tile is empty"


def test_one_channel_filters_use_symmetric_levels(show: Show) -> None:
    view = show(FilterView())
    f = fakes.gabor_filters(16, 5)
    images = f.images + 0.3  # mostly positive: the levels must still be centred on zero
    view.set_filters(Filters("conv1", images), "conv", "Conv 1")
    view.flush()
    peak = float(np.abs(images).max())
    assert view.levels() == (pytest.approx(-peak), pytest.approx(peak))
    assert view.image.getLevels() == pytest.approx([-peak, peak])
    assert tuple(view.colorbar.levels()) == pytest.approx((-peak, peak))
    assert view.image.image.shape == (4 * 5 + 3, 4 * 5 + 3)
    assert view.box.state["aspectLocked"] == 1.0, "square pixels"
    assert "Conv2d kernels" in view.caption.text
    assert "Conv 1" in view.caption.text


def test_rgb_kernels_are_centred_on_grey(show: Show) -> None:
    view = show(FilterView())
    f = fakes.gabor_filters(9, 3, channels=3)
    f.images[0, :, 1, 1] = 0.0
    view.set_filters(f, "conv")
    view.flush()
    picture = view.image.image
    assert picture.shape == (3 * 3 + 2, 3 * 3 + 2, 3)
    assert np.nanmin(picture) >= 0
    assert np.nanmax(picture) <= 1
    assert picture[1, 1] == pytest.approx([0.5, 0.5, 0.5]), "zero weight is mid-grey"
    assert not view.colorbar.isVisible()


def test_dense_templates_are_capped_and_titled(show: Show) -> None:
    view = show(FilterView())
    view.set_filters(Filters("dense1", np.random.default_rng(0).normal(size=(300, 1, 8, 8)).astype(np.float32)),
                     "dense", "Dense 1")
    view.flush()
    assert "Dense unit weights as images" in view.caption.text
    assert f"first {MAX_TILES} of 300" in view.caption.text
    header, rows = view.data_table()
    assert header[-1] == "weight"
    assert len(rows) == 300 * 64, "the data export keeps every weight"
    view.clear()
    assert not view.image.isVisible()
    assert "No filters yet" in view.caption.text


def test_unit_templates_get_each_their_own_scale_and_large_images_fewer_tiles(show: Show) -> None:
    """The lecture's dropout figure: 28x28 templates of very different strengths. Each on its own
    scale (the default for Dense units), a weak unit's strokes are as visible as a strong one's;
    a person can switch to one shared scale, and kernels start shared."""
    rng = np.random.default_rng(0)
    images = rng.normal(size=(256, 1, 28, 28)).astype(np.float32)
    images[1] *= 0.01  # a weak unit
    view = show(FilterView())
    view.set_filters(Filters("h1", images), "dense", "Dense 'h1'")
    view.flush()
    assert view.scale_toggle.isChecked()
    assert "first 36 of 256" in view.caption.text
    picture = view.image.image
    weak = picture[:28, 29:57]
    assert np.nanmax(np.abs(weak)) == pytest.approx(1.0), "the weak unit fills the colour range"
    assert view.levels() == (pytest.approx(-1.0), pytest.approx(1.0))

    view.scale_toggle.setChecked(False)
    view.flush()
    weak = view.image.image[:28, 29:57]
    assert np.nanmax(np.abs(weak)) < 0.05 * view.levels()[1], "one shared scale: the weak unit fades"
    view.set_filters(Filters("h1", images), "dense", "Dense 'h1'")
    assert not view.scale_toggle.isChecked(), "the person's choice is kept"
    view.set_filters(fakes.gabor_filters(16, 5), "conv")
    assert not view.scale_toggle.isChecked(), "kernels compare on one scale"
