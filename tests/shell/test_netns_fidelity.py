"""Multi-namespace shell behaviours the real kernel showed (tests/kernel/multihost), one per test."""

from __future__ import annotations

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.world import ROOT_NAME, World

PAIR = [
    "ip netns add a",
    "ip netns add b",
    "ip link add veth-a type veth peer name veth-b",
    "ip link set veth-a netns a",
    "ip link set veth-b netns b",
    "ip -n a addr add 10.0.0.1/24 dev veth-a",
    "ip -n b addr add 10.0.0.2/24 dev veth-b",
    "ip -n a link set veth-a up",
    "ip -n b link set veth-b up",
]


def fresh(lines: list[str]) -> Shell:
    shell = Shell(world=World(Host.namespace(ROOT_NAME)))
    for line in lines:
        result = shell.run(line)
        assert result.status == 0, (line, result.output)
    return shell


def test_link_rename_moves_everything_and_refuses_when_up() -> None:
    """`ip link set dev X name Y` renames a down device (the peer follows); up: busy; taken: exists."""
    shell = fresh(["ip netns add a", "ip link add t1a type veth peer name t1b", "ip link set dev t1a name va",
                   "ip link set t1b netns a", "ip -n a link set dev t1b name eth0",
                   "ip -n a addr add 10.0.0.1/24 dev eth0"])
    assert "eth0@if" in shell.run("ip -n a link show eth0").output
    assert "va@if" in shell.run("ip link show va").output
    shell.run("ip link set va up")
    busy = shell.run("ip link set dev va name vb")
    assert (busy.status, busy.output) == (2, "RTNETLINK answers: Device or resource busy")
    shell.run("ip link add dummy0 type dummy")
    taken = shell.run("ip link set dev dummy0 name va")
    assert (taken.status, taken.output) == (2, "RTNETLINK answers: File exists")


def test_bridge_with_its_own_address_has_a_local_fdb_entry() -> None:
    """`ip link set br0 address MAC`: `MAC dev br0 master br0 permanent` (br_fdb_change_mac_address)."""
    shell = fresh(["ip link add br0 type bridge", "ip link set dev br0 address 02:00:00:00:05:01"])
    assert shell.run("bridge fdb show").output == "02:00:00:00:05:01 dev br0 master br0 permanent"


def test_ping_waits_out_an_unanswered_arp() -> None:
    """-W 1 ends while the neighbour is INCOMPLETE; -W 4 sees the 3 probes fail: FAILED."""
    shell = fresh(PAIR)
    shell.run("ip netns exec a ping -c 1 -W 1 10.0.0.9")
    assert shell.run("ip -n a neigh").output.rstrip() == "10.0.0.9 dev veth-a INCOMPLETE"
    shell = fresh(PAIR)
    shell.run("ip netns exec a ping -c 1 -W 4 10.0.0.9")
    assert shell.run("ip -n a neigh").output.rstrip() == "10.0.0.9 dev veth-a FAILED"


def test_two_ping_runs_are_two_conntrack_entries() -> None:
    """Each ping process has its own echo id, so conntrack tracks two runs as two flows."""
    shell = fresh([*PAIR, "ip netns exec a iptables -A OUTPUT -m conntrack --ctstate NEW"])
    shell.run("ip netns exec a ping -c 1 -W 1 10.0.0.2")
    shell.run("ip netns exec a ping -c 1 -W 1 10.0.0.2")
    entries = [line for line in shell.run("ip netns exec a conntrack -L").output.splitlines() if "src=" in line]
    assert len(entries) == 2
