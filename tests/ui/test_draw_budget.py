"""A window's live views share one drawing budget while an image run trains.

The defect: with every view on screen, the views' redraws and paints held the GUI thread (and
with it the GIL) for a tenth of a core, and the digits CNN trained at 0.66-0.79 of its headless
rate. Each view kept to its own share; together they did not.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from playground.core.examples import example_path
from playground.core.project import load_project
from playground.ui.main_window import MainWindow
from playground.ui.plots import base, draw_budget
from playground.ui.plots.base import PlotView
from playground.ui.plots.draw_budget import DrawBudget
from playground.ui.plots.export import Cell
from tests.ui.test_training_ui import xor_project

Factory = Callable[..., MainWindow]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(draw_budget.time, "monotonic", fake)
    return fake


def test_drawing_is_paid_back_at_the_budgets_share_of_the_time(clock: Clock) -> None:
    budget = DrawBudget(share=0.02)
    budget.charge(0.010)
    assert budget.wait() == 0, "nothing is held back while no image run trains"
    budget.active = True
    budget.charge(0.010)  # 10 ms drawn: 0.5 s at 2 %
    assert budget.wait() == pytest.approx(0.5)
    clock.now += 0.2
    assert budget.wait() == pytest.approx(0.3)
    clock.now += 10.0
    assert budget.wait() == 0, "paid back"
    budget.charge(0.002)
    assert budget.wait() == pytest.approx(0.1), "time without drawing is not saved up for a burst"
    budget.active = False
    assert budget.wait() == 0


class CountingView(PlotView):
    """A view whose redraws cost what ``cost`` says (the budget is charged as if it drew)."""

    def __init__(self, cost: float) -> None:
        super().__init__("Counting")
        self.cost = cost

    def _redraw(self) -> None:
        self._charge(self.cost)

    def _apply_theme(self) -> None:
        pass

    def clear(self) -> None:
        pass

    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        return [], []


def test_views_wait_their_turn_while_the_shared_budget_is_spent(qtbot: QtBot,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "JUST_SHOWN", 0.0)  # (views just shown are not held: below)
    budget = DrawBudget(share=0.1)
    views = [CountingView(cost=0.03) for _ in range(3)]  # each redraw: 0.3 s of the budget
    for view in views:
        qtbot.addWidget(view)
        view.draw_budget = budget
        view.show()
    budget.active = True
    began = time.monotonic()
    for view in views:
        view.schedule()
    qtbot.waitUntil(lambda: all(view.redraws == 1 for view in views), timeout=5_000)
    # one drew at once, the second after its cost was paid back, the third after both
    assert time.monotonic() - began >= 0.55
    views[0].animating = True  # a 2-D run's animated view is not held back
    views[0].schedule()
    qtbot.waitUntil(lambda: views[0].redraws == 2, timeout=150)


def test_a_view_a_person_brings_on_screen_draws_at_once(qtbot: QtBot) -> None:
    """Defect (seen in a real window): a tab raised mid-run stayed empty for 5-10 s, waiting
    behind the other views for its turn in the budget."""
    budget = DrawBudget(share=1e-5)
    budget.active = True
    budget.charge(1.0)  # the other views have drawn far beyond the share
    view = CountingView(cost=0.001)
    qtbot.addWidget(view)
    view.draw_budget = budget
    view.show()
    view.set_on_screen(False)  # a tab behind another ...
    view.schedule()
    view.set_on_screen(True)  # ... raised by a person
    qtbot.waitUntil(lambda: view.redraws == 1, timeout=500)
    view.schedule()  # its pictures, asked for as it came on screen, arrive
    qtbot.waitUntil(lambda: view.redraws == 2, timeout=1_000)


def test_a_view_draws_at_once_when_no_image_run_trains(qtbot: QtBot) -> None:
    budget = DrawBudget(share=1e-5)  # were it active, each redraw would wait 100 s
    view = CountingView(cost=0.001)
    qtbot.addWidget(view)
    view.draw_budget = budget
    view.show()
    for _ in range(3):  # e.g. a theme switch or a person's pick, after the run
        view.schedule()
        qtbot.waitUntil(lambda n=view.redraws: view.redraws == n + 1, timeout=500)


def test_the_budget_holds_the_views_while_an_image_run_trains_not_a_plane_run(make_window: Factory,
                                                                               qtbot: QtBot) -> None:
    project = load_project(example_path("lenet_digits"))
    project.training["epochs"] = 1000
    window = make_window(project)
    ws = window.training
    assert all(view.draw_budget is ws.draw_budget for view in ws.views.values())
    ws.train()
    qtbot.waitUntil(lambda: ws.last_report is not None, timeout=30_000)
    assert ws.draw_budget.active
    ws.toggle_pause()
    assert not ws.draw_budget.active, "a paused run's views answer a person at once"
    ws.toggle_pause()
    assert ws.draw_budget.active, "resumed"
    ws.stop()
    ws.shutdown()
    qtbot.waitUntil(lambda: not ws.draw_budget.active, timeout=5_000)

    plane = make_window(xor_project(epochs=100_000))
    ws = plane.training
    ws.train()
    qtbot.waitUntil(lambda: ws.last_report is not None, timeout=30_000)
    assert not ws.draw_budget.active, "a 2-D run's pictures animate"
    ws.stop()
    ws.shutdown()


def test_a_picture_is_asked_for_again_only_once_the_last_one_is_drawn(make_window: Factory, qtbot: QtBot,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: the filters (0.07 ms to compute) were computed 28 times a second while their
    view, held back by the budget, drew one in five seconds; each round trip was Python on
    both threads."""
    project = load_project(example_path("lenet_digits"))
    project.training["epochs"] = 1000
    window = make_window(project)
    ws = window.training
    ws.docks["filters"].raise_()
    ws.train()
    qtbot.waitUntil(lambda: ws.last_report is not None, timeout=30_000)
    ws.toggle_pause()
    qtbot.waitUntil(lambda: not ws._pending, timeout=10_000)
    asked: list[str] = []
    assert ws.session is not None
    monkeypatch.setattr(ws.session, "request", lambda key, fn: asked.append(key))
    view = ws.view("filters")
    assert view.on_screen()
    view.schedule()  # holds data it has not drawn yet
    ws._next_ask.clear()
    ws._request_pictures(views=[view])
    assert "filters" not in asked
    view.flush()
    ws._request_pictures(views=[view])
    assert "filters" in asked
    ws.stop()
    ws.shutdown()
