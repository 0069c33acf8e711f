"""The recordings and the qdisc model against the running kernel, in a throw-away namespace (root,
iproute2; skipped with the reason otherwise). Rate limiting runs in real time there and on the
simulated clock here, so a burst is compared by what does not depend on time: how many were
dropped, and how many were sent or queued."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from . import real_outputs as real
from .sim import burst, counters, pair_shell

pytestmark = pytest.mark.netns

NS = f"nstui-tc-{os.getpid()}"
SETUP = (
    "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1",
    "ip link add va numtxqueues 1 type veth peer name vb numtxqueues 1",
    "ip addr add 10.9.0.1/24 dev va", "ip link set va up", "ip link set vb up", "ip link set lo up",
    "ip neigh add 10.9.0.2 lladdr 02:00:00:00:00:09 dev va",
)
SENDER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 32, 64 << 20)  # SO_SNDBUFFORCE: the socket never blocks the burst
for _ in range(int(sys.argv[1])):
    s.sendto(b"x" * 1000, ("10.9.0.2", 9))
"""


def _run(line: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["ip", "netns", "exec", NS, *line.split()], capture_output=True, text=True, timeout=20)
    if check and done.returncode != 0:
        raise AssertionError(f"{line}: {done.stderr}")
    return done


@pytest.fixture
def namespace() -> Iterator[None]:
    """A fresh namespace with va/vb (one TX queue each); deleted afterwards."""
    if os.geteuid() != 0 or shutil.which("tc") is None or shutil.which("ip") is None:
        pytest.skip("real tc tests need root and iproute2")
    if subprocess.run(["ip", "netns", "add", NS], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace here")
    try:
        for line in SETUP:
            _run(line)
        yield
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)


def _real_burst(count: int) -> None:
    subprocess.run(["ip", "netns", "exec", NS, sys.executable, "-c", SENDER, str(count)], check=True, timeout=20)


@pytest.mark.usefixtures("namespace")
def test_recorded_htb_outputs_are_still_what_the_kernel_prints() -> None:
    """The HTB recordings (and so the layout tests built on them) match the live tool."""
    for line in real.HTB_SETUP:
        _run(line)
    for command, expected in real.HTB_OUTPUTS.items():
        assert _run(command).stdout == expected + "\n", command


@pytest.mark.usefixtures("namespace")
def test_default_qdisc_of_a_veth_is_noqueue_with_no_counters() -> None:
    """A veth has noqueue, and noqueue counts nothing even after traffic (as the model)."""
    _real_burst(3)
    assert _run("tc -s qdisc show dev va").stdout == (
        "qdisc noqueue 0: root refcnt 2 \n Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n"
        " backlog 0b 0p requeues 0\n")


@pytest.mark.usefixtures("namespace")
@pytest.mark.parametrize("shaper", sorted(real.BURSTS))
def test_burst_drops_as_many_as_the_kernel(shaper: str) -> None:
    """50 frames of 1042 B at once into tbf or HTB at 1 Mbit: the same number dropped, and the
    same number sent or queued, in the kernel and in the model."""
    setup, dropped, accepted = real.BURSTS[shaper]
    for line in setup:
        _run(line)
    _real_burst(50)
    sent, real_dropped, backlog, _ = counters(_run("tc -s qdisc show dev va").stdout)
    assert (real_dropped, sent + backlog) == (dropped, accepted)
    sh = pair_shell(*setup)
    burst(sh, 50)
    sim_sent, sim_dropped, sim_backlog, _ = counters(sh.run("tc -s qdisc show dev va").output)
    assert (sim_dropped, sim_sent + sim_backlog) == (dropped, accepted)


@pytest.mark.usefixtures("namespace")
@pytest.mark.parametrize(("command", "status", "message"), real.ERRORS)
def test_recorded_errors_are_still_the_kernels(command: str, status: int, message: str) -> None:
    """The refusals the layout tests expect are what the live tool answers."""
    done = _run(command, check=False)
    assert (done.returncode, (done.stdout + done.stderr).strip("\n")) == (status, message)
