"""World-level behaviours checked against the real kernel (tests/kernel/multihost), one per test."""

from __future__ import annotations

from netstack_tui.kernel import stack
from netstack_tui.kernel.addr import parse_ipv4
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.packet import IPPROTO_TCP, SYN, Packet
from netstack_tui.kernel.world import World


def test_handshake_over_lo_completes() -> None:
    """SYN, SYN-ACK and ACK each cross lo: the listener accepts (lo crossings are not reply depth)."""
    world = World()
    host = world.root
    addr = parse_ipv4("127.0.0.1")
    table = host.sockets
    server = table.spawn("server")
    table.listen(table.bind(server, "tcp", 0, 80, now=0.0), 128, 4096)
    client = table.spawn("client")
    sock = table.bind(client, "tcp", addr, 41000, now=0.0)
    sock.peer, sock.state = (addr, 80), "SYN-SENT"
    stack.transmit(host, Packet(IPPROTO_TCP, addr, addr, 41000, 80, flags=SYN, seq=1000), owner="client")
    assert sock.state == "ESTAB"
    accepted = [s for s in table.sockets if s.local == (addr, 80) and s.state == "ESTAB"]
    assert len(accepted) == 1


def test_echo_ids_differ_per_run_and_repeat_per_world() -> None:
    """`World.echo_id`: 0x1234 for the first ping of a world, then the next; a new world starts over."""
    world = World(Host.namespace("host"))
    assert [world.echo_id(0x1234), world.echo_id(0x1234)] == [0x1234, 0x1235]
    assert World().echo_id(0x1234) == 0x1234
