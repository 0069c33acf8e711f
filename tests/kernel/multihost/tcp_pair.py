"""Two (or three) real namespaces joined by veths, with background processes and a packet capture:
what the TCP timer, teardown and MIB-counter differential tests run on the real kernel.

Namespaces are named with the multihost harness's prefix (`real.PREFIX`) and registered with it, so
its fixtures delete them after each test even when one fails.
"""

from __future__ import annotations

import os
import random
import re
import shlex
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from . import real
from .case import PREAMBLE

PAIR = ["ip netns add a", "ip netns add b", "ip link add va type veth peer name vb", "ip link set va netns a",
        "ip link set vb netns b", "ip -n a addr add 10.0.0.1/24 dev va", "ip -n b addr add 10.0.0.2/24 dev vb",
        "ip -n a link set va up", "ip -n b link set vb up", "ip -n a link set lo up", "ip -n b link set lo up"]
"""The same lines for both sides (the simulator runs them as they are)."""

ROUTED = ["ip netns add a", "ip netns add r", "ip netns add b",
          "ip link add va type veth peer name ra", "ip link set va netns a", "ip link set ra netns r",
          "ip link add vb type veth peer name rb", "ip link set vb netns b", "ip link set rb netns r",
          "ip -n a addr add 10.0.1.1/24 dev va", "ip -n r addr add 10.0.1.254/24 dev ra",
          "ip -n r addr add 10.0.2.254/24 dev rb", "ip -n b addr add 10.0.2.1/24 dev vb",
          "ip -n a link set va up", "ip -n r link set ra up", "ip -n r link set rb up", "ip -n b link set vb up",
          "ip -n a route add default via 10.0.1.254", "ip -n b route add default via 10.0.2.254"]
"""a - r - b: two subnets and a router (forwarding off until a test turns it on)."""

_TIME = re.compile(r"^(\d+\.\d+) IP .*?Flags \[([^\]]+)\]", re.M)


@dataclass
class Capture:
    """tcpdump -tt -l running in a namespace, its lines kept in a file."""

    proc: subprocess.Popen[bytes]
    path: str

    def segments(self) -> list[tuple[float, str]]:
        """(seconds since the first captured segment, tcpdump's flags) of every TCP segment so far."""
        with open(self.path, encoding="utf-8") as handle:
            found = [(float(m[1]), m[2]) for m in _TIME.finditer(handle.read())]
        start = found[0][0] if found else 0.0
        return [(round(t - start, 3), flags) for t, flags in found]


@dataclass
class Lab:
    """Real namespaces for one test; `run` takes the simulator's command lines."""

    prefix: str = field(default_factory=lambda: f"{real.PREFIX}{os.getpid()}-{random.randrange(16**4):04x}-")
    background: list[subprocess.Popen[bytes]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        real._live_prefixes.add(self.prefix)  # the multihost fixtures delete them after the test

    def ns(self, name: str) -> str:
        return self.prefix + name

    def argv(self, line: str) -> list[str]:
        """`ip netns exec NAME ...`, `ip -n NAME ...`, `ip netns add NAME` with the real names."""
        words = shlex.split(line)
        if words[:3] == ["ip", "netns", "exec"] or words[:3] == ["ip", "netns", "add"]:
            words[3] = self.ns(words[3])
        elif words[:2] == ["ip", "-n"]:
            words[2] = self.ns(words[2])
        if "netns" in words[3:]:
            at = words.index("netns", 3)
            words[at + 1] = self.ns(words[at + 1])
        return words

    def run(self, *lines: str, check: bool = True) -> str:
        """Run each line to its end; its stdout and stderr (a failure raises unless `check` is off)."""
        out = ""
        for line in lines:
            proc = subprocess.run(self.argv(line), capture_output=True, text=True, timeout=20)
            if check and proc.returncode != 0:
                raise AssertionError(f"`{line}` failed on the kernel: {proc.stderr.strip()}")
            if line.startswith("ip netns add"):
                for pre in PREAMBLE:
                    subprocess.run(["ip", "netns", "exec", self.ns(line.split()[3]), *shlex.split(pre)], check=True)
            out += proc.stdout + proc.stderr
        return out

    def start(self, ns: str, *argv: str) -> subprocess.Popen[bytes]:
        """A background process in namespace `ns` (killed by `close`)."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(ns), *argv], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        self.background.append(proc)
        return proc

    def capture(self, ns: str, dev: str) -> Capture:
        """Start tcpdump on `dev` and return once it listens."""
        handle, path = tempfile.mkstemp(prefix="nstui-tcpdump-", suffix=".txt")
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(ns), "tcpdump", "-tt", "-n", "-l", "-i", dev, "tcp"],
                                stdout=handle, stderr=subprocess.PIPE, start_new_session=True)
        os.close(handle)
        self.files.append(path)
        self.background.append(proc)
        assert proc.stderr is not None
        line = proc.stderr.readline().decode()
        while line and "listening on" not in line:
            line = proc.stderr.readline().decode()
        return Capture(proc, path)

    def pid_of(self, ns: str, name: str) -> int:
        """The pid of the process called `name` running in namespace `ns`."""
        pids = subprocess.run(["ip", "netns", "pids", self.ns(ns)], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                with open(f"/proc/{pid}/comm", encoding="utf-8") as handle:
                    if handle.read().strip() == name:
                        return int(pid)
            except FileNotFoundError:
                continue
        raise AssertionError(f"no process {name} in {ns}")

    def call(self, ns: str, *argv: str) -> str:
        """Run `argv` in namespace `ns` to its end; its stdout and stderr."""
        proc = subprocess.run(["ip", "netns", "exec", self.ns(ns), *argv], capture_output=True, text=True, timeout=20)
        return proc.stdout + proc.stderr

    def counters(self, ns: str, names: tuple[str, ...]) -> dict[str, int]:
        """`nstat -asz`: absolute values, the shared history file left alone."""
        text = self.run(f"ip netns exec {ns} nstat -asz", check=False)
        values = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)", text, re.M)}
        return {name: values.get(name, 0) for name in names}

    def close(self) -> None:
        for proc in self.background:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        for path in self.files:
            os.unlink(path)
        real.delete_prefixed(self.prefix)


def settle(seconds: float = 0.2) -> None:
    """Give the last segments time to cross the veths (a delayed ACK is the slowest, ~40 ms)."""
    time.sleep(seconds)
