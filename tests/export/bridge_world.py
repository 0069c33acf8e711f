"""A journey across namespaces for the export tests: the root namespace sends a SYN over its bridge
br0 to blue's nginx (red, on the same bridge, hears the ARP broadcast), and the SYN-ACK comes back."""

from __future__ import annotations

from netstack_tui.commands.session import NamedPacket, Session

BRIDGE_SETUP = [
    "ip link add br0 type bridge",
    "ip addr add 10.0.0.254/24 dev br0",
    "ip link set br0 up",
    "ip netns add red",
    "ip netns add blue",
    "ip link add veth-red type veth peer name eth0 netns red",
    "ip link add veth-blue type veth peer name eth0 netns blue",
    "ip link set veth-red master br0",
    "ip link set veth-blue master br0",
    "ip link set veth-red up",
    "ip link set veth-blue up",
    "ip -n red addr add 10.0.0.1/24 dev eth0",
    "ip -n blue addr add 10.0.0.2/24 dev eth0",
    "ip -n red link set eth0 up",
    "ip -n blue link set eth0 up",
    "ip netns exec blue listen tcp 0.0.0.0:80 --app nginx",
    "iptables -A FORWARD -i br0 -o br0 -j ACCEPT",
]

BRIDGE_PACKETS = [
    NamedPacket("to-blue", "tcp 10.0.0.254:45000 > 10.0.0.2:80 [S]"),
    NamedPacket("red-to-blue", "tcp 10.0.0.1:40000 > 10.0.0.2:80 [S]", namespace="red"),
]


def bridge_session(packet: int = 0) -> Session:
    """The bridge world with scenario packet `packet` sent (and those before it)."""
    session = Session(BRIDGE_SETUP, BRIDGE_PACKETS)
    assert not session.setup_errors, session.setup_errors
    session.go_to_packet(packet)
    return session
