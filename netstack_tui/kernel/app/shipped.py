"""The programs that come ready to run: the classic shapes of a TCP server, and a client."""

from __future__ import annotations

ACCEPT_LOOP = """\
# The blocking accept loop: one connection at a time; the next waits in the accept queue.
fd = socket(AF_INET, SOCK_STREAM)
setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
bind(fd, 0.0.0.0:8080)
listen(fd, 128)
loop:
    c = accept(fd)
    n = read(c, 4096)        # blocks until the client sends something (or closes: 0)
    if n > 0:
        write(c, n)          # echo it back
    close(c)
"""

THREADED = """\
# One thread per connection: accept() never waits for a slow client, but every client holds a
# thread (and its stack) for as long as it stays connected.
def serve(c):
    loop:
        n = read(c, 4096)
        if n <= 0:
            break
        write(c, n)
    close(c)

fd = socket(AF_INET, SOCK_STREAM)
setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
bind(fd, 0.0.0.0:8080)
listen(fd, 128)
loop:
    c = accept(fd)
    t = thread(serve, c)
    if t < 0:
        close(c)             # no thread for it (EAGAIN): the client is turned away
"""

EPOLL_LEVEL = """\
# One thread, non-blocking sockets and epoll (level-triggered): epoll_wait reports an fd for as
# long as it stays ready, so reading once per wake-up is enough.
fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)
setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
bind(fd, 0.0.0.0:8080)
listen(fd, 128)
ep = epoll_create1(0)
epoll_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN)
loop:
    n = epoll_wait(ep, events, 64)
    for ev in events:
        if ev.fd == fd:
            c = accept4(fd, SOCK_NONBLOCK)
            if c >= 0:
                epoll_ctl(ep, EPOLL_CTL_ADD, c, EPOLLIN)
        else:
            n = read(ev.fd, 4096)
            if n > 0:
                write(ev.fd, n)
            if n == 0:
                close(ev.fd)
"""

EPOLL_EDGE = """\
# epoll, edge-triggered (EPOLLET): an fd is reported once per new arrival, so each wake-up must
# drain it until EAGAIN, or what is left waits unseen.
fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)
setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
bind(fd, 0.0.0.0:8080)
listen(fd, 128)
ep = epoll_create1(0)
epoll_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET)
loop:
    n = epoll_wait(ep, events, 64)
    for ev in events:
        if ev.fd == fd:
            loop:
                c = accept4(fd, SOCK_NONBLOCK)
                if c < 0:
                    break
                epoll_ctl(ep, EPOLL_CTL_ADD, c, EPOLLIN | EPOLLET)
        else:
            loop:
                n = read(ev.fd, 4096)
                if n < 0:
                    break            # EAGAIN: drained
                if n == 0:
                    close(ev.fd)
                    break
                write(ev.fd, n)
"""

CLIENT = """\
# A client: connect, send a request, read the answer, close.
s = socket(AF_INET, SOCK_STREAM)
r = connect(s, 127.0.0.1:8080)
if r < 0:
    print("connect failed, errno", errno)
    exit(1)
write(s, "GET / HTTP/1.0\\r\\n\\r\\n")
n = read(s, 4096)
close(s)
"""

EPOLL_REUSEPORT = """\
# The epoll server as one of several workers: SO_REUSEPORT lets each open its own listener on the
# same port, and the kernel hashes every new connection to one of them. (SO_REUSEADDR as well, so
# that a restart is not refused by the old workers' connections still closing.)
fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)
setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, 1)
bind(fd, 0.0.0.0:8080)
listen(fd, 128)
ep = epoll_create1(0)
epoll_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN)
loop:
    n = epoll_wait(ep, events, 64)
    for ev in events:
        if ev.fd == fd:
            c = accept4(fd, SOCK_NONBLOCK)
            if c >= 0:
                epoll_ctl(ep, EPOLL_CTL_ADD, c, EPOLLIN)
        else:
            n = read(ev.fd, 4096)
            if n > 0:
                write(ev.fd, n)
            if n == 0:
                close(ev.fd)
"""

KEEPALIVE = """\
# One thread per client, and SO_KEEPALIVE on every connection: when a client has been silent for
# net.ipv4.tcp_keepalive_time the kernel probes it, and one that never answers is given up on
# (read() fails with ETIMEDOUT, the thread ends and the connection is closed).
def serve(c):
    setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, 1)
    loop:
        n = read(c, 4096)
        if n <= 0:
            break
        write(c, n)
    close(c)

fd = socket(AF_INET, SOCK_STREAM)
setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
bind(fd, 0.0.0.0:8080)
listen(fd, 128)
loop:
    c = accept(fd)
    thread(serve, c)
"""

PRODUCER = """\
# Sends a 16000-byte batch of records every second to a collector on port 9000, for ever.
s = socket(AF_INET, SOCK_STREAM)
r = connect(s, 127.0.0.1:9000)
if r < 0:
    exit(1)
loop:
    n = write(s, 16000)
    if n < 0:
        exit(1)
    sleep(1)
"""

SLOW_READER = """\
# A collector that handles one 4096-byte read a second: slower than a producer that sends more.
fd = socket(AF_INET, SOCK_STREAM)
setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
bind(fd, 127.0.0.1:9000)
listen(fd, 16)
c = accept(fd)
loop:
    n = read(c, 4096)
    if n <= 0:
        break
    sleep(1)                 # processing the record
close(c)
"""

READER = """\
# The collector rewritten to keep up: each wake-up reads whatever has arrived (up to 64 KiB) and
# hands it on, without sleeping between reads.
fd = socket(AF_INET, SOCK_STREAM)
setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
bind(fd, 127.0.0.1:9000)
listen(fd, 16)
c = accept(fd)
loop:
    n = read(c, 65536)
    if n <= 0:
        break
close(c)
"""

RPC_SERVER = """\
# A request/response server, one client at a time: a request is a 10-byte header and a 20-byte
# body; it answers once it has both.
fd = socket(AF_INET, SOCK_STREAM)
setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
bind(fd, 127.0.0.1:7000)
listen(fd, 16)
loop:
    c = accept(fd)
    loop:
        n = read(c, 4096)
        if n <= 0:
            break
        if n < 30:
            n = read(c, 4096)    # only the header so far: wait for the body
        write(c, "VALUE 42")
    close(c)
"""

_RPC_CLIENT = """\
# An interactive client: one request a second, written as a header and then a body (two small
# writes), then it waits for the answer.{note}
s = socket(AF_INET, SOCK_STREAM){option}
connect(s, 127.0.0.1:7000)
loop:
    write(s, "SET key 20")
    write(s, "abcdefghijklmnopqrst")
    n = read(s, 4096)
    if n <= 0:
        break
    sleep(1)
close(s)
"""
RPC_CLIENT = _RPC_CLIENT.format(note=" Nagle's algorithm is on, as by default.", option="")
RPC_CLIENT_NODELAY = _RPC_CLIENT.format(
    note="\n# TCP_NODELAY: each write leaves at once, whatever is still unacknowledged.",
    option="\nsetsockopt(s, IPPROTO_TCP, TCP_NODELAY, 1)")

UDP_ECHO = """\
# A UDP echo server: each datagram goes back to whoever sent it. No listen(), no accept():
# one socket serves every client, and recvfrom() says who sent each datagram.
fd = socket(AF_INET, SOCK_DGRAM)
bind(fd, 0.0.0.0:9000)
loop:
    n = recvfrom(fd, 2048, peer)
    sendto(fd, n, peer)
"""

UDP_CLIENT = """\
# A UDP client: connect() only sets the default peer (nothing is sent), so send() needs no
# address and only that peer's datagrams are received. When no one listens there, the port
# unreachable that comes back makes the next call fail with ECONNREFUSED.
s = socket(AF_INET, SOCK_DGRAM)
connect(s, 127.0.0.1:9000)
n = send(s, "ping")
if n < 0:
    print("send failed, errno", errno)
    exit(1)
n = recv(s, 2048)
if n < 0:
    print("recv failed, errno", errno)
    exit(1)
close(s)
"""

PROGRAMS = {
    "accept-loop": ACCEPT_LOOP,
    "threaded": THREADED,
    "epoll-lt": EPOLL_LEVEL,
    "epoll-et": EPOLL_EDGE,
    "client": CLIENT,
    "epoll-reuseport": EPOLL_REUSEPORT,
    "keepalive": KEEPALIVE,
    "producer": PRODUCER,
    "slow-reader": SLOW_READER,
    "reader": READER,
    "rpc-server": RPC_SERVER,
    "rpc-client": RPC_CLIENT,
    "rpc-client-nodelay": RPC_CLIENT_NODELAY,
    "udp-echo": UDP_ECHO,
    "udp-client": UDP_CLIENT,
}
"""Name → source of every shipped program (`app run NAME`)."""
