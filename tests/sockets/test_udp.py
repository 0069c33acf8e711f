"""UDP programs on the simulated kernel: datagrams through the stack, the receive queue and its
limit, readiness, and the app stage a datagram ends at."""

from __future__ import annotations

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.app import appview
from netstack_tui.kernel.trace import AppView


def run(sh: Shell, line: str, status: int = 0) -> str:
    result = sh.run(line)
    assert result.status == status, (line, result.output)
    return result.output


def start(sh: Shell, name: str, source: str) -> str:
    """Write the program into the session's own files (never the disk) and run it."""
    assert sh.run(f"cat > {name}.app", stdin=source).status == 0
    return run(sh, f"app run {name}.app --name {name}")


def test_echo_server_answers_the_client_and_says_who_sent() -> None:
    """The shipped pair: the client's datagram reaches the server's recvfrom(), which names the
    sender; the answer goes back to that address and the client's recv() gets it."""
    sh = Shell()
    assert run(sh, "app run udp-echo --name srv").splitlines()[-1] == "-- blocked in recvfrom(3, 2048, peer)"
    out = run(sh, "app run udp-client")
    assert "recv(3, 2048) = 4" in out
    assert "srv (pid 101): recvfrom(3, 2048, peer) = 4" in out
    port = out.split("sendto(3, 4, 127.0.0.1:")[1].split(")")[0]
    assert int(port) >= 32768  # the client's ephemeral port, bound by its connect()
    assert "udp-echo" in run(sh, "app programs")


def test_client_without_a_server_gets_econnrefused_from_the_port_unreachable() -> None:
    """No one on the port: the ICMP port unreachable makes the connected socket's recv() fail."""
    sh = Shell()
    out = run(sh, "app run udp-client")
    assert "recv(3, 2048) = -1 ECONNREFUSED (Connection refused)" in out
    assert "UdpNoPorts                      1" in run(sh, "nstat -az UdpNoPorts")


def test_full_receive_queue_drops_with_socket_rcvbuff() -> None:
    """A reader that never reads, with SO_RCVBUF 1000 (2304 in the kernel): datagrams are queued
    while the queue holds no more than that, then dropped and counted."""
    sh = Shell()
    start(sh, "sink", "fd = socket(AF_INET, SOCK_DGRAM)\nsetsockopt(fd, SOL_SOCKET, SO_RCVBUF, 1000)\n"
                      "bind(fd, 127.0.0.1:7000)\nsleep(1000)\n")
    source = "s = socket(AF_INET, SOCK_DGRAM)\n" + "sendto(s, 1000, 127.0.0.1:7000)\n" * 10
    start(sh, "burst", source)
    drops = [t for t in sh.last_traces if t.drop_reason == "SOCKET_RCVBUFF"]
    assert len(drops) == 7
    assert "UdpRcvbufErrors                 7" in run(sh, "nstat -az UdpRcvbufErrors")
    assert "UdpInErrors                     7" in run(sh, "nstat -az UdpInErrors")
    row = next(line for line in run(sh, "ss -uan").splitlines() if "127.0.0.1:7000" in line)
    assert row.split()[1] == "3000"


def test_connected_socket_takes_only_its_peers_datagrams() -> None:
    """A connected socket is found by its whole 4-tuple: another sender to its port gets a port
    unreachable (its own next call fails), the peer's datagram is received."""
    sh = Shell()
    start(sh, "a", "fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK)\nbind(fd, 127.0.0.1:7100)\n"
                   "connect(fd, 127.0.0.1:7200)\nsleep(5)\nrecv(fd, 100)\nrecv(fd, 100)\n")
    out = start(sh, "other", "s = socket(AF_INET, SOCK_DGRAM)\nconnect(s, 127.0.0.1:7100)\nsend(s, 3)\n"
                             "send(s, 3)\n")
    assert "send(3, 3) = -1 ECONNREFUSED (Connection refused)" in out
    start(sh, "peer", "s = socket(AF_INET, SOCK_DGRAM)\nbind(s, 127.0.0.1:7200)\nsendto(s, 5, 127.0.0.1:7100)\n")
    run(sh, "sleep 6")
    out = run(sh, "app show a")
    assert "recv(3, 100) = 5" in out
    assert "recv(3, 100) = -1 EAGAIN (Resource temporarily unavailable)" in out


def test_epoll_reports_a_queued_datagram() -> None:
    """udp_poll(): a bound socket is writable at once and readable once a datagram waits."""
    sh = Shell()
    start(sh, "ep", "fd = socket(AF_INET, SOCK_DGRAM)\nbind(fd, 127.0.0.1:7300)\nep = epoll_create1(0)\n"
                    "epoll_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN)\nn = epoll_wait(ep, events, 8)\n"
                    "recvfrom(fd, 100, who)\nprint(who)\n")
    out = start(sh, "tx", "s = socket(AF_INET, SOCK_DGRAM)\nbind(s, 127.0.0.1:7301)\n"
                          "sendto(s, \"hi\", 127.0.0.1:7300)\n")
    assert "ep (pid 101): epoll_wait(4, events, 8) = 1" in out
    assert "> 127.0.0.1:7301" in out


def test_datagram_journey_ends_at_the_program_and_continues_into_recvfrom() -> None:
    """The delivered datagram's journey ends at the app stage (the program blocked in recvfrom
    wakes), and the steps after it are the calls the program then made."""
    sh = Shell()
    run(sh, "app run udp-echo --name srv")
    run(sh, "app run udp-client")
    arrived = [t for t in sh.last_traces if t.steps and isinstance(t.steps[-1].view, AppView)
               and t.steps[-1].note == "app.program_wakes"]
    assert arrived, "no journey ended at the echo server"
    full = appview.continued(arrived[0], sh.world.hosts())
    calls = [dict(s.params).get("call", "") for s in full.steps if s.note == "app.call"]
    assert calls[0] == "recvfrom(3, 2048, peer) = 4"
