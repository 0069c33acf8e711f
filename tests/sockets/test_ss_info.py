"""`ss -tm` and `ss -ti` for a program's sockets: the model's queues, buffers and counters, laid out
as iproute2 lays them out — checked against real `ss` in a throw-away namespace."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading

import pytest

from netstack_tui.commands.shell import Shell

from . import real

SERVER = """\
l = socket(AF_INET, SOCK_STREAM)
bind(l, 127.0.0.1:9000)
listen(l, 8)
c = accept(l)
sleep(100000)
"""
CLIENT = """\
s = socket(AF_INET, SOCK_STREAM)
connect(s, 127.0.0.1:9000)
write(s, 1000)
sleep(100000)
"""


def _simulated(command: str) -> str:
    sh = Shell()
    assert sh.run("cat > srv.app", stdin=SERVER).status == 0
    assert sh.run("cat > cli.app", stdin=CLIENT).status == 0
    assert sh.run("app run srv.app --name srv").status == 0
    assert sh.run("app run cli.app --name cli").status == 0
    assert sh.run("sleep 0.1").status == 0
    result = sh.run(command)
    assert result.status == 0, result.output
    return result.output


def _info_lines(out: str) -> list[str]:
    return [line.removeprefix("\t ").rstrip() for line in out.splitlines() if line.startswith("\t")]


def test_skmem_shows_the_unread_bytes_and_the_buffers() -> None:
    """The reader's 1000 unread bytes are in r (with the page's rest in f); rb and tb are the
    buffers tcp_rmem and tcp_wmem give a socket that sets none."""
    client, server = _info_lines(_simulated("ss -tm"))
    assert client == "skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0)"
    assert server == "skmem:(r1000,rb131072,t0,tb16384,f3096,w0,o0,bl0,d0)"


def test_info_counts_what_each_side_sent_and_received() -> None:
    """The writer sent 1000 bytes in one data segment, all acknowledged (plus its SYN); the reader
    received them, has measured a 1000-byte segment and now delays its ACKs (ato)."""
    client, server = _info_lines(_simulated("ss -tni"))
    assert "bytes_sent:1000 bytes_acked:1001 segs_out:3 segs_in:2 data_segs_out:1 " in client
    assert "ato:" not in client and "rcvmss:536 " in client
    assert "ato:40 " in server and "rcvmss:1000 " in server
    assert "bytes_received:1000 segs_in:3 data_segs_in:1 " in server
    assert "mss:32768 pmtu:65535 " in server and " lastsnd:100 lastrcv:100 lastack:100 " in server


def _keys(line: str) -> list[str]:
    """Field names in order (`rtt:..` → rtt, `send 1bps` → send), without the congestion control's
    own fields (the namespace may run bbr, which adds bbr:(...))."""
    words = re.sub(r"bbr:\([^)]*\)", "", line).split()
    out = []
    for word in words:
        name = word.split(":", 1)[0].split("(", 1)[0]
        if re.fullmatch(r"[a-z_]+", name) and name not in ("bbr", "cubic", "reno"):
            out.append(name)
    return out


def _real(command: list[str]) -> str:
    with real.namespace(f"nstui-ss-{os.getpid()}"):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 9000))
        listener.listen(8)
        client = socket.create_connection(("127.0.0.1", 9000))
        conn, _ = listener.accept()
        client.sendall(b"x" * 1000)
        threading.Event().wait(0.1)
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        for s in (client, conn, listener):
            s.close()
    return out


@pytest.mark.skipif(real.unavailable() is not None, reason="needs root and iproute2 for a namespace")
def test_layout_matches_real_ss() -> None:
    """The same exchange on the real kernel: the header and the second-line layout are the same,
    skmem has the same fields, and the -i fields both print come in the same order."""
    real_out = _real(["ss", "-tnmi"])
    sim_out = _simulated("ss -tnmi")
    assert real_out.splitlines()[0].split() == sim_out.splitlines()[0].split()
    real_lines, sim_lines = _info_lines(real_out), _info_lines(sim_out)
    assert len(real_lines) == len(sim_lines) == 2
    for got, want in zip(sim_lines, real_lines, strict=True):
        assert re.sub(r"\d+", "N", got.split()[0]) == re.sub(r"\d+", "N", want.split()[0])  # skmem
        common = [k for k in _keys(got) if k in _keys(want)]
        assert common == [k for k in _keys(want) if k in _keys(got)]
        assert len(common) >= 20
