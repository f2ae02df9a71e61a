"""One window's live views share the GUI thread's drawing time while an image run trains.

The GUI thread holds the GIL while it runs the views' Python and while Qt paints their
pyqtgraph items, and the training thread needs the GIL between every two tensor operations:
each millisecond drawn is a millisecond training waits. A limit per view (``base.DUTY``) does
not bound the sum: ten views each at its one-a-second floor cost more than any one of them may.
So the views of a window draw from one budget, a share of the GUI thread, and a view whose turn
comes while the budget is spent waits until it has been paid back; views kept waiting retry in
the order they were held back, so each gets its turn.

Measured on the digits CNN (bench/ui_latency.py, 2 cores, idle machine), the window's rate over
the headless trainer's: with every view on screen 0.66-0.79 before, 0.87-0.94 with 3 % and
0.94-0.97 with 1.5 %; in the window's default layout 0.80 without the budget and 0.97 with 2 %,
the loss curve then redrawn 5.6 times a second instead of 9.9.

Nothing is held during a 2-D run (its pictures are the run's point, and each animated view's
own ``ANIMATION_DUTY`` bounds them), nor while no run trains or a run is paused (a theme
switch, a person's pick), when training has no time to lose.
"""

from __future__ import annotations

import time

#: Share of the GUI thread's time that all of a window's views together may spend redrawing
#: and painting while an image run trains.
DRAW_SHARE = 0.02


class DrawBudget:
    """A token bucket in seconds of GUI-thread time: drawing adds to a debt that time pays back
    at ``share`` seconds per second; no credit is saved up while nothing draws."""

    def __init__(self, share: float = DRAW_SHARE) -> None:
        self.share = share
        self._active = False
        self._debt = 0.0
        self._since = time.monotonic()

    @property
    def active(self) -> bool:
        """Whether the budget holds views back now (an image run trains)."""
        return self._active

    @active.setter
    def active(self, on: bool) -> None:
        if on != self._active:
            self._active = on
            self._debt = 0.0
            self._since = time.monotonic()

    def charge(self, seconds: float) -> None:
        """GUI-thread seconds a view just spent redrawing or painting."""
        if self._active:
            self._settle()
            self._debt += seconds

    def wait(self) -> float:
        """Seconds until the views may draw again (0: now)."""
        if not self._active:
            return 0.0
        self._settle()
        return self._debt / self.share

    def _settle(self) -> None:
        now = time.monotonic()
        self._debt = max(0.0, self._debt - (now - self._since) * self.share)
        self._since = now
