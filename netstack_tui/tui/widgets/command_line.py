"""The command line: every shell command, with completion and history (up/down).

It only collects a line and posts `CommandLine.CommandEntered`; the screen runs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input

COMMON_LINES: tuple[str, ...] = (
    "iptables -L INPUT -v -n --line-numbers",
    "iptables -I INPUT 1 -p tcp --dport 80 -j DROP",
    "iptables -A INPUT -p tcp --dport 22 -j ACCEPT",
    "iptables -D INPUT 1",
    "iptables -P INPUT ACCEPT",
    "iptables -F INPUT",
    "iptables -S",
    "iptables-save -c",
    "iptables -t nat -L -v -n",
    "ip addr show",
    "ip route show",
    "ip route get 10.0.0.1",
    "ip rule show",
    "ip link show",
    "ip -s link show eth0",
    "ss -ltn",
    "ss -tanp",
    "conntrack -L",
    "conntrack -S",
    "sysctl net.ipv4.ip_forward",
    "sysctl -w net.ipv4.ip_forward=1",
    "ethtool -S eth0",
    "ethtool -i eth0",
    "nft list ruleset",
    "listen tcp 0.0.0.0:80 --app nginx",
    "send tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]",
    "send udp 10.0.0.2:5353 > 10.0.0.1:53",
    "send icmp 10.0.0.2 > 10.0.0.1 echo-request",
    "trace",
    "help",
)
"""Lines offered for completion besides the history."""


class HistorySuggester(Suggester):
    """Completes from the history first (newest first), then from the common lines."""

    def __init__(self, history: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.history = history
        """The command line's history, shared (same list object)."""

    async def get_suggestion(self, value: str) -> str | None:
        """The first known line that starts with what was typed."""
        if not value.strip():
            return None
        for line in [*reversed(self.history), *COMMON_LINES]:
            if line.startswith(value) and line != value:
                return line
        return None


class CommandLine(Input):
    """An `Input` for shell commands with history on up/down and completion on right/tab."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous command", show=False),
        Binding("down", "history(1)", "Next command", show=False),
        Binding("tab", "complete", "Complete", show=False),
    ]

    @dataclass
    class CommandEntered(Message):
        """The user entered a command line."""

        line: str
        """The line as typed."""

    @dataclass
    class Left(Message):
        """The user pressed Escape to leave the command line."""

    def __init__(self, **kwargs: object) -> None:
        self.history: list[str] = []
        """Lines entered so far, oldest first."""
        super().__init__(suggester=HistorySuggester(self.history), **kwargs)  # type: ignore[arg-type]
        self._cursor = 0
        self._draft = ""

    def action_history(self, delta: int) -> None:
        """Walk the history; past the newest line, restore what was being typed."""
        if not self.history:
            return
        if self._cursor == len(self.history):
            self._draft = self.value
        self._cursor = max(0, min(len(self.history), self._cursor + delta))
        self.value = self.history[self._cursor] if self._cursor < len(self.history) else self._draft
        self.cursor_position = len(self.value)

    def action_complete(self) -> None:
        """Accept the suggestion, if any."""
        if self._suggestion:
            self.value = self._suggestion
            self.cursor_position = len(self.value)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            self.post_message(self.Left())
            return
        await super()._on_key(event)

    async def action_submit(self) -> None:
        """Record the line in the history and post it."""
        line = self.value.strip()
        if line.startswith(":"):  # ':' pressed again while already here
            line = line[1:].strip()
        if not line:
            self.value = ""
            return
        if not self.history or self.history[-1] != line:
            self.history.append(line)
        self._cursor = len(self.history)
        self._draft = ""
        self.value = ""
        self.post_message(self.CommandEntered(line))
