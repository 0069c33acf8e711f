"""A task limit that makes clone() fail, the keepalive timer as `ss -o` shows it, and a restarted
app found by its name."""

from __future__ import annotations

from netstack_tui.commands.shell import Shell

BASE = ["ip addr add 10.0.0.1/24 dev eth0", "ip route add default via 10.0.0.254"]


def run(sh: Shell, line: str, status: int = 0) -> str:
    result = sh.run(line)
    assert result.status == status, (line, result.output)
    return result.output


def _clients(sh: Shell, count: int, port: int = 20000) -> None:
    run(sh, f"flood tcp 198.51.100.7:{port} > 10.0.0.1:8080 [S] --count {count}")
    run(sh, f"flood tcp 198.51.100.7:{port} > 10.0.0.1:8080 [.] --count {count}")


def test_thread_per_connection_hits_the_task_limit() -> None:
    """With TasksMax=8 the main thread and 7 workers exist; the 8th client's clone() fails with
    EAGAIN and the server closes that connection (it leaves in FIN-WAIT-1)."""
    sh = Shell()
    for line in BASE:
        run(sh, line)
    run(sh, "app run threaded --name srv --tasks-max 8")
    _clients(sh, 10)
    assert "8 threads blocked" in run(sh, "app list")
    shown = run(sh, "app show srv")
    assert shown.count("clone(...) = -1 EAGAIN (Resource temporarily unavailable)") >= 2
    assert run(sh, "ss -tn state fin-wait-1").count("198.51.100.7") == 3


def test_epoll_server_holds_the_same_clients_on_one_thread() -> None:
    sh = Shell()
    for line in BASE:
        run(sh, line)
    run(sh, "app run epoll-lt --name srv --tasks-max 8")
    _clients(sh, 10)
    assert "blocked in epoll_wait" in run(sh, "app list")
    assert run(sh, "ss -tn state established").count("198.51.100.7") == 10


def test_a_bad_task_limit_is_refused_in_one_line() -> None:
    sh = Shell()
    out = run(sh, "app run threaded --tasks-max lots", 2)
    assert out == "app: --tasks-max needs a number of tasks from 1 to 4194304, not 'lots'"
    assert run(sh, "app run threaded --tasks-max", 2).count("\n") == 0


def test_ss_shows_the_keepalive_timer_and_a_sysctl_change_moves_no_armed_timer() -> None:
    """The timer armed at accept() with the default 7200 s keeps its time after the sysctl is
    lowered; when it fires it reads the new values (probes 60 s apart, given up after 3)."""
    sh = Shell()
    for line in BASE:
        run(sh, line)
    run(sh, "app run keepalive --name chat")
    _clients(sh, 1)
    run(sh, "sleep 3600")
    assert "timer:(keepalive,60min,0)" in run(sh, "ss -tno")
    run(sh, "sysctl -w net.ipv4.tcp_keepalive_time=600 net.ipv4.tcp_keepalive_intvl=60 "
            "net.ipv4.tcp_keepalive_probes=3")
    assert "timer:(keepalive,60min,0)" in run(sh, "ss -tno")
    run(sh, "sleep 3690")
    assert "timer:(keepalive,30sec,2)" in run(sh, "ss -tno")
    run(sh, "sleep 90")
    assert "198.51.100.7" not in run(sh, "ss -tn")
    assert "read(4, 4096) = -1 ETIMEDOUT (Connection timed out) <7380.000000>" in run(sh, "app show chat")


def test_app_show_finds_the_running_app_of_a_reused_name() -> None:
    sh = Shell()
    run(sh, "app run accept-loop --name srv")
    run(sh, "kill srv")
    run(sh, "app run epoll-lt --name srv")
    assert "blocked in epoll_wait" in run(sh, "app show srv").splitlines()[0]
