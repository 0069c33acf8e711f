"""The engine, through the shell: each way a journey can end, and properties every trace keeps."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.stages import STAGE_BY_ID
from netstack_tui.kernel.trace import Disposition, Trace, Verdict

HOST = [
    "ip addr add 10.0.0.1/24 dev eth0",
    "listen tcp 0.0.0.0:80 --app nginx",
    "listen udp 0.0.0.0:53 --app dns",
]


def _shell(*extra: str) -> Shell:
    sh = Shell()
    for line in (*HOST, *extra):
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def _send(sh: Shell, spec: str) -> Trace:
    result = sh.run("send " + spec)
    assert result.status == 0, result.output
    return result.traces[0]


@pytest.mark.parametrize(
    ("setup", "spec", "disposition", "last_stage", "reply"),
    [
        ((), "tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]", Disposition.DELIVERED, "socket", "[S.]"),
        ((), "tcp 10.0.0.2:40000 > 10.0.0.1:81 [S]", Disposition.DROPPED, "socket", "[R.]"),
        ((), "udp 10.0.0.2:5000 > 10.0.0.1:54", Disposition.DROPPED, "socket", "port-unreachable"),
        ((), "icmp 10.0.0.2 > 10.0.0.1 echo-request", Disposition.DELIVERED, "socket", "echo-reply"),
        (("iptables -A INPUT -p tcp --dport 80 -j DROP",), "tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]",
         Disposition.DROPPED, "input.filter", None),
        (("iptables -A INPUT -p tcp --dport 80 -j REJECT --reject-with tcp-reset",),
         "tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]", Disposition.REJECTED, "input.filter", "[R.]"),
        (("iptables -t raw -A PREROUTING -s 10.0.0.66 -j DROP",), "tcp 10.0.0.66:40000 > 10.0.0.1:80 [S]",
         Disposition.DROPPED, "prerouting.raw", None),
        ((), "tcp 10.0.0.2:40000 > 192.0.2.1:80 [S]", Disposition.DROPPED, "route_input", None),
        (("sysctl -w net.ipv4.ip_forward=1", "ip link add eth1 type veth peer name peer1", "ip link set eth1 up",
          "ip addr add 192.168.1.1/24 dev eth1", "ip route add default via 192.168.1.254"),
         "tcp 10.0.0.2:40000 > 192.0.2.1:80 [S]", Disposition.DROPPED, "neigh", "host-unreachable"),
        (("sysctl -w net.ipv4.ip_forward=1", "ip route add default via 10.0.0.254"),
         "tcp 10.0.0.2:40000 > 192.0.2.1:80 [S]", Disposition.FORWARDED, "tx", "host-redirect"),
        (("sysctl -w net.ipv4.ip_forward=1", "ip route add default via 10.0.0.254"),
         "tcp 10.0.0.2:40000 > 192.0.2.1:80 [S] ttl=1", Disposition.DROPPED, "ip_forward", "ttl-zero-during-transit"),
        (("ip link set dev eth0 xdp obj xdp_drop",), "tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]",
         Disposition.DROPPED, "xdp", None),
        (("nic eth0 driver r8169", "ip link set dev eth0 xdp obj xdp_drop"), "tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]",
         Disposition.DROPPED, "xdp_generic", None),
        ((), "tcp 10.0.0.1:40000 > 10.0.0.2:80 [S]", Disposition.SENT, "tx", None),
    ],
)
def test_journeys_end_where_the_kernel_ends_them(setup: tuple[str, ...], spec: str, disposition: Disposition,
                                                 last_stage: str, reply: str | None) -> None:
    """Each configuration stops the packet at the kernel's stage, with the kernel's answer."""
    trace = _send(_shell(*setup), spec)
    assert trace.disposition == disposition, trace.summary_line()
    assert trace.steps[-1].stage == last_stage
    sent = [str(r.final_packet) for r in trace.replies if r.disposition == Disposition.SENT]
    if reply is None:
        assert sent == []
    else:
        assert len(sent) == 1 and reply in sent[0]


def test_xdp_native_drop_costs_less_than_an_iptables_drop() -> None:
    """The cost model shows why XDP is fast: dropping before the sk_buff skips most of the path."""
    xdp = _send(_shell("ip link set dev eth0 xdp obj xdp_drop"), "tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]")
    generic = _send(_shell("nic eth0 driver r8169", "ip link set dev eth0 xdpgeneric obj xdp_drop"),
                    "tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]")
    nf = _send(_shell("iptables -A INPUT -j DROP"), "tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]")
    assert xdp.total_cost_ns < generic.total_cost_ns < nf.total_cost_ns


def test_dnat_applies_to_the_first_packet_and_replies_are_un_natted() -> None:
    """Port forwarding: the SYN is rewritten by the nat table; the SYN-ACK goes back with the old address."""
    sh = _shell("ip addr add 192.168.1.1/24 dev lo", "sysctl -w net.ipv4.ip_forward=1",
                "iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.1:80")
    trace = _send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:8080 [S]")
    assert trace.disposition == Disposition.DELIVERED
    nat_step = next(s for s in trace.steps if s.stage == "prerouting.nat")
    assert nat_step.rule_index == 1 and nat_step.packet.dport == 80
    assert str(trace.replies[0].final_packet) == "tcp 10.0.0.1:8080 > 10.0.0.2:40000 [S.]"
    again = _send(sh, "tcp 10.0.0.2:40000 > 10.0.0.1:8080 [.]")
    assert next(s for s in again.steps if s.stage == "prerouting.nat").verdict == Verdict.SKIP


def test_conntrack_table_full_drops_new_connections() -> None:
    """With nf_conntrack_max reached by ASSURED entries, a new connection is dropped and dmesg says so."""
    sh = _shell("iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                "sysctl -w net.netfilter.nf_conntrack_max=2")
    for port in (40001, 40002):
        _send(sh, f"tcp 10.0.0.2:{port} > 10.0.0.1:80 [S]")
        _send(sh, f"tcp 10.0.0.2:{port} > 10.0.0.1:80 [.]")
    trace = _send(sh, "tcp 10.0.0.2:40003 > 10.0.0.1:80 [S]")
    assert trace.disposition == Disposition.DROPPED
    assert trace.steps[-1].stage == "prerouting.conntrack"
    assert "table full, dropping packet" in sh.run("dmesg").output


def test_accept_queue_overflow_drops_syns() -> None:
    """A listener that never accepts: once its accept queue holds backlog+1 connections, SYNs are dropped."""
    sh = _shell("listen tcp 0.0.0.0:8080 --backlog 1 --no-accept --app slow")
    for port in (40001, 40002):
        _send(sh, f"tcp 10.0.0.2:{port} > 10.0.0.1:8080 [S]")
        _send(sh, f"tcp 10.0.0.2:{port} > 10.0.0.1:8080 [.]")
    trace = _send(sh, "tcp 10.0.0.2:40003 > 10.0.0.1:8080 [S]")
    assert trace.drop_reason == "TCP_LISTEN_OVERFLOW"


def test_fd_limit_leaves_connections_in_the_queue() -> None:
    """With `ulimit -n 4` (0-2 taken, 3 the listener), accept() fails with EMFILE."""
    sh = Shell()
    for line in ("ip addr add 10.0.0.1/24 dev eth0", "ulimit -n 4", "listen tcp 0.0.0.0:9000 --app leaky"):
        assert sh.run(line).status == 0
    _send(sh, "tcp 10.0.0.2:40001 > 10.0.0.1:9000 [S]")
    trace = _send(sh, "tcp 10.0.0.2:40001 > 10.0.0.1:9000 [.]")
    assert trace.steps[-1].note == "app.emfile"


# ---- properties ------------------------------------------------------------------------------------

specs = st.one_of(
    st.builds(lambda s, d, f, t: f"tcp 10.0.0.{s}:4{s:04d} > 10.0.0.{d}:{t} [{f}]",
              st.integers(2, 9), st.sampled_from([1, 1, 1, 7]), st.sampled_from(["S", ".", "S.", "R", "F.", "P."]),
              st.sampled_from([22, 53, 80, 443])),
    st.builds(lambda s, t, ttl: f"udp 10.0.0.{s}:5000 > 10.0.0.1:{t} ttl={ttl}",
              st.integers(2, 9), st.sampled_from([53, 54]), st.integers(1, 255)),
    st.builds(lambda s, ttl: f"icmp 10.0.0.{s} > 10.0.0.1 echo-request ttl={ttl}", st.integers(2, 9),
              st.integers(1, 255)),
)
RULES = (
    "iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
    "iptables -A INPUT -p tcp --dport 22 -s 10.0.0.5 -j REJECT --reject-with tcp-reset",
    "iptables -A INPUT -p udp --dport 54 -j DROP",
    "iptables -t mangle -A PREROUTING -p icmp -j MARK --set-mark 7",
    "sysctl -w net.ipv4.ip_forward=1",
)


def _journey(packets: list[str]) -> list[dict[str, object]]:
    sh = _shell(*RULES)
    return [_send(sh, spec).to_json() for spec in packets]


@settings(max_examples=40, deadline=None)
@given(st.lists(specs, min_size=1, max_size=6))
def test_same_input_gives_the_same_trace(packets: list[str]) -> None:
    """Determinism: the same setup and packets give byte-identical traces."""
    assert json.dumps(_journey(packets)) == json.dumps(_journey(packets))


def _walk(trace: Trace) -> list[Trace]:
    return [trace, *(t for reply in trace.replies for t in _walk(reply))]


@settings(max_examples=40, deadline=None)
@given(st.lists(specs, min_size=1, max_size=6))
def test_every_trace_ends_once_and_ttl_never_rises(packets: list[str]) -> None:
    """A journey has one disposition, nothing runs after a drop, stages are known, TTL never rises."""
    sh = _shell(*RULES)
    for spec in packets:
        for trace in _walk(_send(sh, spec)):
            assert trace.disposition in Disposition
            stops = [i for i, s in enumerate(trace.steps) if s.verdict in (Verdict.DROP, Verdict.REJECT)
                     and s.stage != "app"]
            if stops:
                assert stops == [len(trace.steps) - 1]
                assert trace.disposition in (Disposition.DROPPED, Disposition.REJECTED)
            assert all(s.stage in STAGE_BY_ID for s in trace.steps)
            ttls = [s.packet.ttl for s in trace.steps]
            assert all(a >= b for a, b in zip(ttls, ttls[1:], strict=False))


def test_connect_sends_a_syn_and_a_syn_ack_establishes_it() -> None:
    """`connect` leaves a SYN-SENT socket; the peer's SYN-ACK makes it ESTAB and the host ACKs."""
    sh = _shell("ip route add default via 10.0.0.254")
    result = sh.run("connect tcp 192.0.2.80:443 --app curl")
    assert result.status == 0 and result.traces[0].disposition == Disposition.SENT
    assert "SYN-SENT" in sh.run("ss -tan").output
    trace = _send(sh, "tcp 192.0.2.80:443 > 10.0.0.1:32768 [S.]")
    assert trace.steps[-1].note == "sock.connected"
    assert [str(r.final_packet) for r in trace.replies] == ["tcp 10.0.0.1:32768 > 192.0.2.80:443 [.]"]
    assert "ESTAB" in sh.run("ss -tan").output


def test_rst_to_a_connecting_socket_is_connection_refused() -> None:
    """A RST answering our SYN ends connect() with ECONNREFUSED and frees the socket."""
    sh = _shell("ip route add default via 10.0.0.254")
    sh.run("connect tcp 192.0.2.80:81 --app curl")
    trace = _send(sh, "tcp 192.0.2.80:81 > 10.0.0.1:32768 [R.]")
    assert trace.steps[-1].note == "sock.refused"
    assert "SYN-SENT" not in sh.run("ss -tan").output
