"""The same programs on the real kernel: a small executor that makes each call with Python's socket,
select and fcntl modules inside a throw-away network namespace, and logs each result as the
simulator's runner does (the value, or -1 and the errno name). Straight-line programs with `if` and
`exit` only: nothing here may block for long."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl as real_fcntl
import os
import select as real_select
import shutil
import socket as real_socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from netstack_tui.kernel.app.language import CONSTANTS, Program
from netstack_tui.kernel.app.runner import _holds, value
from netstack_tui.kernel.app.state import Event, Thread

CLONE_NEWNET = 0x40000000
FD_CALLS = frozenset({"socket", "accept", "accept4", "epoll_create1"})
"""Calls whose result is a new fd: only "an fd" is compared (the numbers differ between processes)."""


def unavailable() -> str | None:
    """Why namespaces cannot be used here, or None."""
    if os.geteuid() != 0:
        return "needs root (creates a network namespace)"
    if shutil.which("ip") is None:
        return "iproute2's ip is not installed"
    return None


@contextmanager
def namespace(name: str, sysctls: dict[str, str] | None = None, lo_addresses: tuple[str, ...] = ()) -> Iterator[None]:
    """A fresh namespace with lo up (and any extra ADDR/LEN on it); this thread runs inside it for
    the body."""
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, capture_output=True)
        for cidr in lo_addresses:
            subprocess.run(["ip", "-n", name, "addr", "add", cidr, "dev", "lo"], check=True, capture_output=True)
        for key, val in (sysctls or {}).items():
            subprocess.run(["ip", "netns", "exec", name, "sysctl", "-qw", f"{key}={val}"], check=True,
                           capture_output=True)
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            yield
        finally:
            libc.setns(home, CLONE_NEWNET)
    finally:
        os.close(target)
        os.close(home)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def _addr(text: object) -> tuple[str, int]:
    addr, _, port = str(text).rpartition(":")
    return addr, int(port)


class _Real:
    """The program's calls on real sockets; fds are the process's own."""

    def __init__(self) -> None:
        self.socks: dict[int, real_socket.socket] = {}
        self.epolls: dict[int, real_select.epoll] = {}

    def call(self, name: str, args: list[object], names: list[str], thread: Thread) -> int:
        s = self.socks.get(args[0]) if args and isinstance(args[0], int) else None
        if name == "socket":
            kind = int(args[1])  # type: ignore[arg-type]
            sock = real_socket.socket(real_socket.AF_INET, kind)
            self.socks[sock.fileno()] = sock
            return sock.fileno()
        if name == "epoll_create1":
            ep = real_select.epoll()
            self.epolls[ep.fileno()] = ep
            return ep.fileno()
        if name == "epoll_ctl":
            ep = self.epolls[args[0]]  # type: ignore[index]
            op, fd = args[1], int(args[2])  # type: ignore[arg-type]
            mask = int(args[3]) if len(args) > 3 else 1  # type: ignore[arg-type]
            if op == CONSTANTS["EPOLL_CTL_ADD"]:
                ep.register(fd, mask)
            elif op == CONSTANTS["EPOLL_CTL_MOD"]:
                ep.modify(fd, mask)
            else:
                ep.unregister(fd)
            return 0
        if name == "epoll_wait":
            ep = self.epolls[args[0]]  # type: ignore[index]
            found = ep.poll(0, int(args[2]))  # type: ignore[arg-type]
            thread.variables[names[1]] = [Event(fd, ev) for fd, ev in found]
            return len(found)
        if name == "poll":
            poller = real_select.poll()
            for fd in args[1:]:
                poller.register(int(fd), real_select.POLLIN | real_select.POLLOUT)  # type: ignore[arg-type]
            found = poller.poll(0)
            thread.variables[names[0]] = [Event(fd, ev) for fd, ev in found]
            return len(found)
        if s is None:
            raise OSError(errno.EBADF, "bad fd")
        if name == "setsockopt":
            level, opt, val = (args[1], args[2], args[3]) if len(args) == 4 else (1, args[1], args[2])
            s.setsockopt(int(level), int(opt), int(val))  # type: ignore[arg-type]
            return 0
        if name == "getsockopt":
            return s.getsockopt(int(args[1]), int(args[2]))  # type: ignore[arg-type]
        if name == "bind":
            s.bind(_addr(args[1]))
            return 0
        if name == "listen":
            s.listen(int(args[1]))  # type: ignore[arg-type]
            return 0
        if name in ("accept", "accept4"):
            fd, _ = s._accept()  # type: ignore[attr-defined]
            child = real_socket.socket(fileno=fd)
            if name == "accept4" and int(args[1]) & CONSTANTS["SOCK_NONBLOCK"]:  # type: ignore[arg-type]
                child.setblocking(False)
            self.socks[fd] = child
            return int(fd)
        if name == "connect":
            err = s.connect_ex(_addr(args[1]))
            if err:
                raise OSError(err, os.strerror(err))
            return 0
        if name in ("read", "recv"):
            return len(s.recv(int(args[1])))  # type: ignore[arg-type]
        if name == "recvfrom":
            data, sender = s.recvfrom(int(args[1]))  # type: ignore[arg-type]
            if len(names) > 2:
                thread.variables[names[2]] = f"{sender[0]}:{sender[1]}"
            return len(data)
        if name == "sendto":
            data = args[1]
            payload = data.encode() if isinstance(data, str) else b"x" * int(data)  # type: ignore[arg-type]
            return s.sendto(payload, _addr(args[2]))
        if name in ("write", "send"):
            data = args[1]
            payload = data.encode() if isinstance(data, str) else b"x" * int(data)  # type: ignore[arg-type]
            return s.send(payload)
        if name == "shutdown":
            s.shutdown(int(args[1]))  # type: ignore[arg-type]
            return 0
        if name == "close":
            self.socks.pop(int(args[0])).close()  # type: ignore[arg-type]
            return 0
        if name == "fcntl":
            return real_fcntl.fcntl(int(args[0]), int(args[1]), *[int(a) for a in args[2:]])  # type: ignore[arg-type]
        raise AssertionError(f"the real executor does not make {name}()")

    def close_all(self) -> None:
        for sock in self.socks.values():
            sock.close()
        for ep in self.epolls.values():
            ep.close()


def run_real(program: Program) -> list[tuple[str, str]]:
    """Run the program here (inside the namespace); each call's (name, outcome)."""
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # EPIPE comes back as an errno, as in the simulator
    thread = Thread(0, 0)
    real = _Real()
    outcomes: list[tuple[str, str]] = []
    try:
        code = program.code
        while True:
            instr = code[thread.pc]
            if instr.op == "exit":
                break
            if instr.op == "unless":
                assert instr.cond is not None
                thread.pc = thread.pc + 1 if _holds(thread, instr.cond) else instr.jump
                continue
            if instr.op == "jump":
                thread.pc = instr.jump
                continue
            if instr.op == "set":
                thread.variables[instr.target or "_"] = value(thread, instr.args[0])
                thread.pc += 1
                continue
            out_arg = {"epoll_wait": 1, "poll": 0, "recvfrom": 2}.get(instr.name)
            args = [[] if i == out_arg else value(thread, a) for i, a in enumerate(instr.args)]
            try:
                result = real.call(instr.name, args, [a.text for a in instr.args], thread)
                shown = "fd" if instr.name in FD_CALLS else str(result)
            except OSError as exc:
                result, shown = -1, errno.errorcode[exc.errno or 0]
                shown = "EOPNOTSUPP" if shown == "ENOTSUP" else shown  # one number, two names
                thread.variables["errno"] = exc.errno
            if instr.target:
                thread.variables[instr.target] = result
            outcomes.append((instr.name, shown))
            thread.pc += 1
    finally:
        real.close_all()
    return outcomes


def simulated_outcomes(log: list[str]) -> list[tuple[str, str]]:
    """The runner's strace lines as (name, outcome), with new fds as `fd`."""
    out = []
    for line in log:
        if "(" not in line or " = " not in line or line.startswith("+++"):
            continue
        name = line.split("(", 1)[0]
        result = line.rsplit(" = ", 1)[1].split(" <", 1)[0]  # without strace -T's time
        if result.startswith("-1 "):
            shown = result.split()[1]
        else:
            shown = "fd" if name in FD_CALLS else result
        out.append((name, shown))
    return out
