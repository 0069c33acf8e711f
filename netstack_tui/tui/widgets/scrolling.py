"""Scroll keys for the panes that do not claim ←/→/Home/End (the screen steps the journey with those)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

SCROLL_BINDINGS: list[BindingType] = [
    Binding("up", "scroll_up", "Scroll up", show=False),
    Binding("down", "scroll_down", "Scroll down", show=False),
    Binding("pageup", "page_up", "Page up", show=False),
    Binding("pagedown", "page_down", "Page down", show=False),
]
"""Up/down/page keys only."""
