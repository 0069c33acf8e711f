"""A connection whose reply tuple another connection already holds gets a new source port even with
no NAT rule (nf_nat_alloc_null_binding -> get_unique_tuple). Measured on a 6.18 router: a mirror of
a forwarded UDP flow left with source port 123 remapped into 1-511 (at random there; the model
takes the first free port, so this test checks the range, not the number)."""

from __future__ import annotations

from netstack_tui.commands.shell import Shell


def _router() -> Shell:
    sh = Shell()
    for line in ["ip link add eth1 type dummy", "ip link set eth1 up", "ip addr add 10.0.0.1/24 dev eth0",
                 "ip addr add 192.168.1.1/24 dev eth1", "sysctl -w net.ipv4.ip_forward=1",
                 "iptables -t nat -A POSTROUTING -o eth1 -j MASQUERADE"]:
        assert sh.run(line).status == 0, line
    return sh


def test_mirror_flow_gets_a_new_source_port() -> None:
    """The first flow is masqueraded on its way out; the mirror from the far side is then a new
    connection (it is not the reply, which goes to the masquerading address), and its reply tuple
    is the first flow's original one."""
    sh = _router()
    first = sh.run("send udp 10.0.0.2:40007 > 192.168.1.2:123 len=15").traces[0]
    assert first.final_packet.sport == 40007 and first.final_packet.src != first.packet.src
    mirror = sh.run("send udp 192.168.1.2:123 > 10.0.0.2:40007 len=3 iface=eth1").traces[0]
    assert str(mirror.disposition) == "forwarded"
    assert mirror.final_packet.src == first.packet.dst  # the address stays
    assert 1 <= mirror.final_packet.sport <= 511 and mirror.final_packet.sport != 123
    assert "[UNREPLIED]" in sh.run("conntrack -L").output


def test_no_clash_no_change() -> None:
    sh = _router()
    sh.run("send udp 10.0.0.2:40007 > 192.168.1.2:123 len=15")
    other = sh.run("send udp 192.168.1.2:124 > 10.0.0.2:40007 len=3 iface=eth1").traces[0]
    assert other.final_packet.sport == 124
