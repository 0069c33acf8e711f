"""tc's output layouts against the real tool's (recorded in `real_outputs`)."""

from __future__ import annotations

import pytest

from . import real_outputs as real
from .sim import pair_shell


@pytest.mark.parametrize("command", sorted(real.HTB_OUTPUTS))
def test_htb_tree_prints_as_the_real_tool(command: str) -> None:
    """An HTB root with a parent class, two leaves, a pfifo leaf and two u32 filters lists as recorded."""
    sh = pair_shell(*real.HTB_SETUP)
    assert sh.run(command).output == real.HTB_OUTPUTS[command]


@pytest.mark.parametrize("params", sorted(real.SINGLE_QDISCS))
def test_single_qdisc_lines(params: str) -> None:
    """Each root qdisc's parameters print in the real layout (units, trailing space and all)."""
    sh = pair_shell(f"tc qdisc add dev va root handle 1: {params}")
    assert sh.run("tc qdisc show dev va").output == real.SINGLE_QDISCS[params]


@pytest.mark.parametrize("command", sorted(real.CLSACT_OUTPUTS))
def test_clsact_and_u32_actions(command: str) -> None:
    """clsact with a u32 filter whose action redirects: the layouts of `qdisc show` and `filter show`."""
    sh = pair_shell("ip link add ifb0 type ifb", "ip link set ifb0 up",
                    *(line.replace("dev vb", "dev ifb0") for line in real.CLSACT_SETUP))
    expected = real.CLSACT_OUTPUTS[command].replace("device vb", "device ifb0")
    assert sh.run(command).output == expected


def test_ingress_qdisc_line_and_exclusivity() -> None:
    """The ingress qdisc prints its dashes; a second one is refused as the kernel does."""
    sh = pair_shell("tc qdisc add dev va ingress")
    assert sh.run("tc qdisc show dev va ingress").output == real.INGRESS_LINE
    again = sh.run("tc qdisc add dev va ingress")
    assert (again.status, again.output) == (2, "Error: Exclusivity flag on, cannot modify.")


@pytest.mark.parametrize(("command", "status", "message"), real.ERRORS)
def test_errors_as_the_real_tool(command: str, status: int, message: str) -> None:
    """Refusals carry the real tool's message and exit status."""
    result = pair_shell().run(command)
    assert (result.status, result.output) == (status, message)


def test_burst_is_rounded_through_microseconds() -> None:
    """Real: `class change ... rate 3mbit` shows burst 1599b (the time in whole microseconds)."""
    sh = pair_shell("tc qdisc add dev va root handle 1: htb",
                    "tc class add dev va parent 1: classid 1:10 htb rate 1mbit")
    assert sh.run("tc class change dev va classid 1:10 htb rate 3mbit").status == 0
    assert sh.run("tc class show dev va").output == \
        "class htb 1:10 root prio 0 rate 3Mbit ceil 3Mbit burst 1599b cburst 1599b "


def test_same_pref_filters_share_a_hash_table() -> None:
    """Real: a second filter at the same pref is node 801 of table 800 (`order 2049`)."""
    sh = pair_shell("tc qdisc add dev va root handle 1: htb",
                    "tc filter add dev va parent 1: protocol ip prio 1 u32 match ip dst 10.0.0.1 flowid 1:10",
                    "tc filter add dev va parent 1: protocol ip prio 1 u32 match ip dst 10.0.0.0/8 flowid 1:10")
    lines = sh.run("tc filter show dev va").output.splitlines()
    assert lines[-2:] == ["filter parent 1: protocol ip pref 1 u32 chain 0 fh 800::801 order 2049 key ht 800 bkt 0 "
                          "*flowid 1:10 not_in_hw ", "  match 0a000000/ff000000 at 16"]
    assert sh.run("tc filter del dev va parent 1: prio 1").status == 0
    assert sh.run("tc filter show dev va").output == ""


def test_unmodelled_parts_say_so_in_one_line() -> None:
    """Qdiscs, classifiers and actions the model lacks are refused with one line naming them."""
    sh = pair_shell("tc qdisc add dev va root handle 1: htb")
    for line in ("tc qdisc replace dev va root sfq", "tc filter add dev va parent 1: matchall action drop",
                 "tc filter add dev va parent 1: protocol ip prio 1 u32 match ip dst 1.2.3.4 action skbedit mark 1",
                 "tc -n foo qdisc show"):
        result = sh.run(line)
        assert result.status == 1 and "not simulated" in result.output and "\n" not in result.output, line
