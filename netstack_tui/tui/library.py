"""The TUI's door to the scenario library, goals and progress.

Everything scenario-related the screens need goes through here, so a library that fails to load
(a broken YAML file, or a checkout without the scenarios package) degrades to the built-in
walkthrough instead of taking the app down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the simulator loads after the first frame, not at import
    from ..commands.session import NamedPacket, Session

DEFAULT_ID = "tour-incoming"


class HintLike(Protocol):
    """A hint: its text per language."""

    text: dict[str, str]


class ScenarioLike(Protocol):
    """What the TUI reads from a scenario (the library's `Scenario` has all of it)."""

    id: str
    title: dict[str, str]
    summary: dict[str, str]
    lesson: dict[str, str]
    level: str
    topics: list[str]
    setup: list[str]
    packets: list[NamedPacket]
    goal_text: dict[str, str]
    hints: Any
    solution: list[str]


@dataclass
class _Hint:
    text: dict[str, str]


@dataclass
class BuiltinTour:
    """The default walkthrough, used only when the scenario library cannot be loaded."""

    id: str = DEFAULT_ID
    title: dict[str, str] = field(
        default_factory=lambda: {"en": "Tour: an incoming connection", "ru": "Экскурсия: входящее соединение"}
    )
    summary: dict[str, str] = field(
        default_factory=lambda: {
            "en": "A client's SYN reaches nginx on port 80 through a small firewall.",
            "ru": "SYN клиента доходит до nginx на порту 80 через небольшой файрвол.",
        }
    )
    lesson: dict[str, str] = field(
        default_factory=lambda: {
            "en": "Every incoming packet takes the same road: NIC, ring, skb, PREROUTING, routing, INPUT, socket.",
            "ru": "Каждый входящий пакет идёт одной дорогой: NIC, кольцо, skb, PREROUTING, маршрутизация, "
            "INPUT, сокет.",
        }
    )
    level: str = "beginner"
    topics: list[str] = field(default_factory=lambda: ["path", "netfilter", "sockets"])
    setup: list[str] = field(
        default_factory=lambda: [
            "ip addr add 10.0.0.1/24 dev eth0",
            "listen tcp 0.0.0.0:80 --app nginx",
            "listen tcp 0.0.0.0:22 --app sshd",
            "iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            "iptables -A INPUT -p tcp --dport 22 -j ACCEPT",
            "iptables -A INPUT -p tcp --dport 80 -j ACCEPT",
        ]
    )
    packets: list[NamedPacket] = field(default_factory=lambda: _tour_packets())
    goal_text: dict[str, str] = field(
        default_factory=lambda: {
            "en": "Follow the SYN to nginx's socket, then its SYN-ACK back out.",
            "ru": "Проследите SYN до сокета nginx, а затем его SYN-ACK обратно.",
        }
    )
    hints: list[_Hint] = field(
        default_factory=lambda: [
            _Hint(
                {
                    "en": "Press → to step; click a stage to jump to it.",
                    "ru": "Нажмите →, чтобы сделать шаг; щёлкните этап, чтобы перейти к нему.",
                }
            ),
            _Hint(
                {"en": "At the end, press a to follow the reply.", "ru": "В конце нажмите a, чтобы проследить ответ."}
            ),
        ]
    )
    solution: list[str] = field(default_factory=list)


def _tour_packets() -> list[NamedPacket]:
    from ..commands.session import NamedPacket

    return [
        NamedPacket("syn", "tcp 203.0.113.7:51000 > 10.0.0.1:80 [S] iface=eth0"),
        NamedPacket("ack", "tcp 203.0.113.7:51000 > 10.0.0.1:80 [.] iface=eth0"),
    ]


def load(id_or_path: str | None) -> tuple[ScenarioLike, str | None]:
    """The scenario to open and, when the library failed, the one-line reason."""
    try:
        from ..scenarios.library import DEFAULT_SCENARIO_ID, load_scenario
    except Exception as exc:  # the library is optional for the viewer
        return BuiltinTour(), f"scenario library unavailable: {exc}"
    try:
        return load_scenario(id_or_path or DEFAULT_SCENARIO_ID), None  # type: ignore[return-value]
    except Exception as exc:
        return BuiltinTour(), str(exc)


def list_all() -> tuple[list[ScenarioLike], str | None]:
    """Every scenario of the library (or just the built-in tour) and an error line, if any."""
    try:
        from ..scenarios.library import list_scenarios

        return list(list_scenarios()), None  # type: ignore[arg-type]
    except Exception as exc:
        return [BuiltinTour()], str(exc)


def session_for(scenario: ScenarioLike) -> Session:
    """A session set up by the scenario, with its first packet sent."""
    from ..commands.session import Session

    session = Session(scenario.setup, scenario.packets)
    session.next_packet()
    return session


@dataclass(frozen=True)
class Goal:
    """Where the learner stands on the goal."""

    reached: bool
    checks: list[tuple[str, bool]]


def evaluate(scenario: ScenarioLike, session: Session, lang: str = "en") -> Goal | None:
    """The goal's status, or None when goals cannot be evaluated (no library, or a tour)."""
    try:
        from ..scenarios.goals import evaluate as _evaluate

        status = _evaluate(scenario, session, lang)  # type: ignore[arg-type]
    except Exception:
        return None
    return Goal(bool(status.reached), [(str(a), bool(b)) for a, b in status.checks])


def progress_status(scenario_id: str) -> str:
    """`new`, `in progress` or `solved`."""
    try:
        from ..scenarios import progress

        return str(progress.status(scenario_id))
    except Exception:
        return "new"


def mark(scenario_id: str, status: str) -> None:
    """Record progress; silently does nothing when progress cannot be saved."""
    try:
        from ..scenarios import progress

        progress.mark(scenario_id, status)
    except Exception:
        pass


_hints_fallback: dict[str, int] = {}


def hints_used(scenario_id: str) -> int:
    """How many hints the learner has revealed for this scenario."""
    try:
        from ..scenarios import progress

        return int(progress.hints_used(scenario_id))
    except Exception:
        return _hints_fallback.get(scenario_id, 0)


def use_hint(scenario_id: str) -> None:
    """Reveal one more hint."""
    try:
        from ..scenarios import progress

        progress.use_hint(scenario_id)
    except Exception:
        _hints_fallback[scenario_id] = _hints_fallback.get(scenario_id, 0) + 1


def text(texts: dict[str, str] | None, lang: str) -> str:
    """A scenario text in `lang`, falling back to English, reflowed for the terminal's width."""
    if not texts:
        return ""
    return reflow(texts.get(lang) or texts.get("en") or "")


def reflow(raw: str) -> str:
    """Join the hard-wrapped lines of each prose paragraph so the terminal wraps them; paragraphs
    with indented lines (code, lists of commands) keep their line breaks."""
    paragraphs = raw.strip("\n").split("\n\n")
    out = []
    for paragraph in paragraphs:
        lines = paragraph.split("\n")
        if any(line[:1].isspace() or line.lstrip().startswith(("-", "*", "$", "#")) for line in lines):
            out.append(paragraph)
        else:
            out.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(out)
