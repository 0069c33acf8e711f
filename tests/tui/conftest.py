"""Fixtures for the TUI tests: a fixed scenario and session, so pictures and flows never depend on
the shipped library's current wording, and progress written to a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from netstack_tui.commands.session import NamedPacket, Session

SETUP = [
    "ip addr add 10.0.0.1/24 dev eth0",
    "ip route add default via 10.0.0.254",
    "listen tcp 0.0.0.0:80 --app nginx",
    "listen tcp 0.0.0.0:22 --app sshd",
    "iptables -A INPUT -i lo -j ACCEPT",
    "iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "iptables -A INPUT -p tcp --dport 22 -j ACCEPT",
    "iptables -A INPUT -p tcp --dport 80 -j ACCEPT",
    "iptables -P INPUT DROP",
]
"""A small firewall in front of nginx and sshd."""

PACKETS = [
    NamedPacket("http", "tcp 203.0.113.7:51000 > 10.0.0.1:80 [S] iface=eth0"),
    NamedPacket("closed", "tcp 203.0.113.7:51001 > 10.0.0.1:8080 [S] iface=eth0"),
]


@dataclass
class Hint:
    """A hint as the library shapes it."""

    text: dict[str, str]


@dataclass
class FakeScenario:
    """A scenario with the library's attributes, fixed for the tests."""

    id: str = "test-incoming"
    title: dict[str, str] = field(default_factory=lambda: {"en": "Test: incoming SYN", "ru": "Тест: входящий SYN"})
    summary: dict[str, str] = field(default_factory=lambda: {"en": "A SYN to nginx.", "ru": "SYN к nginx."})
    lesson: dict[str, str] = field(
        default_factory=lambda: {"en": "Rules are read top down.", "ru": "Правила читаются сверху вниз."}
    )
    level: str = "beginner"
    topics: list[str] = field(default_factory=lambda: ["netfilter"])
    setup: list[str] = field(default_factory=lambda: list(SETUP))
    packets: list[NamedPacket] = field(default_factory=lambda: list(PACKETS))
    goal_text: dict[str, str] = field(default_factory=lambda: {"en": "Reach nginx.", "ru": "Дойти до nginx."})
    hints: list[Hint] = field(
        default_factory=lambda: [
            Hint({"en": "First hint.", "ru": "Первая подсказка."}),
            Hint({"en": "Second hint.", "ru": "Вторая подсказка."}),
        ]
    )
    solution: list[str] = field(default_factory=lambda: ["iptables -D INPUT 1"])


@pytest.fixture(autouse=True)
def _progress_dir(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress files go to a temporary directory, never the user's; so do recordings of the first
    screen (a user's recording would start the app on it instead of the explorer)."""
    monkeypatch.setenv("NETSTACK_TUI_DATA", str(tmp_path))
    monkeypatch.setattr("netstack_tui.tui.first_screen.cache_dir", lambda: tmp_path / "screens")  # type: ignore[operator]


def make_session() -> Session:
    """The fixed session with its first packet sent."""
    session = Session(SETUP, PACKETS)
    session.next_packet()
    assert not session.setup_errors, session.setup_errors
    return session


@pytest.fixture
def make_app() -> Callable[..., object]:
    """An app factory over the fixed scenario: `make_app(lang="en")`."""
    from netstack_tui.tui.app import NetstackApp

    def factory(lang: str = "en", theme: str = "dark") -> NetstackApp:
        return NetstackApp(lang=lang, theme=theme, scenario_obj=FakeScenario(), session=make_session())

    return factory
