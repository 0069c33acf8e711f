"""Nagle's algorithm against the receiver's delayed ACK: the segment pattern of a request written as
two small writes, on the simulator and on the real kernel (in a throw-away namespace, captured with
tcpdump), with Nagle on and with TCP_NODELAY."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from netstack_tui.commands.shell import Shell

from . import real

ROUNDS = 3


def _pattern(dump: str, server_port: int) -> list[str]:
    """Each segment after the handshake as `c10` (client, 10 bytes), `s0` (server, bare ACK), ...,
    in order; the client's own bare ACKs are left out (both kernels send them as they please)."""
    out = []
    for line in dump.splitlines():
        if f".{server_port}" not in line or "Flags [S" in line or "Flags [F" in line:
            continue
        length = int(line.rsplit("length ", 1)[1].split()[0])
        from_server = f".{server_port} > " in line
        if not from_server and length == 0:
            continue
        out.append(f"{'s' if from_server else 'c'}{length}")
    return out


def _simulated(client: str) -> list[str]:
    sh = Shell()
    assert sh.run("app run rpc-server --name srv").status == 0
    assert sh.run(f"app run {client} --name cli").status == 0
    assert sh.run(f"sleep {ROUNDS - 1}.5").status == 0
    return _pattern(sh.run("tcpdump -i lo -nn port 7000").output, 7000)


ONE_ROUND = ["c10", "s0", "c20", "s0", "s8"]
"""Nagle on: the body waits for the ACK of the header (in the first round it comes at once, later
40 ms late); the body is acknowledged at once, since the delayed-ACK timer took the server out of
interactive mode, and the answer follows."""
NODELAY_FIRST = ["c10", "s0", "c20", "s0", "s8"]
"""TCP_NODELAY, first request: the server is not interactive yet and acknowledges each segment."""
NODELAY_ROUND = ["c10", "c20", "s0", "s8"]
"""Later requests: both writes leave at once; the server delays its ACK, and reading the two small
segments sends it (tcp_cleanup_rbuf) just before the answer. No 40 ms wait anywhere."""


def test_nagle_holds_the_body_until_the_delayed_ack() -> None:
    """From the second request on, the body leaves 40 ms after the header, right after the server's
    delayed ACK; the answer follows at once."""
    sh = Shell()
    sh.run("app run rpc-server --name srv")
    sh.run("app run rpc-client --name cli")
    sh.run("sleep 1.5")
    lines = [line for line in sh.run("tcpdump -i lo -nn port 7000").output.splitlines() if "00:00:01" in line]
    assert [line.split()[0] for line in lines[:3]] == ["00:00:01.000000", "00:00:01.040000", "00:00:01.040000"]
    assert "length 10" in lines[0] and "7000 > " in lines[1] and "length 20" in lines[2]
    assert _pattern("\n".join(lines), 7000)[:5] == ONE_ROUND


def test_tcp_nodelay_sends_each_write_at_once() -> None:
    """With TCP_NODELAY both writes leave together, and nothing waits for a timer."""
    assert _simulated("rpc-client-nodelay") == NODELAY_FIRST + NODELAY_ROUND * (ROUNDS - 1)
    assert _simulated("rpc-client") == ONE_ROUND * ROUNDS


def _real_pattern(nodelay: bool) -> list[str]:
    """The same exchange with Python sockets, captured by tcpdump on the namespace's lo."""
    with tempfile.TemporaryDirectory() as tmp, real.namespace(f"nstui-nagle-{os.getpid()}"):
        capture = Path(tmp) / "nagle.pcap"
        # No filter expression: the namespace is fresh, its lo carries only this exchange. Immediate
        # mode, or packets still in libpcap's ring block are lost when tcpdump is stopped.
        dump = subprocess.Popen(["tcpdump", "-i", "lo", "-nn", "--immediate-mode", "-U", "-w", str(capture)],
                                stderr=subprocess.PIPE, text=True)
        try:
            assert dump.stderr is not None
            dump.stderr.readline()  # "listening on lo ...": the capture is running
            listener = socket.socket()
            listener.bind(("127.0.0.1", 7000))
            listener.listen(1)
            served = threading.Thread(target=_serve, args=(listener,))
            served.start()
            client = socket.create_connection(("127.0.0.1", 7000))
            if nodelay:
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for _ in range(ROUNDS):
                client.sendall(b"SET key 20")
                client.sendall(b"abcdefghijklmnopqrst")
                assert client.recv(4096) == b"VALUE 42"
                threading.Event().wait(0.2)  # the client's pause between requests (sleep(1) in the program)
            client.close()
            served.join()
            listener.close()
            threading.Event().wait(0.2)
        finally:
            dump.terminate()
            dump.wait()
        text = subprocess.run(["tcpdump", "-r", str(capture), "-nn"], capture_output=True, text=True).stdout
    return _pattern(text, 7000)


def _serve(listener: socket.socket) -> None:
    conn, _ = listener.accept()
    with conn:
        while True:
            got = conn.recv(4096)
            if not got:
                return
            if len(got) < 30:
                got += conn.recv(4096)
            conn.sendall(b"VALUE 42")


@pytest.mark.skipif(real.unavailable() is not None or shutil.which("tcpdump") is None,
                    reason="needs root, iproute2 and tcpdump for a namespace capture")
@pytest.mark.parametrize("client", ["rpc-client", "rpc-client-nodelay"])
def test_segment_pattern_matches_the_real_kernel(client: str) -> None:
    """The simulator's segments, in order, are the real kernel's for the same exchange."""
    assert _simulated(client) == _real_pattern(client.endswith("nodelay"))
