"""GRO against the real kernel: one 5,000-byte TCP send crosses a veth with TSO off on the sender, so
GSO cuts it into four segments; `tcpdump` on the receiving veth shows the four (gro off) or the one
skb GRO merged them into (gro on). The simulator's `tcpdump` must show the same lengths for the same
burst. Needs root, iproute2, ethtool and tcpdump (two throw-away namespaces); skipped otherwise."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator

import pytest

from netstack_tui.commands.shell import Shell

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "ethtool", "tcpdump")),
    reason="needs root, iproute2, ethtool and tcpdump to build throw-away namespaces",
)

SEND = 5000
FROM_CLIENT = re.compile(r"\b10\.9\.0\.1\.\d+ > ")
"""A capture line of a packet the client (10.9.0.1) sent."""
SERVER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.9.0.2", 5000)); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); got = 0
while got < int(sys.argv[1]):
    chunk = c.recv(65536)
    if not chunk: break
    got += len(chunk)
c.sendall(b"k"); c.close()
"""
CLIENT = """
import socket, sys
c = socket.create_connection(("10.9.0.2", 5000), timeout=10)
c.sendall(b"x" * int(sys.argv[1])); c.recv(1); c.close()
"""


def _run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=30).stdout


@pytest.fixture
def pair() -> Iterator[tuple[str, str]]:
    """Namespaces a (va, 10.9.0.1) and b (vb, 10.9.0.2) joined by a veth, TCP timestamps off in a so
    the MSS is 1460 as in the simulator (whose TCP sends no options)."""
    a, b = (f"nstui-gro-{x}-{uuid.uuid4().hex[:6]}" for x in "ab")
    for ns in (a, b):
        _run("ip", "netns", "add", ns)
    try:
        _run("ip", "-n", a, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b)
        _run("ip", "-n", a, "addr", "add", "10.9.0.1/24", "dev", "va")
        _run("ip", "-n", b, "addr", "add", "10.9.0.2/24", "dev", "vb")
        for ns, dev in ((a, "va"), (b, "vb")):
            _run("ip", "-n", ns, "link", "set", dev, "up")
            _run("ip", "-n", ns, "link", "set", "lo", "up")
        _run("ip", "netns", "exec", a, "sysctl", "-qw", "net.ipv4.tcp_timestamps=0")
        _run("ip", "netns", "exec", a, "ethtool", "-K", "va", "tso", "off")
        yield a, b
    finally:
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], check=False)


def _data_lengths(tcpdump_text: str) -> list[int]:
    """The payload lengths of the sender's data packets, in order (pure ACKs and the FIN carry none)."""
    out = []
    for line in tcpdump_text.splitlines():
        if FROM_CLIENT.search(line) and "length " in line:
            length = int(line.rsplit("length ", 1)[1].split()[0])
            if length:
                out.append(length)
    return out


def _kernel_lengths(a: str, b: str, gro: str) -> list[int]:
    _run("ip", "netns", "exec", b, "ethtool", "-K", "vb", "gro", gro)
    server = subprocess.Popen(["ip", "netns", "exec", b, sys.executable, "-c", SERVER, str(SEND)],
                              stdout=subprocess.PIPE, text=True)
    # --immediate-mode: each packet is handed to tcpdump as it comes (not when a TPACKET block fills).
    dump = subprocess.Popen(["ip", "netns", "exec", b, "tcpdump", "-n", "-l", "--immediate-mode", "-i", "vb",
                             "tcp port 5000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(30, dump.kill)  # a capture that never sees the FIN must not hang the run
    watchdog.start()
    lines: list[str] = []
    try:
        assert server.stdout is not None and dump.stdout is not None and dump.stderr is not None
        assert server.stdout.readline().strip() == "ready"
        while "listening on" not in dump.stderr.readline():  # tcpdump says so once the capture is open
            pass
        _run("ip", "netns", "exec", a, sys.executable, "-c", CLIENT, str(SEND))
        server.wait(timeout=10)
        # Read until the client's FIN: everything it sent before is in the capture by then.
        for line in dump.stdout:
            lines.append(line)
            if FROM_CLIENT.search(line) and "Flags [F" in line:
                break
    finally:
        watchdog.cancel()
        server.kill()
        dump.terminate()
        dump.communicate(timeout=10)
    return _data_lengths("".join(lines))


def _simulated_lengths(gro: str) -> list[int]:
    shell = Shell()
    for line in ("ip netns add b", "ip link add va type veth peer name vb", "ip link set vb netns b",
                 "ip addr add 10.9.0.1/24 dev va", "ip -n b addr add 10.9.0.2/24 dev vb", "ip link set va up",
                 "ip -n b link set vb up", "ip netns exec b listen tcp 10.9.0.2:5000 --app sink",
                 "connect tcp 10.9.0.2:5000 --from 10.9.0.1:40000 --app client", "ethtool -K va tso off",
                 f"ip netns exec b ethtool -K vb gro {gro}",
                 f"send 'tcp 10.9.0.1:40000 > 10.9.0.2:5000 [P.] seq=1 ack=1 len={SEND}'"):
        result = shell.run(line)
        assert result.status == 0, (line, result.output)
    return _data_lengths(shell.run("ip netns exec b tcpdump -n -i vb").output)


@pytest.mark.parametrize(("gro", "expected"), [("off", [1460, 1460, 1460, 620]), ("on", [SEND])])
def test_gro_merging_matches_the_kernel(pair: tuple[str, str], gro: str, expected: list[int]) -> None:
    """The receiver's capture has the same data lengths in the kernel and in the simulator (and they are
    the ones GSO and GRO should give, so a setup that merged or cut nothing would not pass)."""
    kernel = _kernel_lengths(*pair, gro)
    assert kernel == expected
    assert _simulated_lengths(gro) == kernel
