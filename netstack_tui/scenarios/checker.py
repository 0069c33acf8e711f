"""Proving a scenario works: it loads, the symptom reproduces, every hint's premise holds, the
reference solution reaches the goal, and every text exists in English and Russian.

`check_file(path)` returns None when the scenario is sound, else the first failure as one line.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from ..commands.session import NamedPacket, Session
from ..commands.shell import Shell
from ..kernel.host import Host
from ..kernel.world import World
from .goals import build_host, describe, outcome_holds, run_check, run_checks, send, session_state
from .loader import ScenarioError, load_file
from .model import LANGUAGES, ScenarioFile, Text

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")


class CheckFailure(Exception):
    """A scenario that loads but does not do what it promises; the message is one line."""


def check_file(path: str | Path) -> str | None:
    """None when the scenario passes every check, else `FILE: what failed`."""
    try:
        model = load_file(path)
    except ScenarioError as exc:
        return str(exc)
    try:
        check_model(model)
    except CheckFailure as exc:
        return f"{path}: {exc}"
    return None


def _texts(model: ScenarioFile) -> list[tuple[str, Text]]:
    out = [("title", model.title), ("summary", model.summary), ("lesson", model.lesson), ("goal.text", model.goal.text)]
    if model.symptom is not None:
        out.append(("symptom.text", model.symptom.text))
    out += [(f"hints[{i + 1}].text", h.text) for i, h in enumerate(model.hints)]
    out += [(f"packets[{i + 1}].about", p.about) for i, p in enumerate(model.packets) if p.about is not None]
    return out


def check_texts(model: ScenarioFile) -> None:
    """Every text exists in each language, and each is written in that language."""
    for field, text in _texts(model):
        values = text.as_dict()
        for lang in LANGUAGES:
            if not values.get(lang, "").strip():
                raise CheckFailure(f"{field}: the {lang} text is empty")
        if not _CYRILLIC.search(values["ru"]):
            raise CheckFailure(f"{field}: the ru text has no Russian letters; is it still in English?")
        if _CYRILLIC.search(values["en"]) and not _LATIN.search(values["en"]):
            raise CheckFailure(f"{field}: the en text looks Russian")


def check_namespaces(model: ScenarioFile, host: Host) -> None:
    """Every namespace a packet is sent from exists once the setup has run (the session sends the
    first packet right away). Checks may name namespaces the learner has yet to create: they fail
    with the reason until then."""
    known = set(host.world.namespaces) if isinstance(host.world, World) else set()
    listing = ", ".join(sorted(known)) or "none; create one in the setup with `ip netns add NAME`"
    for i, packet in enumerate(model.packets):
        if packet.from_ is not None and packet.from_ not in known:
            raise CheckFailure(f"packets[{i + 1}].from: there is no namespace '{packet.from_}' after the setup; "
                               f"the namespaces are: {listing}")


def check_model(model: ScenarioFile) -> None:
    """Run every proof on a validated scenario; raise CheckFailure with the first thing that fails."""
    check_texts(model)
    packets = [NamedPacket(p.name, p.spec, p.from_) for p in model.packets]
    specs = {p.name: p for p in packets}
    broken, failures = build_host(model.setup, world=model.world)
    if failures:
        raise CheckFailure(f"setup command failed: {failures[0]}")
    check_namespaces(model, broken)

    def expect(part: str, host: object, outcomes: dict[str, str] | None) -> None:
        for name, outcome in (outcomes or {}).items():
            traced = send(Shell(copy.deepcopy(host)), specs[name])  # type: ignore[arg-type]
            if isinstance(traced, str):
                raise CheckFailure(f"expect.{part}.{name}: {traced}")
            if not outcome_holds(outcome, traced):
                stage = traced.steps[-1].stage if traced.steps else "-"
                raise CheckFailure(f"expect.{part}.{name}: expected '{outcome}', but the packet was "
                                   f"{traced.summary_line()} [stage {stage}]")

    if model.kind == "problem":
        assert model.symptom is not None
        for i, result in enumerate(run_checks(model.symptom.checks, broken, packets)):
            if not result.ok:
                raise CheckFailure(f"symptom.checks[{i + 1}] does not reproduce: {result.label} — "
                                   f"seen: {result.detail}")
        goal_now = run_checks(model.goal.checks, broken, packets)
        if all(r.ok for r in goal_now):
            raise CheckFailure("the goal already holds after the setup: there is nothing to fix")
        expect("broken", broken, model.expect.broken)
    else:
        expect("observed", broken, model.expect.observed)
    for i, hint in enumerate(model.hints):
        if hint.premise is not None:
            result = run_check(hint.premise, broken, specs)
            if not result.ok:
                raise CheckFailure(f"hints[{i + 1}].premise is not true in the broken state: {result.label} — "
                                   f"seen: {result.detail}")
    session = Session(model.setup, packets, world=model.world)
    session.next_packet()
    for line in model.solution:
        ran = session.run_command(line)
        if ran.status != 0:
            raise CheckFailure(f"solution command '{line}' failed: {ran.output.strip() or ran.status}")
    solved = session_state(session)
    # The learner is assumed to have stepped through every journey (what `followed:` asks).
    for i, result in enumerate(run_checks(model.goal.checks, solved, packets, followed=frozenset(specs))):
        if not result.ok:
            raise CheckFailure(f"after the solution, goal.checks[{i + 1}] does not hold: {result.label} — "
                               f"seen: {result.detail}")
    if model.kind == "problem":
        expect("fixed", solved, model.expect.fixed)


__all__ = ["CheckFailure", "check_file", "check_model", "check_texts", "describe"]
