"""A wall-clock bound on one fuzz case: a hang becomes a failure that names the case, instead of a
suite that never ends (a bound for runaways, not a speed assertion)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


class Runaway(BaseException):
    """The case ran past its bound (a BaseException, so the shell's own last line of defence, which
    catches Exception, cannot swallow it)."""


@contextlib.contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Raise `Runaway` in the case's thread once `seconds` of wall time have passed."""

    def fire(signum: int, frame: object) -> None:
        raise Runaway(f"still running after {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
