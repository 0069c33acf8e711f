"""Programs of socket calls on the simulated kernel: results, blocking, epoll, fds and errors."""

from __future__ import annotations

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.app.language import ProgramError, compile_program
from netstack_tui.kernel.app.shipped import PROGRAMS


def shell() -> Shell:
    return Shell()


def run(sh: Shell, line: str, status: int = 0) -> str:
    result = sh.run(line)
    assert result.status == status, (line, result.output)
    return result.output


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_shipped_program_compiles(name: str) -> None:
    """Each shipped program is a valid program whose last instruction is the implicit exit."""
    assert compile_program(name, PROGRAMS[name]).code[-1].op == "exit"


@pytest.mark.parametrize(("source", "line", "words"), [
    ("x = socket(AF_INET, SOCK_STREAM)\n  close(x)\n", 2, "unexpected indent"),
    ("loop:\nclose(3)\n", 1, "needs an indented block"),
    ("break\n", 1, "outside a loop"),
    ("accept(fd) fd\n", 1, "cannot read"),
    ("else:\n  close(3)\n", 1, "without an 'if'"),
])
def test_a_broken_program_names_its_line(source: str, line: int, words: str) -> None:
    """A program that does not parse is refused with the line and what is wrong there."""
    with pytest.raises(ProgramError) as caught:
        compile_program("broken", source)
    assert caught.value.line == line and words in str(caught.value)


def test_blocking_server_waits_in_accept_then_serves_a_client() -> None:
    """The accept loop blocks in accept() until a client connects; the client's connect() returns 0."""
    sh = shell()
    out = run(sh, "app run accept-loop --name srv")
    assert out.splitlines()[-1] == "-- blocked in accept(3)"
    out = run(sh, "app run client")
    assert "connect(3, 127.0.0.1:8080) = 0" in out
    # The server's turn comes as soon as the client's segments have arrived: it accepts and echoes.
    for line in ("srv (pid 101): accept(3) = 4", "srv (pid 101): read(4, 4096) = 18",
                 "srv (pid 101): write(4, 18) = 18", "read(3, 4096) = 18"):
        assert line in out
    assert run(sh, "app step") == "(no app could go on)"
    assert run(sh, "app list").splitlines()[1:] == ["  101  srv            blocked in accept(3)",
                                                    "  102  client         exited (0)"]


def test_second_bind_is_eaddrinuse_and_the_errno_is_visible() -> None:
    """Two programs binding one port: the second bind() is -1 EADDRINUSE, and `errno` says so."""
    sh = shell()
    run(sh, "app run accept-loop --name first")
    run(sh, "echo 's = socket(AF_INET, SOCK_STREAM)\nr = bind(s, 0.0.0.0:8080)\nif errno == EADDRINUSE:\n"
            "    exit(3)' > /tmp/b.app")
    out = run(sh, "app run /tmp/b.app")
    assert "bind(3, 0.0.0.0:8080) = -1 EADDRINUSE (Address already in use)" in out
    assert out.splitlines()[-1] == "-- exited (3)"


def test_connect_to_a_closed_port_is_refused() -> None:
    """connect() to a port nothing listens on: the RST makes it -1 ECONNREFUSED, the fd stays open."""
    sh = shell()
    out = run(sh, "app run client")
    assert "connect(3, 127.0.0.1:8080) = -1 ECONNREFUSED (Connection refused)" in out
    assert "-- exited (1)" in out


def test_nonblocking_accept_is_eagain_and_connect_einprogress() -> None:
    """A non-blocking listener's accept() with nothing queued is EAGAIN; a non-blocking connect()
    is EINPROGRESS and the socket is writable once the handshake is done (SO_ERROR 0)."""
    sh = shell()
    program = ("l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)\nbind(l, 127.0.0.1:9000)\nlisten(l, 8)\n"
               "accept(l)\ns = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)\nconnect(s, 127.0.0.1:9000)\n"
               "n = poll(ready, s)\ne = getsockopt(s, SOL_SOCKET, SO_ERROR)\nc = accept(l)\nexit(e)\n")
    run(sh, f"echo '{program}' > /tmp/nb.app")
    out = run(sh, "app run /tmp/nb.app")
    assert "accept(3) = -1 EAGAIN (Resource temporarily unavailable)" in out
    assert "connect(4, 127.0.0.1:9000) = -1 EINPROGRESS (Operation now in progress)" in out
    assert "poll(ready, 4) = 1" in out and "accept(3) = 5" in out and "-- exited (0)" in out


def test_epoll_server_has_an_eventpoll_fd_and_reports_what_was_ready() -> None:
    """The epoll server's fd table holds anon_inode:[eventpoll]; its view names what epoll reported."""
    sh = shell()
    run(sh, "app run epoll-lt --name web")
    run(sh, "app run client")
    assert "4 -> anon_inode:[eventpoll]" in run(sh, "ls -l /proc/101/fd")
    shown = run(sh, "app show web")
    assert "last reported: epoll_wait: fd 5 EPOLLIN" in shown  # the client's FIN: read() then 0
    assert "  read(5, 4096) = 0\n  close(5) = 0" in shown
    assert "blocked in epoll_wait(4, events, 64" in shown


def test_edge_triggered_reports_a_listener_once_per_arrival() -> None:
    """With EPOLLET a ready fd that nothing new reached is not reported again (level-triggered is)."""
    sh = shell()
    program = ("l = socket(AF_INET, SOCK_STREAM)\nbind(l, 127.0.0.1:9000)\nlisten(l, 8)\n"
               "s = socket(AF_INET, SOCK_STREAM)\nconnect(s, 127.0.0.1:9000)\nep = epoll_create1(0)\n"
               "epoll_ctl(ep, EPOLL_CTL_ADD, l, EPOLLIN | MODE)\na = epoll_wait(ep, events, 8, 0)\n"
               "b = epoll_wait(ep, events, 8, 0)\nexit(b)\n")
    for mode, second in (("EPOLLET", 0), ("0", 1)):
        sh = shell()
        run(sh, f"echo '{program.replace('MODE', mode)}' > /tmp/et.app")
        out = run(sh, "app run /tmp/et.app")
        assert f"-- exited ({second})" in out, out


def test_the_thread_per_connection_server_has_a_thread_per_client() -> None:
    """Each accepted connection gets a thread, blocked in read() on its own fd."""
    sh = shell()
    run(sh, "app run threaded --name t")
    run(sh, "echo 's = socket(AF_INET, SOCK_STREAM)\nconnect(s, 127.0.0.1:8080)\nsleep(100)' > /tmp/c.app")
    run(sh, "app run /tmp/c.app")
    run(sh, "app run /tmp/c.app")
    shown = run(sh, "app show t")
    assert "thread 1: blocked in read(4, 4096" in shown and "thread 2: blocked in read(5, 4096" in shown


def test_unknown_program_and_call_are_one_line_errors() -> None:
    """A name that is neither shipped nor a file, and a call the simulator lacks, each get one line."""
    sh = shell()
    assert "no program called 'nosuch'" in run(sh, "app run nosuch", 1)
    run(sh, "echo 'frobnicate(1)' > /tmp/f.app")
    out = run(sh, "app run /tmp/f.app")
    assert "[line 1] 'frobnicate' is not a call this simulator knows" in out


def test_ephemeral_port_is_shared_by_different_destinations() -> None:
    """connect() reuses a local port toward another destination: only the 4-tuple must be unique."""
    sh = shell()
    for port in (9000, 9001):
        run(sh, f"listen tcp 127.0.0.1:{port}")
    run(sh, "echo 'a = socket(AF_INET, SOCK_STREAM)\nconnect(a, 127.0.0.1:9000)\nb = socket(AF_INET, SOCK_STREAM)"
            "\nconnect(b, 127.0.0.1:9001)\nsleep(100)' > /tmp/two.app")
    run(sh, "app run /tmp/two.app")
    mine = [ln for ln in run(sh, "ss -tnp").splitlines() if '"two"' in ln]
    assert len(mine) == 2 and all("127.0.0.1:32768" in ln for ln in mine)


def test_a_slow_reader_shows_its_unread_bytes_in_recv_q() -> None:
    """Bytes a program has not read yet are its socket's Recv-Q (rcv_nxt - copied_seq)."""
    sh = shell()
    run(sh, "echo 'l = socket(AF_INET, SOCK_STREAM)\nbind(l, 0.0.0.0:7000)\nlisten(l, 4)\nc = accept(l)\n"
            "read(c, 100)\nsleep(100)' > /tmp/slow.app")
    run(sh, "app run /tmp/slow.app")
    run(sh, "echo 's = socket(AF_INET, SOCK_STREAM)\nconnect(s, 127.0.0.1:7000)\nwrite(s, 500)\nwrite(s, 700)\n"
            "sleep(100)' > /tmp/w.app")
    run(sh, "app run /tmp/w.app")
    row = [ln for ln in run(sh, "ss -tnp").splitlines() if '"slow"' in ln]
    assert row and row[0].split()[:2] == ["ESTAB", "1100"]


def test_reuseport_group_spreads_peers_by_the_4_tuple() -> None:
    """Four SO_REUSEPORT listeners on one port: each gets some of 64 peers, the same peer always the
    same listener; a lookup without the peer keeps the first listener."""
    sh = shell()
    for name in "abcd":
        run(sh, f"listen tcp 0.0.0.0:8080 --reuseport --app w{name}")
    table = sh.host.sockets
    first = table.lookup_listener("tcp", 0x0A000001, 8080)
    chosen = [table.lookup_listener("tcp", 0x0A000001, 8080, (0xC0A80002, 40000 + i)) for i in range(64)]
    counts = {id(s): chosen.count(s) for s in chosen}
    assert len(counts) == 4 and min(counts.values()) >= 8
    assert chosen[5] is table.lookup_listener("tcp", 0x0A000001, 8080, (0xC0A80002, 40005))
    assert first is not None and first.pid == table.find_process("wa").pid  # type: ignore[union-attr]


def test_a_killed_app_is_shown_as_exited() -> None:
    """`kill` on a program's process closes its fds; the app list shows it exited."""
    sh = shell()
    run(sh, "app run accept-loop --name srv")
    run(sh, "kill srv")
    assert "exited (137)" in run(sh, "app list")


def test_accept_loop_at_the_fd_limit_spins_and_says_so() -> None:
    """At RLIMIT_NOFILE accept() fails with EMFILE at once, so the unchecked loop never blocks: the
    app is shown as a busy loop, and the client it starves still gets its turn (blocked in read)."""
    sh = shell()
    run(sh, "ulimit -n 4")
    run(sh, "app run accept-loop --name srv")
    run(sh, "ulimit -n 1024")
    out = run(sh, "app run client")
    assert "srv (pid 101): accept(3) = -1 EMFILE (Too many open files)" in out
    assert "-- blocked in read(3, 4096" in out
    assert "srv            running without ever blocking" in run(sh, "app list")
