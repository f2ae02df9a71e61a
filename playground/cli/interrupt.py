"""Ctrl-C in a headless command: the first one asks the work to stop cleanly, the second aborts."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def first_ctrl_c_calls(stop: Callable[[], None], message: str) -> Iterator[None]:
    """While inside, the first Ctrl-C prints ``message`` on stderr and calls ``stop()`` (which
    must only ask: it runs in the signal handler); a second one raises KeyboardInterrupt as usual."""
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: FrameType | None) -> None:
        print(f"\n{message} (Ctrl-C again to abort)", file=sys.stderr)
        stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
