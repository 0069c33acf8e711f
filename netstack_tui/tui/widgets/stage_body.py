"""The stage pane's picture: a `Static` that repaints only the lines a new picture changes.

Consecutive steps often draw pictures that share most lines (the same chain with one more
counter, the same ring with one slot moved, the blank lines that pad the pane). A plain `Static`
repaints every line on each update; this one compares the new lines with those on screen and
marks only the differing ones dirty, so the frame re-styles a handful of lines, not the pane.
"""

from __future__ import annotations

from typing import Self

from textual.geometry import Region, Size
from textual.strip import Strip
from textual.visual import Visual, VisualType
from textual.widgets import Static


class StageBody(Static):
    """A `Static` whose updates of the same height repaint only the lines that changed."""

    def __init__(self, content: VisualType = "", **kwargs: object) -> None:
        super().__init__(content, **kwargs)  # type: ignore[arg-type]
        self._lines: list[Strip] | None = None
        """The content's lines as drawn, for `_lines_size` (None: work them out on the next paint)."""
        self._lines_size = Size(0, 0)
        self._updating = False

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        """Show `content`; without a layout, repaint only the lines that differ from the last."""
        self._updating = not layout
        try:
            super().update(content, layout=layout)
        finally:
            self._updating = False

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        """The update's refresh becomes a refresh of the changed lines; any other refresh (a resize,
        a theme, a layout) repaints everything, as a `Static` does."""
        old, size = self._lines, self.size
        if not (self._updating and repaint and not regions and not layout and not recompose) \
                or old is None or self._lines_size != size:
            self._lines = None
            return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        new = self._strips(size)
        if len(new) != len(old):
            self._lines = None
            return super().refresh(repaint=repaint)
        self._lines = new
        changed = [Region(0, y, size.width, 1) for y, (was, now) in enumerate(zip(old, new, strict=True)) if was != now]
        return super().refresh(*changed) if changed else self

    def _strips(self, size: Size) -> list[Strip]:
        # As `Widget._render_content` draws a widget's content (the Static's visual at its size).
        return Visual.to_strips(self, self.visual, size.width, size.height, self.visual_style)

    def render_line(self, y: int) -> Strip:
        """Line `y` of the content, from the lines worked out at this size."""
        size = self.size
        if self._lines is None or self._lines_size != size:
            self._lines, self._lines_size = self._strips(size), size
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(size.width, self.visual_style.rich_style)

    def notify_style_update(self) -> None:
        """A theme change recolours every line."""
        super().notify_style_update()
        self._lines = None
