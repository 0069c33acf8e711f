"""The key legend at the bottom: textual's `Footer`, but updated in place when only a key's state
or label changes.

Textual's footer recomposes itself (unmounts and mounts every key) whenever the screen's bindings
change, which happens on every step that enables or disables a key (Back at step 0, Step at the
end). That cost most of a frame; here the keys keep their widgets and only their `-disabled` class,
description and tooltip change. A different set of keys (another screen's, or a new binding) still
recomposes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.binding import Binding
    from textual.screen import Screen


class KeyLegend(Footer):
    """The footer of the main screen: every key, greyed out while it cannot act."""

    def compose(self) -> ComposeResult:
        """The keys at once, so the very first frame already lists them (textual's footer waits for
        the first bindings signal, one frame later)."""
        self._bindings_ready = True
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Update the keys in place; recompose only when the set of shown keys changed."""
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        shown: dict[str, tuple[Binding, bool, str]] = {}
        for _node, binding, enabled, tooltip in screen.active_bindings.values():
            if binding.show:
                shown.setdefault(binding.action, (binding, enabled, tooltip))
        keys = list(self.query_children(FooterKey))
        if [key.action for key in keys] != list(shown) or any(b.group is not None for b, _, _ in shown.values()):
            self.call_after_refresh(self.recompose)
            return
        for key, (binding, enabled, tooltip) in zip(keys, shown.values(), strict=True):
            layout = key.description != binding.description
            if layout:
                key.description = binding.description
            if key._disabled == enabled:
                key._disabled = not enabled
                key.set_class(not enabled, "-disabled")
            key.tooltip = tooltip or None
            if layout:
                key.refresh(layout=True)
