"""The TUI's door to the scenario library, goals and progress.

Everything scenario-related the screens need goes through here. A scenario file that does not load
(a learner's broken YAML) is reported in one line and the default walkthrough opens instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:  # the simulator loads after the first frame, not at import
    from ..commands.session import NamedPacket, Session


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


def load(id_or_path: str | None) -> tuple[ScenarioLike, str | None]:
    """The scenario to open and, when the requested one does not load, the one-line reason
    (the default walkthrough opens instead)."""
    from ..scenarios.errors import ScenarioError
    from ..scenarios.library import DEFAULT_SCENARIO_ID, load_scenario

    try:
        # A frozen Scenario reads like the protocol; mypy wants protocol attributes writable.
        return cast("ScenarioLike", load_scenario(id_or_path or DEFAULT_SCENARIO_ID)), None
    except ScenarioError as exc:
        if not id_or_path:
            raise  # the shipped default itself is broken: a bug, not a learner's file
        return cast("ScenarioLike", load_scenario(DEFAULT_SCENARIO_ID)), str(exc)


def list_all() -> tuple[list[ScenarioLike], str | None]:
    """Every scenario of the library, or none and the one-line reason one file does not load."""
    from ..scenarios.errors import ScenarioError
    from ..scenarios.library import list_scenarios

    try:
        return [cast("ScenarioLike", s) for s in list_scenarios()], None
    except ScenarioError as exc:
        return [], str(exc)


def session_for(scenario: ScenarioLike) -> Session:
    """A session set up by the scenario, with its first packet sent."""
    from ..commands.session import Session

    # A scenario may start from a machine on the simulated Internet (`world: connected`).
    connected = getattr(scenario, "world", "bare") == "connected"
    session = Session(scenario.setup, scenario.packets, world="connected" if connected else "bare")
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


def warm_goals(scenario: ScenarioLike) -> None:
    """Import the goal checks and validate the scenario fully now (from a worker, behind the first
    screen), so the first `evaluate` does not."""
    try:
        from ..scenarios import goals  # noqa: F401  (imported for its side effect: loaded and ready)

        getattr(scenario, "source", None)
    except Exception:  # evaluate() reports nothing either; a real problem shows when it runs
        return


def progress_status(scenario_id: str) -> str:
    """`new`, `in progress` or `solved` (`new` when the progress file cannot be read)."""
    from ..scenarios import progress

    try:
        return str(progress.status(scenario_id))
    except OSError:
        return "new"


def progress_notice() -> str | None:
    """Read the progress file; the one-line report when it could not be used and was set aside
    (given once: the next call says nothing)."""
    from ..scenarios import progress

    progress.load_progress()
    return progress.take_warning()


def mark(scenario_id: str, status: str) -> str | None:
    """Record progress; the one-line reason when it cannot be saved (a read-only or full disk), or
    the pending report of a progress file set aside since the start."""
    from ..scenarios import progress

    try:
        progress.mark(scenario_id, status)
    except OSError as exc:
        return f"progress not saved: {exc}"
    return progress.take_warning()


_hints_fallback: dict[str, int] = {}


def hints_used(scenario_id: str) -> int:
    """How many hints the learner has revealed for this scenario."""
    from ..scenarios import progress

    try:
        return int(progress.hints_used(scenario_id))
    except OSError:
        return _hints_fallback.get(scenario_id, 0)


def use_hint(scenario_id: str) -> None:
    """Reveal one more hint (kept in memory when the progress file cannot be written)."""
    from ..scenarios import progress

    try:
        progress.use_hint(scenario_id)
    except OSError:
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
