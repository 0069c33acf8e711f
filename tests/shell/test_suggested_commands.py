"""Every command the explorer suggests under "On a real machine" runs in the app's own shell.

For every shipped scenario, every packet is sent, and for every step of its journey and of each reply
`real_commands()` gives the commands a learner may copy; each runs in that scenario's session shell,
right after the packet, and must succeed with no "not simulated", "command not found" or "invalid" in
its answer. Only the tools the shell honestly does not simulate (kernel tracing) are allowed to answer
with their one-line "not simulated" message.
"""

from __future__ import annotations

import re

import pytest

from netstack_tui.commands.session import Session
from netstack_tui.kernel.trace import Trace, Verdict
from netstack_tui.scenarios.library import list_scenarios
from netstack_tui.tui.stage_info import real_commands

NOT_SIMULATED_TOOLS = frozenset({"perf", "dropwatch"})
"""Kernel tracing tools: they answer with one line saying they are not simulated."""
REFUSAL = re.compile(r"not simulated|command not found|\binvalid\b(?!=| addresses| headers)", re.IGNORECASE)
"""A refusal or error in an answer (`invalid=0` is a counter of `conntrack -S`, and `N with invalid
addresses` / `headers` are counters of `netstat -s`, not one)."""


def _inner(command: str) -> str:
    """The command itself, without the `ip netns exec NS` / `docker exec ID` that runs it elsewhere."""
    for prefix, words in (("ip netns exec ", 4), ("docker exec ", 3)):
        if command.startswith(prefix):
            return command.split(" ", words)[words]
    return command


def _journeys(trace: Trace) -> list[Trace]:
    out = [trace]
    for reply in trace.replies:
        out += _journeys(reply)
    return out


def _collect() -> list[tuple[str, str, int, str]]:
    """(scenario id, command, exit status, answer) for every suggestion, each once per scenario. A
    routing step that dropped the packet suggests `ip route get`, which must then answer with the
    kernel's error for that drop (marked `expect-rtnetlink` in the scenario id)."""
    results: list[tuple[str, str, int, str]] = []
    for scenario in list_scenarios():
        session = Session(scenario.setup, scenario.packets, world=scenario.world)
        seen: set[str] = set()
        while (trace := session.next_packet()) is not None:
            for journey in _journeys(trace):
                for step in journey.steps:
                    for command in real_commands(step, journey):
                        # nft listings are covered in tests/nftables
                        inner = _inner(command)
                        if inner.startswith("nft ") or command in seen:
                            continue
                        seen.add(command)
                        result = session.shell.run(command)
                        dropped = step.stage == "route_input" and step.verdict in (Verdict.DROP, Verdict.REJECT)
                        tag = (
                            f"{scenario.id} expect-rtnetlink"
                            if dropped and command.startswith("ip route get")
                            else scenario.id
                        )
                        results.append((tag, command, result.status, result.output))
    return results


RESULTS = _collect()


def test_suggestions_were_collected() -> None:
    """The collection covers every stage family the explorer suggests commands for."""
    tools = {command.split()[0] for _, command, _, _ in RESULTS}
    assert {
        "ip",
        "ethtool",
        "cat",
        "bpftool",
        "tcpdump",
        "nstat",
        "netstat",
        "conntrack",
        "ss",
        "sysctl",
        "tc",
        "perf",
        "dropwatch",
        "ls",
    } <= tools


@pytest.mark.parametrize("scenario,command,status,output", RESULTS, ids=[f"{s}:{c[:60]}" for s, c, _, _ in RESULTS])
def test_suggested_command_runs(scenario: str, command: str, status: int, output: str) -> None:
    """A suggested command succeeds in the app's shell, or is a tracing tool that says it is not simulated."""
    where = f"{scenario}: {command!r} answered ({status}) {output!r}"
    assert "Traceback" not in output, where
    if scenario.endswith("expect-rtnetlink"):
        assert status == 2 and output.startswith("RTNETLINK answers: ") and "\n" not in output, where
        return
    if _inner(command).split()[0] in NOT_SIMULATED_TOOLS:
        assert status != 0 and len(output.splitlines()) == 1 and "not simulated" in output, where
        return
    assert status == 0, where
    assert REFUSAL.search(output) is None, where

