"""Stepping through a journey: the four actions every screen that shows a position in one shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...kernel.trace import Trace


class JourneySteps:
    """→, ←, Home and End over `index`, a position in `shown_journey()` (the screen's own reactive)."""

    index: int

    def shown_journey(self) -> Trace | None:
        """The journey `index` points into (each screen says which)."""
        raise NotImplementedError

    @property
    def last_index(self) -> int:
        """The journey's last step (0 without one)."""
        trace = self.shown_journey()
        return len(trace.steps) - 1 if trace is not None and trace.steps else 0

    def action_step(self) -> None:
        """One step forward."""
        if self.index < self.last_index:
            self.index += 1

    def action_step_back(self) -> None:
        """One step back (the previous step's snapshot)."""
        if self.index > 0:
            self.index -= 1

    def action_first(self) -> None:
        """Jump to the first step."""
        self.index = 0

    def action_last(self) -> None:
        """Jump to the last step."""
        self.index = self.last_index
