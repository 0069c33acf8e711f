"""Differential: the same socket programs on the simulator and on the real kernel (in a throw-away
network namespace) make the same calls with the same results — the same errno for each failing
call. Skips, saying why, where namespaces cannot be made (not root, no iproute2)."""

from __future__ import annotations

import os
import threading

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.app import runner
from netstack_tui.kernel.app.language import compile_program

from . import real

PROGRAMS = {
    "bind-conflict": """
a = socket(AF_INET, SOCK_STREAM)
bind(a, 127.0.0.1:9000)
listen(a, 8)
b = socket(AF_INET, SOCK_STREAM)
bind(b, 127.0.0.1:9000)
bind(b, 0.0.0.0:9000)
setsockopt(b, SOL_SOCKET, SO_REUSEADDR, 1)
bind(b, 127.0.0.1:9000)
""",
    "reuseaddr-listen": """
a = socket(AF_INET, SOCK_STREAM)
setsockopt(a, SOL_SOCKET, SO_REUSEADDR, 1)
bind(a, 127.0.0.1:9000)
b = socket(AF_INET, SOCK_STREAM)
setsockopt(b, SOL_SOCKET, SO_REUSEADDR, 1)
bind(b, 127.0.0.1:9000)
listen(a, 8)
listen(b, 8)
""",
    "refused": """
s = socket(AF_INET, SOCK_STREAM)
connect(s, 127.0.0.1:9009)
read(s, 10)
""",
    "nonblocking": """
l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)
bind(l, 127.0.0.1:9000)
listen(l, 8)
accept(l)
read(l, 10)
s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)
connect(s, 127.0.0.1:9000)
n = poll(ready, s)
getsockopt(s, SOL_SOCKET, SO_ERROR)
c = accept4(l, SOCK_NONBLOCK)
read(c, 10)
write(s, "hello")
read(c, 3)
read(c, 10)
read(c, 10)
""",
    "epoll-errors": """
ep = epoll_create1(0)
l = socket(AF_INET, SOCK_STREAM)
bind(l, 127.0.0.1:9000)
listen(l, 8)
epoll_ctl(ep, EPOLL_CTL_ADD, l, EPOLLIN)
epoll_ctl(ep, EPOLL_CTL_ADD, l, EPOLLIN)
epoll_ctl(ep, EPOLL_CTL_DEL, ep, EPOLLIN)
epoll_ctl(ep, EPOLL_CTL_MOD, 77, EPOLLIN)
n = epoll_wait(ep, events, 8, 0)
s = socket(AF_INET, SOCK_STREAM)
connect(s, 127.0.0.1:9000)
n = epoll_wait(ep, events, 8, 0)
""",
    "peer-closes": """
l = socket(AF_INET, SOCK_STREAM)
bind(l, 127.0.0.1:9000)
listen(l, 8)
s = socket(AF_INET, SOCK_STREAM)
connect(s, 127.0.0.1:9000)
c = accept(l)
write(s, 5)
read(c, 100)
close(c)
read(s, 100)
write(s, 5)
write(s, 5)
write(s, 5)
""",
    "shutdown": """
l = socket(AF_INET, SOCK_STREAM)
bind(l, 127.0.0.1:9000)
listen(l, 8)
s = socket(AF_INET, SOCK_STREAM)
connect(s, 127.0.0.1:9000)
c = accept(l)
shutdown(s, SHUT_WR)
write(s, 5)
read(c, 100)
write(c, 4)
read(s, 100)
""",
    "unconnected": """
s = socket(AF_INET, SOCK_STREAM)
read(s, 10)
listen(s, 4)
connect(s, 127.0.0.1:9000)
close(s)
close(s)
""",
    "reset-while-unread": """
l = socket(AF_INET, SOCK_STREAM)
bind(l, 127.0.0.1:9000)
listen(l, 8)
s = socket(AF_INET, SOCK_STREAM)
connect(s, 127.0.0.1:9000)
c = accept(l)
write(s, 5)
close(c)
read(s, 100)
read(s, 100)
write(s, 5)
""",
}

PROGRAMS["buffers"] = """
s = socket(AF_INET, SOCK_STREAM)
getsockopt(s, SOL_SOCKET, SO_RCVBUF)
getsockopt(s, SOL_SOCKET, SO_SNDBUF)
setsockopt(s, SOL_SOCKET, SO_RCVBUF, 1000)
getsockopt(s, SOL_SOCKET, SO_RCVBUF)
setsockopt(s, SOL_SOCKET, SO_RCVBUF, 65536)
getsockopt(s, SOL_SOCKET, SO_RCVBUF)
setsockopt(s, SOL_SOCKET, SO_SNDBUF, 1000)
getsockopt(s, SOL_SOCKET, SO_SNDBUF)
setsockopt(s, SOL_SOCKET, SO_SNDBUF, 100000000)
getsockopt(s, SOL_SOCKET, SO_SNDBUF)
getsockopt(s, IPPROTO_TCP, TCP_NODELAY)
setsockopt(s, IPPROTO_TCP, TCP_NODELAY, 1)
getsockopt(s, IPPROTO_TCP, TCP_NODELAY)
getsockopt(s, SOL_SOCKET, SO_KEEPALIVE)
setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, 1)
getsockopt(s, SOL_SOCKET, SO_KEEPALIVE)
"""
"""SO_RCVBUF/SO_SNDBUF doubled, floored and capped by rmem_max/wmem_max; flags read back as 0/1."""

PROGRAMS["udp"] = """
a = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK)
recvfrom(a, 100, src)
send(a, "x")
bind(a, 127.0.0.1:9004)
u = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK)
bind(u, 127.0.0.1:9000)
bind(u, 127.0.0.1:9003)
c = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK)
connect(c, 127.0.0.1:9001)
send(c, "ping")
recv(c, 100)
recv(c, 100)
send(c, "ping")
send(c, "ping")
sendto(c, 65508, 127.0.0.1:9000)
sendto(c, 65507, 127.0.0.1:9000)
n = poll(ready, u)
recvfrom(u, 70000, src)
connect(c, 127.0.0.1:9000)
send(c, "hello")
write(c, "world!")
recvfrom(u, 3, src)
read(u, 100)
recvfrom(u, 100, src)
sendto(u, 7, src)
recv(c, 100)
sendto(u, 2, 127.0.0.1:9002)
recvfrom(u, 100, src)
sendto(u, "x", 127.0.0.1:9000)
recvfrom(u, 100, src)
listen(u, 5)
accept(u)
shutdown(u, SHUT_WR)
shutdown(c, SHUT_WR)
send(c, "late")
close(c)
close(u)
"""

PROGRAMS["nonblocking-refused"] = """
s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)
connect(s, 127.0.0.1:9009)
n = poll(ready, s)
getsockopt(s, SOL_SOCKET, SO_ERROR)
getsockopt(s, SOL_SOCKET, SO_ERROR)
write(s, 3)
connect(s, 127.0.0.1:9009)
read(s, 10)
n = poll(ready, s)
connect(s, 127.0.0.1:9009)
getsockopt(s, SOL_SOCKET, SO_ERROR)
t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)
connect(t, 127.0.0.1:9009)
read(t, 10)
read(t, 10)
connect(t, 127.0.0.1:9009)
"""
"""A refused non-blocking connect(): SO_ERROR is ECONNREFUSED once, then 0; the next connect() reports
the failure no call has (ECONNABORTED) and disconnects, so read() is ENOTCONN and a new connect()
starts over; where a read took the error instead, the socket is shut down and reads 0."""

_lock = threading.Lock()


@pytest.fixture(scope="module")
def namespaces_usable() -> None:
    reason = real.unavailable()
    if reason:
        pytest.skip(f"real-kernel socket differential: {reason}")


def _simulated(source: str, sysctls: dict[str, str] | None = None) -> list[tuple[str, str]]:
    sh = Shell()
    for key, val in (sysctls or {}).items():
        assert sh.run(f"sysctl -w {key}='{val}'").status == 0
    program = compile_program("prog", source)
    app = runner.start(sh.host, program)
    runner.run_all(sh.host)
    return real.simulated_outcomes(app.log)


def _real(source: str, sysctls: dict[str, str] | None = None) -> list[tuple[str, str]]:
    with _lock, real.namespace(f"nstui-sock-{os.getpid()}", sysctls):
        return real.run_real(compile_program("prog", source))


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_calls_return_what_the_kernel_returns(name: str, namespaces_usable: None) -> None:
    """Every call of the program returns the same value (or errno) on the simulator and on Linux."""
    assert _simulated(PROGRAMS[name]) == _real(PROGRAMS[name])


def test_ephemeral_port_shared_across_destinations(namespaces_usable: None) -> None:
    """With one ephemeral port, connect() still reaches two destinations (the 4-tuples differ), and
    a third connection to the first destination finds no port (EADDRNOTAVAIL)."""
    source = """
a = socket(AF_INET, SOCK_STREAM)
bind(a, 127.0.0.1:9000)
listen(a, 8)
b = socket(AF_INET, SOCK_STREAM)
bind(b, 127.0.0.1:9001)
listen(b, 8)
x = socket(AF_INET, SOCK_STREAM)
connect(x, 127.0.0.1:9000)
y = socket(AF_INET, SOCK_STREAM)
connect(y, 127.0.0.1:9001)
z = socket(AF_INET, SOCK_STREAM)
connect(z, 127.0.0.1:9000)
"""
    sysctls = {"net.ipv4.ip_local_port_range": "40000 40000"}
    assert _simulated(source, sysctls) == _real(source, sysctls)


def test_reuseport_spreads_connections_on_both(namespaces_usable: None) -> None:
    """Four SO_REUSEPORT listeners: the real kernel hands each some of 64 connections, and so does
    the simulator's listener lookup for the same 64 peers (the hash's key differs, the spread not)."""
    import socket

    with _lock, real.namespace(f"nstui-sock-{os.getpid()}"):
        listeners = []
        for _ in range(4):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.bind(("127.0.0.1", 9100))
            s.listen(128)
            s.setblocking(False)
            listeners.append(s)
        clients = [socket.create_connection(("127.0.0.1", 9100)) for _ in range(64)]
        real_counts = []
        for s in listeners:
            n = 0
            while True:
                try:
                    s.accept()[0].close()
                    n += 1
                except BlockingIOError:
                    break
            real_counts.append(n)
        ports = [c.getsockname()[1] for c in clients]
        for c in clients + listeners:
            c.close()
    assert sum(real_counts) == 64 and min(real_counts) > 0
    sh = Shell()
    for name in "abcd":
        assert sh.run(f"listen tcp 127.0.0.1:9100 --reuseport --app w{name}").status == 0
    table = sh.host.sockets
    chosen = [table.lookup_listener("tcp", 0x7F000001, 9100, (0x7F000001, port)) for port in ports]
    assert len({id(s) for s in chosen}) == 4
