"""TCP's timers, teardown and MIB counters against the real kernel (root, marker ``netns``): the same
lines run in real namespaces and in the simulator, then the retransmissions (count and times, to
±0.3 s), the client's outcome, the states `ss` shows and the counters `nstat` shows must agree.

The retry sysctls are set low so every real wait stays within a few seconds (about 12 s in all).
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator

import pytest

from netstack_tui.commands.shell import Shell

from .tcp_pair import PAIR, ROUTED, Lab, settle

pytestmark = pytest.mark.netns

TOLERANCE = 0.3
"""Seconds a real retransmission may differ from the simulator's (timer slack, scheduling)."""

MODELED = ("IpInReceives", "IpInAddrErrors", "IpForwDatagrams", "IpInDelivers", "IpOutRequests", "IpOutTransmits",
           "IcmpInMsgs", "IcmpOutMsgs", "IcmpInDestUnreachs", "IcmpOutDestUnreachs", "IcmpInEchos", "IcmpInEchoReps",
           "IcmpOutEchos", "IcmpOutEchoReps", "TcpActiveOpens", "TcpPassiveOpens", "TcpAttemptFails",
           "TcpEstabResets", "TcpInSegs", "TcpOutSegs", "TcpRetransSegs", "TcpOutRsts", "TcpExtListenOverflows",
           "TcpExtListenDrops", "TcpExtSyncookiesSent", "TcpExtTCPTimeouts", "TcpExtTCPSynRetrans",
           "TcpExtIPReversePathFilter", "TcpExtTCPAbortOnClose", "TcpExtTCPAbortOnTimeout", "TcpExtEmbryonicRsts")
"""The counters the model keeps, compared name by name."""

RAW_SYN = ("import socket, struct; s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP); "
           "h = struct.pack('!HHIIBBHHH', 41000, 80, 1000, 0, 5 << 4, 0x02, 64240, 0, 0); "
           "p = socket.inet_aton('10.0.0.1') + socket.inet_aton('10.0.0.2') + struct.pack('!BBH', 0, 6, len(h)); "
           "w = sum(struct.unpack('!%dH' % (len(p + h) // 2), p + h)); w = (w >> 16) + (w & 0xFFFF); "
           "w = ~((w >> 16) + w) & 0xFFFF; s.sendto(h[:16] + struct.pack('!H', w) + h[18:], ('10.0.0.2', 0))")
"""One bare SYN from 10.0.0.1:41000 (no options), sent through a raw socket: no connect(), so no
retransmissions of its own, as the simulator's hand-written SYN."""

HOLD = ("import socket, time, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
        "s.bind(('0.0.0.0', 80)); s.listen(int(sys.argv[1])); "
        "c = s.accept() if sys.argv[2] == 'accept' else None; time.sleep(30)")
"""A server that listens (backlog argv[1]), accepts one connection or none (argv[2]) and never
reads or closes: the simulator's `listen --leak` / `--no-accept`."""


@pytest.fixture
def lab(multihost_kernel: None) -> Iterator[Lab]:
    real = Lab()
    try:
        yield real
    finally:
        real.close()


def _sim(*lines: str) -> Shell:
    sh = Shell()
    for line in lines:
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def _sim_segments(sh: Shell, ns: str) -> list[tuple[float, str]]:
    """(seconds since the first, flags) of every TCP segment the simulator's tcpdump shows in `ns`."""
    text = sh.run(f"ip netns exec {ns} tcpdump -n tcp").output
    found = [(int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]), m[4])
             for m in re.finditer(r"^(\d\d):(\d\d):(\d\d\.\d+) IP .*?Flags \[([^\]]+)\]", text, re.M)]
    start = found[0][0] if found else 0.0
    return [(round(t - start, 3), flags) for t, flags in found]


def _sim_counters(sh: Shell, ns: str) -> dict[str, int]:
    text = sh.run(f"ip netns exec {ns} nstat -az").output
    values = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)", text, re.M)}
    return {name: values.get(name, 0) for name in MODELED}


def _same_segments(real: list[tuple[float, str]], sim: list[tuple[float, str]]) -> None:
    assert [f for _, f in real] == [f for _, f in sim], (real, sim)
    for (t_real, flags), (t_sim, _) in zip(real, sim, strict=True):
        assert abs(t_real - t_sim) <= TOLERANCE, f"[{flags}] at {t_real} s on the kernel, {t_sim} s simulated"


def _states(text: str) -> list[str]:
    """`ss -tanH` rows other than listeners: `STATE local peer`."""
    return sorted(" ".join(row.split()[i] for i in (0, 3, 4)) for row in text.splitlines()
                  if row.strip() and not row.startswith("LISTEN"))


def test_unanswered_syn_retransmits_then_nc_times_out(lab: Lab) -> None:
    """tcp_syn_retries=1, the server drops every SYN: SYNs at 0, 1, 2 s and ETIMEDOUT at 3 s; nc's
    line and both sides' counters as the kernel's."""
    setup = [*PAIR, "ip netns exec a sysctl -w net.ipv4.tcp_syn_retries=1",
             "ip netns exec b iptables -A INPUT -p tcp -j DROP"]
    lab.run(*setup)
    capture = lab.capture("a", "va")
    started = time.monotonic()
    said = lab.run("ip netns exec a nc -zv -w 10 -p 41000 10.0.0.2 80", check=False)
    took = time.monotonic() - started
    settle(0.05)
    sh = _sim(*setup)
    result = sh.run("ip netns exec a nc -zv -w 10 -p 41000 10.0.0.2 80")
    line = "nc: connect to 10.0.0.2 port 80 (tcp) failed: Connection timed out"
    assert line in said and line in result.output
    _same_segments(capture.segments(), _sim_segments(sh, "a"))
    assert abs(took - 3.0) <= TOLERANCE
    for ns in ("a", "b"):
        assert (ns, _sim_counters(sh, ns)) == (ns, lab.counters(ns, MODELED))


def test_unanswered_synack_retransmits_then_the_request_is_dropped(lab: Lab) -> None:
    """tcp_synack_retries=1, a bare SYN whose SYN-ACKs the client drops: SYN-ACKs at 0 and 1 s, the
    request gone after its last timer (3 s); the listener's counters as the kernel's."""
    setup = [*PAIR, "ip netns exec b sysctl -w net.ipv4.tcp_synack_retries=1",
             "ip netns exec a iptables -A INPUT -p tcp -j DROP"]
    lab.run(*setup)
    lab.start("b", "python3", "-c", HOLD, "8", "none")
    capture = lab.capture("b", "vb")
    time.sleep(0.3)  # the listener is up
    lab.call("a", "python3", "-c", RAW_SYN)
    time.sleep(2.5)
    pending_real = _states(lab.run("ip netns exec b ss -tanH"))
    time.sleep(1.0)
    gone_real = _states(lab.run("ip netns exec b ss -tanH"))
    sh = _sim(*setup, "ip netns exec b listen tcp 0.0.0.0:80 --app web --backlog 8 --no-accept",
              "ip netns exec a send 'tcp 10.0.0.1:41000 > 10.0.0.2:80 [S]'")
    sh.run("sleep 2.5")
    pending_sim = _states(sh.run("ip netns exec b ss -tanH").output)
    sh.run("sleep 1")
    assert pending_real == pending_sim == ["SYN-RECV 10.0.0.2:80 10.0.0.1:41000"]
    assert gone_real == _states(sh.run("ip netns exec b ss -tanH").output) == []
    _same_segments(capture.segments(), _sim_segments(sh, "b"))
    assert _sim_counters(sh, "b") == lab.counters("b", MODELED)


def test_killed_client_sends_fin_and_waits_in_fin_wait_2(lab: Lab) -> None:
    """kill of a connected client whose server never closes: [F.] and its ACK; FIN-WAIT-2 on the
    client, CLOSE-WAIT on the server, the counters as the kernel's."""
    lab.run(*PAIR)
    lab.start("b", "python3", "-c", HOLD, "8", "accept")
    capture = lab.capture("b", "vb")
    time.sleep(0.3)
    lab.start("a", "sh", "-c", "sleep 30 | nc -p 41000 10.0.0.2 80")
    time.sleep(0.3)
    os.kill(lab.pid_of("a", "nc"), signal.SIGTERM)
    settle()
    real_a, real_b = _states(lab.run("ip netns exec a ss -tanH")), _states(lab.run("ip netns exec b ss -tanH"))
    sh = _sim(*PAIR, "ip netns exec b listen tcp 0.0.0.0:80 --app web --leak",
              "ip netns exec a connect tcp 10.0.0.2:80 --from 10.0.0.1:41000 --app nc",
              "ip netns exec a kill nc")
    assert real_a == _states(sh.run("ip netns exec a ss -tanH").output) == ["FIN-WAIT-2 10.0.0.1:41000 10.0.0.2:80"]
    assert real_b == _states(sh.run("ip netns exec b ss -tanH").output) == ["CLOSE-WAIT 10.0.0.2:80 10.0.0.1:41000"]
    assert [f for _, f in capture.segments()] == [f for _, f in _sim_segments(sh, "b")]
    for ns in ("a", "b"):
        assert (ns, _sim_counters(sh, ns)) == (ns, lab.counters(ns, MODELED))


def test_killed_listener_resets_the_connection_nobody_accepted(lab: Lab) -> None:
    """kill of a server that never accepted a connected client: [R.] (tcp_disconnect), the client's
    connection gone; TcpEstabResets and TcpOutRsts as the kernel counts them."""
    lab.run(*PAIR)
    server = lab.start("b", "python3", "-c", HOLD, "8", "none")
    capture = lab.capture("b", "vb")
    time.sleep(0.3)
    lab.start("a", "sh", "-c", "sleep 30 | nc -p 41000 10.0.0.2 80")
    time.sleep(0.3)
    os.killpg(server.pid, signal.SIGKILL)
    settle()
    real_a = _states(lab.run("ip netns exec a ss -tanH"))
    sh = _sim(*PAIR, "ip netns exec b listen tcp 0.0.0.0:80 --app web --no-accept",
              "ip netns exec a connect tcp 10.0.0.2:80 --from 10.0.0.1:41000 --app nc",
              "ip netns exec b kill web")
    assert real_a == _states(sh.run("ip netns exec a ss -tanH").output) == []
    assert [f for _, f in capture.segments()] == [f for _, f in _sim_segments(sh, "b")] == ["S", "S.", ".", "R."]
    for ns in ("a", "b"):
        assert (ns, _sim_counters(sh, ns)) == (ns, lab.counters(ns, MODELED))


def test_counters_of_a_refused_connection_and_a_listen_overflow(lab: Lab) -> None:
    """nc -z to a closed port (RST: a failed attempt), then two clients for a backlog-0 listener that
    never accepts (the second SYN is dropped: ListenOverflows, ListenDrops), counted on both sides."""
    lab.run(*PAIR)
    lab.start("b", "python3", "-c", HOLD, "0", "none")
    time.sleep(0.3)
    lab.call("a", "nc", "-z", "-p", "41000", "10.0.0.2", "81")
    lab.start("a", "sh", "-c", "sleep 30 | nc -p 41001 10.0.0.2 80")
    time.sleep(0.2)
    lab.start("a", "sh", "-c", "sleep 30 | nc -p 41002 10.0.0.2 80")
    time.sleep(0.3)  # before the second client's SYN is retransmitted (1 s)
    real = {ns: lab.counters(ns, MODELED) for ns in ("a", "b")}
    sh = _sim(*PAIR, "ip netns exec b listen tcp 0.0.0.0:80 --app web --backlog 0 --no-accept")
    assert sh.run("ip netns exec a nc -z -p 41000 10.0.0.2 81").status == 1
    for port in (41001, 41002):
        sh.run(f"ip netns exec a connect tcp 10.0.0.2:80 --from 10.0.0.1:{port} --app nc{port}")
    assert real["b"]["TcpExtListenOverflows"] == 1 and real["a"]["TcpAttemptFails"] == 1
    for ns in ("a", "b"):
        assert (ns, _sim_counters(sh, ns)) == (ns, real[ns])


def test_counters_of_forwarded_and_misaddressed_packets(lab: Lab) -> None:
    """A router with forwarding off drops a ping for the far subnet (IpInAddrErrors); with it on, it
    forwards the echo and its reply (IpForwDatagrams, no IpOutRequests of its own)."""
    lab.run(*ROUTED)
    steps = ["ip netns exec a ping -c 1 -W 1 10.0.2.1", "ip netns exec r sysctl -w net.ipv4.ip_forward=1",
             "ip netns exec a ping -c 1 -W 1 10.0.2.1"]
    for line in steps:
        lab.run(line, check=False)
    real = {ns: lab.counters(ns, MODELED) for ns in ("a", "r", "b")}
    sh = _sim(*ROUTED)
    for line in steps:
        sh.run(line)
    assert real["r"]["IpInAddrErrors"] == 1 and real["r"]["IpForwDatagrams"] == 2
    for ns in ("a", "r", "b"):
        assert (ns, _sim_counters(sh, ns)) == (ns, real[ns])
