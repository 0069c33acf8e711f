"""Socket options and buffers with visible effects, and apps that move on after any shell command."""

from __future__ import annotations

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.app import runner


def run(sh: Shell, line: str, status: int = 0) -> str:
    result = sh.run(line)
    assert result.status == status, (line, result.output)
    return result.output


def program(sh: Shell, name: str, source: str) -> None:
    assert sh.run(f"cat > {name}.app", stdin=source).status == 0


def test_a_blocked_server_moves_on_after_any_command() -> None:
    """A client connecting with nc is accepted, read and closed without `app step`."""
    sh = Shell()
    run(sh, "app run accept-loop --name srv")
    run(sh, "nc -z 127.0.0.1 8080")
    log = run(sh, "app show srv")
    assert "accept(3) = 4" in log and "read(4, 4096) = 0" in log and "close(4) = 0" in log


def test_no_app_means_no_work_after_a_command() -> None:
    """Without a running app the shell's hook adds nothing to a command's journeys."""
    sh = Shell()
    result = sh.run("nc -z 127.0.0.1 8080")
    assert len(result.traces) == len(sh.last_traces)


BUFFERS = """\
s = socket(AF_INET, SOCK_STREAM)
getsockopt(s, SOL_SOCKET, SO_RCVBUF)
getsockopt(s, SOL_SOCKET, SO_SNDBUF)
setsockopt(s, SOL_SOCKET, SO_RCVBUF, 1000)
getsockopt(s, SOL_SOCKET, SO_RCVBUF)
setsockopt(s, SOL_SOCKET, SO_RCVBUF, 65536)
getsockopt(s, SOL_SOCKET, SO_RCVBUF)
setsockopt(s, SOL_SOCKET, SO_SNDBUF, 100000000)
getsockopt(s, SOL_SOCKET, SO_SNDBUF)
sleep(1)
"""


def test_buffer_sizes_are_doubled_and_capped_by_the_sysctls() -> None:
    """Defaults come from tcp_rmem/tcp_wmem; a set value is doubled, floored at 2304, capped by *mem_max."""
    sh = Shell()
    run(sh, "sysctl -w net.core.wmem_max=1000000")
    run(sh, "sysctl -w net.ipv4.tcp_rmem='4096 65536 6291456'")
    program(sh, "buf", BUFFERS)
    out = run(sh, "app run buf.app")
    for line in ("getsockopt(3, SOL_SOCKET, SO_RCVBUF) = 65536", "getsockopt(3, SOL_SOCKET, SO_SNDBUF) = 16384",
                 "getsockopt(3, SOL_SOCKET, SO_RCVBUF) = 2304", "getsockopt(3, SOL_SOCKET, SO_RCVBUF) = 131072",
                 "getsockopt(3, SOL_SOCKET, SO_SNDBUF) = 2000000"):
        assert line in out


SERVER = """\
l = socket(AF_INET, SOCK_STREAM)
setsockopt(l, SOL_SOCKET, SO_RCVBUF, 1024)
bind(l, 127.0.0.1:9000)
listen(l, 8)
c = accept(l)
OPTION
n = read(c, 100000)
print("read", n)
sleep(100000)
"""

CLIENT = """\
s = socket(AF_INET, SOCK_STREAM)
connect(s, 127.0.0.1:9000)
WRITES
sleep(100000)
"""


def pair(sh: Shell, option: str = "", writes: str = "") -> None:
    program(sh, "srv", SERVER.replace("OPTION", option))
    program(sh, "cli", CLIENT.replace("WRITES", writes))
    run(sh, "app run srv.app --name srv")
    run(sh, "app run cli.app --name cli")


def test_rcvtimeo_makes_a_blocking_read_give_up_with_eagain() -> None:
    """With SO_RCVTIMEO 5 the server's read waits, and 5 simulated seconds later returns EAGAIN."""
    sh = Shell()
    pair(sh, "setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, 5)")
    assert "blocked in read(4, 100000)" in run(sh, "app show srv")
    run(sh, "sleep 4")
    assert "blocked in read(4, 100000)" in run(sh, "app show srv")
    run(sh, "sleep 1")
    assert "read(4, 100000) = -1 EAGAIN (Resource temporarily unavailable)" in run(sh, "app show srv")


def test_keepalive_finds_a_vanished_peer_and_the_read_fails_with_etimedout() -> None:
    """An idle connection is probed after tcp_keepalive_time; answered probes keep it, and once the
    peer stops answering, tcp_keepalive_probes probes later it is reset and read() says ETIMEDOUT."""
    sh = Shell()
    run(sh, "sysctl -w net.ipv4.tcp_keepalive_time=60 net.ipv4.tcp_keepalive_intvl=10 "
            "net.ipv4.tcp_keepalive_probes=3")
    pair(sh, "setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, 1)")
    run(sh, "sleep 61")
    assert "blocked in read" in run(sh, "app show srv")  # the probe was answered
    run(sh, "iptables -A INPUT -p tcp --sport 9000 -j DROP")  # the client is gone: nothing answers
    run(sh, "sleep 200")
    shown = run(sh, "app show srv")
    assert "read(4, 100000) = -1 ETIMEDOUT (Connection timed out)" in shown
    dump = run(sh, "tcpdump -i lo -nn 'src port 9000'")
    assert dump.count("Flags [.], ack 1,") == 4 and dump.count("Flags [R.]") == 1


def test_without_keepalive_the_dead_peer_goes_unnoticed() -> None:
    """The same vanished peer without SO_KEEPALIVE: read() waits on, nothing is sent."""
    sh = Shell()
    run(sh, "sysctl -w net.ipv4.tcp_keepalive_time=60")
    pair(sh)
    run(sh, "iptables -A INPUT -p tcp --sport 9000 -j DROP")
    run(sh, "sleep 10000")
    assert "blocked in read(4, 100000)" in run(sh, "app show srv")


def test_a_slow_reader_fills_its_buffer_and_the_sender_waits() -> None:
    """SO_RCVBUF 1024 → 2304 bytes, half for data: Recv-Q stops at 1152, the rest waits in the
    sender's Send-Q; one read() reopens the window and the rest arrives."""
    sh = Shell()
    program(sh, "srv", SERVER.replace("OPTION", "sleep(50)"))
    program(sh, "cli", CLIENT.replace("WRITES", "write(s, 1000)\nwrite(s, 1000)\nwrite(s, 1000)"))
    run(sh, "app run srv.app --name srv")
    run(sh, "app run cli.app --name cli")
    rows = run(sh, "ss -tn").splitlines()
    assert any(r.startswith("ESTAB") and " 1152 " in r and "127.0.0.1:9000 " in r for r in rows)
    assert any(r.startswith("ESTAB") and " 1848 " in r and "127.0.0.1:9000" in r.split()[-1] for r in rows)
    run(sh, "sleep 50")
    assert "read(4, 100000) = 1152" in run(sh, "app show srv")
    rows = run(sh, "ss -tn").splitlines()
    assert any(r.startswith("ESTAB") and " 1152 " in r and "127.0.0.1:9000 " in r for r in rows)
    assert any(r.startswith("ESTAB") and " 696 " in r and "127.0.0.1:9000" in r.split()[-1] for r in rows)


def test_data_beyond_a_closed_window_is_dropped_with_tcp_zerowindow() -> None:
    """A sender that ignores the closed window (the shell's `send`) has its segment dropped with the
    reason tcp_data_queue() gives when the window is zero."""
    sh = Shell()
    pair(sh, "sleep(100)", "write(s, 1000)\nwrite(s, 1000)")
    row = next(r.split() for r in run(sh, "ss -tn").splitlines() if r.split()[3] == "127.0.0.1:9000")
    peer_port = row[4].rsplit(":", 1)[1]
    result = sh.run(f"send tcp 127.0.0.1:{peer_port} > 127.0.0.1:9000 [P.] len=500 iface=lo")
    assert result.traces[0].drop_reason == "TCP_ZEROWINDOW"


def test_keepalive_probes_leave_at_their_own_times_during_one_long_sleep() -> None:
    """The probes are timers on the clock: during a single `sleep 200` they leave at 60, 70 and 80 s
    after the peer was last heard, and the reset at 90 s, not all at the end of the sleep."""
    sh = Shell()
    run(sh, "sysctl -w net.ipv4.tcp_keepalive_time=60 net.ipv4.tcp_keepalive_intvl=10 "
            "net.ipv4.tcp_keepalive_probes=3")
    pair(sh, "setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, 1)")
    run(sh, "iptables -A INPUT -p tcp --sport 9000 -j DROP")
    run(sh, "sleep 200")
    times = [line.split()[0] for line in run(sh, "tcpdump -i lo -nn 'src port 9000'").splitlines()
             if "Flags [.]" in line or "Flags [R.]" in line]
    assert times == ["00:01:00.000000", "00:01:10.000000", "00:01:20.000000", "00:01:30.000000"]


def test_a_sleeping_program_wakes_at_its_own_times_within_one_long_sleep() -> None:
    """A loop of sleep(1) runs ten times during `sleep 10`: each sleep() returns at its deadline."""
    sh = Shell()
    program(sh, "tick", "loop:\n    sleep(1)\n    print(\"tick\")\n")
    run(sh, "app run tick.app --name tick")
    run(sh, "sleep 10")
    (tick,) = runner.apps(sh.host).values()
    assert tick.log.count("> tick") == 10
