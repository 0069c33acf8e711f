"""The command line: every shell command, with completion and history (up/down).

It only collects a line and posts `CommandLine.CommandEntered`; the screen runs it. The names it
completes (namespaces, and the interfaces of each) are handed down by the screen as a `NameBook`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
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


NAMESPACE_AFTER: tuple[tuple[str, ...], ...] = (
    ("ip", "netns", "exec"),
    ("ip", "netns", "del"),
    ("ip", "netns", "delete"),
    ("ip", "netns", "pids"),
    ("ip", "-n"),
    ("netns",),
)
"""Words after which a namespace name comes (`ip link set veth1 netns NS`; in `ip netns exec NS`
the word `netns` is followed by a subcommand, which the longer patterns above catch first)."""

INTERFACE_AFTER: tuple[tuple[str, ...], ...] = (
    ("ip", "link", "set"),
    ("ip", "link", "del"),
    ("ip", "link", "delete"),
    ("dev",),
    ("-i",),
    ("-o",),
    ("-I",),
    ("master",),
)
"""Words after which an interface name comes (`dev`, iptables' `-i`/`-o`, tcpdump's `-i`, ping's
`-I`, `master`, `ip link set`)."""


@dataclass(frozen=True, slots=True)
class NameBook:
    """The names the command line completes, as the screen last read them from the world."""

    namespaces: tuple[str, ...] = ()
    """The named namespaces."""
    interfaces: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    """(namespace, its interface names) for each namespace; the root's namespace is ``""``."""
    here: str | None = None
    """The namespace commands run in (None: the root)."""

    def interfaces_of(self, namespace: str | None) -> tuple[str, ...]:
        """The interface names of `namespace` (None: the root)."""
        return next((names for ns, names in self.interfaces if ns == (namespace or "")), ())


def _target(words: list[str]) -> str | None:
    """The namespace a line's command runs in when it says so (`ip netns exec NS ...`, `ip -n NS ...`)."""
    if words[:3] == ["ip", "netns", "exec"] and len(words) > 3:
        return words[3]
    if words[:2] == ["ip", "-n"] and len(words) > 2:
        return words[2]
    return None


def complete_name(value: str, book: NameBook) -> str | None:
    """`value` with its last word completed to a namespace or interface name, when the words before it
    ask for one (`ip netns exec we` → `ip netns exec web`); None when there is nothing to complete.

    Right after such a word and a space, the first name is offered. Interfaces are those of the
    namespace the command will run in: the one `ip netns exec NS`/`ip -n NS` names, or `book.here`.
    """
    words = value.split(" ")
    partial, before = words[-1], [w for w in words[:-1] if w]
    if not before:
        return None
    # `ip netns exec NS CMD ...` and `ip -n NS ...`: the words after the namespace are a command of their own.
    inner = before
    target = _target(before)
    if target is not None and len(before) > (4 if before[1] == "netns" else 3):
        inner = before[4:] if before[1] == "netns" else ["ip", *before[3:]]
    names: tuple[str, ...] = ()
    for pattern in NAMESPACE_AFTER:
        if tuple(before[-len(pattern):]) == pattern and (len(pattern) > 1 or before[-2:-1] != ["ip"]):
            names = book.namespaces
            break
    else:
        for pattern in INTERFACE_AFTER:
            if tuple(inner[-len(pattern):]) == pattern:
                if pattern == ("-I",) and inner[:1] != ["ping"]:
                    break  # iptables' -I inserts into a chain
                names = book.interfaces_of(target if target is not None else book.here)
                if "-i" in pattern and inner[:1] == ["tcpdump"]:
                    names = (*names, "any")
                break
    for name in names:
        if name.startswith(partial) and name != partial:
            return value + name[len(partial):]
    return None


class HistorySuggester(Suggester):
    """Completes from the history first (newest first), then names (namespaces, interfaces), then the
    common lines."""

    def __init__(self, history: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.history = history
        """The command line's history, shared (same list object)."""
        self.book = NameBook()
        """The names to complete (set by the command line when the screen hands it new ones)."""

    async def get_suggestion(self, value: str) -> str | None:
        """The first known line that starts with what was typed, or the line with its last word
        completed to a name."""
        if not value.strip():
            return None
        for line in reversed(self.history):
            if line.startswith(value) and line != value:
                return line
        named = complete_name(value, self.book)
        if named is not None:
            return named
        for line in COMMON_LINES:
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

    names: var[NameBook] = var(NameBook)
    """The namespaces and interfaces to complete (the screen sets it when they may have changed)."""

    def __init__(self, **kwargs: object) -> None:
        self.history: list[str] = []
        """Lines entered so far, oldest first."""
        # A prompt keeps what was typed: selecting it all on focus let the next key replace the
        # letters typed right after `:` (the focus event arrives after them).
        super().__init__(suggester=HistorySuggester(self.history), select_on_focus=False,
                         **kwargs)  # type: ignore[arg-type]
        self._cursor = 0
        self._draft = ""

    def watch_names(self, names: NameBook) -> None:
        """The suggester completes from the new names."""
        suggester = self.suggester
        if isinstance(suggester, HistorySuggester):
            suggester.book = names

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
