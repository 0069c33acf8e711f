"""Sockets: bind conflicts (TIME-WAIT, SO_REUSEADDR), backlog caps, fd limits."""

from __future__ import annotations

import pytest

from netstack_tui.kernel.sockets import TCP_TIMEWAIT_LEN, Socket, SocketError, SocketTable


def _with_time_wait(reuse: bool) -> SocketTable:
    table = SocketTable()
    proc = table.spawn("server")
    listener = table.bind(proc, "tcp", 0, 8080, reuseaddr=reuse)
    table.listen(listener, 128, 4096)
    child = Socket("tcp", (0x0A000001, 8080), (0x0A000002, 40000), "ESTAB", pid=proc.pid, reuseaddr=reuse)
    child.fd = proc.alloc_fd(child)
    table.sockets.append(child)
    table.kill(proc, now=0.0)
    return table


def test_restart_without_reuseaddr_hits_time_wait() -> None:
    """The killed server's connection sits in TIME-WAIT and holds port 8080: EADDRINUSE."""
    table = _with_time_wait(reuse=False)
    assert [s.state for s in table.sockets] == ["TIME-WAIT"]
    with pytest.raises(SocketError) as info:
        table.bind(table.spawn("server"), "tcp", 0, 8080)
    assert info.value.errno_name == "EADDRINUSE"


def test_reuseaddr_on_both_sockets_allows_the_restart() -> None:
    """With SO_REUSEADDR on the old and the new socket, bind() succeeds despite TIME-WAIT."""
    table = _with_time_wait(reuse=True)
    sock = table.bind(table.spawn("server"), "tcp", 0, 8080, reuseaddr=True)
    assert sock.local == (0, 8080)


def test_time_wait_expires_after_sixty_seconds() -> None:
    """TCP_TIMEWAIT_LEN is 60 s; after it the port is free without any option."""
    table = _with_time_wait(reuse=False)
    table.bind(table.spawn("server"), "tcp", 0, 8080, now=TCP_TIMEWAIT_LEN + 0.1)


def test_reuseaddr_never_shares_a_listening_port() -> None:
    """Two listeners on one port conflict even when both set SO_REUSEADDR."""
    table = SocketTable()
    first = table.bind(table.spawn("a"), "tcp", 0, 80, reuseaddr=True)
    table.listen(first, 128, 4096)
    with pytest.raises(SocketError):
        table.bind(table.spawn("b"), "tcp", 0, 80, reuseaddr=True)


def test_backlog_is_capped_by_somaxconn() -> None:
    """listen(4096*2) on a host with somaxconn 4096 gets 4096."""
    table = SocketTable()
    sock = table.bind(table.spawn("a"), "tcp", 0, 80)
    table.listen(sock, 8192, 4096)
    assert sock.backlog == 4096


def test_fd_table_fills_at_rlimit_nofile() -> None:
    """With `ulimit -n 5`, fds 0-4 are all there is: the next socket fails with EMFILE."""
    table = SocketTable()
    table.shell_nofile = 5
    proc = table.spawn("app")
    table.bind(proc, "udp", 0, 1000)
    table.bind(proc, "udp", 0, 1001)
    with pytest.raises(SocketError) as info:
        table.bind(proc, "udp", 0, 1002)
    assert info.value.errno_name == "EMFILE"
