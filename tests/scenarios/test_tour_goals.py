"""Goals that depend on what the learner did: a tour is done only when its journeys were followed to
their end (the viewer reports each with `Session.journey_viewed`), and ssh-lockout needs the queued
rollback to have run."""

from __future__ import annotations

import pytest

from netstack_tui.commands.session import Session
from netstack_tui.scenarios.goals import evaluate
from netstack_tui.scenarios.library import list_scenarios, load_scenario
from netstack_tui.scenarios.loader import ScenarioError, load_file

TOURS = [s.id for s in list_scenarios() if s.kind == "tour"]


@pytest.mark.parametrize("scenario_id", TOURS)
def test_a_tour_is_not_done_before_its_journeys_are_followed(scenario_id: str) -> None:
    """Opening a tour, or typing an unrelated command, does not reach its goal."""
    scenario = load_scenario(scenario_id)
    session = Session(scenario.setup, scenario.packets, world=scenario.world)
    session.next_packet()
    assert not evaluate(scenario, session).reached
    session.run_command("iptables -L -n")
    assert not evaluate(scenario, session).reached


@pytest.mark.parametrize("scenario_id", TOURS)
def test_a_tour_is_done_once_every_journey_was_stepped_to_its_end(scenario_id: str) -> None:
    """Each packet sent and viewed to its last step: the goal is reached, and not one packet before."""
    scenario = load_scenario(scenario_id)
    session = Session(scenario.setup, scenario.packets, world=scenario.world)
    while session.next_packet() is not None:
        assert not evaluate(scenario, session).reached
        assert session.journey_viewed() is True
        assert session.journey_viewed() is False  # already recorded: nothing new to evaluate
    assert evaluate(scenario, session).reached


def test_viewed_journeys_survive_a_restart() -> None:
    """Replaying the learner's commands does not forget what they have already followed."""
    scenario = load_scenario("tour-outgoing")
    session = Session(scenario.setup, scenario.packets)
    session.next_packet()
    session.journey_viewed()
    session.restart()
    assert session.viewed == {scenario.packets[0].name}


def test_a_learners_own_packet_is_not_a_followed_scenario_packet() -> None:
    """journey_viewed() without a scenario packet as the current one records nothing."""
    scenario = load_scenario("tour-outgoing")
    session = Session(scenario.setup, scenario.packets)
    session.run_command("send tcp 10.0.0.1:50000 > 192.0.2.1:80 [S]")
    assert session.journey_viewed() is False and not session.viewed


def test_ssh_lockout_needs_the_rollback_to_run() -> None:
    """Removing the queued rollback and fixing the rules by hand does not reach the goal."""
    scenario = load_scenario("ssh-lockout")
    session = Session(scenario.setup, scenario.packets)
    session.next_packet()
    for line in ("atrm 1", "iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                 "iptables -A INPUT -p tcp --dport 22 -j ACCEPT"):
        assert session.run_command(line).status == 0
    status = evaluate(scenario, session)
    assert not status.reached
    assert [ok for label, ok in status.checks if "rollback" in label] == [False]
    fresh = Session(scenario.setup, scenario.packets)
    fresh.next_packet()
    for line in scenario.solution:
        fresh.run_command(line)
    assert evaluate(scenario, fresh).reached


def test_a_tour_without_a_followed_check_is_refused(tmp_path: object) -> None:
    """A tour whose goal holds without the learner looking is a broken file, named as such."""
    from pathlib import Path

    source = (Path(load_scenario("tour-outgoing").path)).read_text(encoding="utf-8")
    broken = Path(str(tmp_path)) / "tour-outgoing.yaml"
    broken.write_text(source.replace("    - followed: all\n", ""), encoding="utf-8")
    with pytest.raises(ScenarioError, match="followed: all"):
        load_file(broken)


def test_followed_belongs_in_the_goal_only(tmp_path: object) -> None:
    """`followed:` in a symptom or a hint's premise is refused: it is about the learner, not the host."""
    from pathlib import Path

    source = Path(load_scenario("rule-order").path).read_text(encoding="utf-8")
    broken = Path(str(tmp_path)) / "rule-order.yaml"
    broken.write_text(source.replace("  checks:\n", "  checks:\n    - followed: all\n", 1), encoding="utf-8")
    with pytest.raises(ScenarioError, match="belongs in the goal"):
        load_file(broken)
