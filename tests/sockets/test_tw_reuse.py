"""net.ipv4.tcp_tw_reuse for outgoing connections, against the real kernel: with a one-port
ip_local_port_range, a connect() to the destination whose connection on that port sits in TIME-WAIT
gets the port only when tcp_twsk_unique allows it (reuse 1, or 2 on loopback, and more than a
second since the TIME-WAIT last heard from the peer); otherwise EADDRNOTAVAIL."""

from __future__ import annotations

import os
import time

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.app import runner
from netstack_tui.kernel.app.language import compile_program

from . import real

SIDE_ADDRESS = "10.9.0.1"
"""A local address outside 127/8 (on lo): mode 2 treats a connection between two such as remote."""


def _first(addr: str) -> str:
    """A connection whose client closes first: its port ends in TIME-WAIT toward ADDR:9000."""
    return f"""
l = socket(AF_INET, SOCK_STREAM)
bind(l, {addr}:9000)
listen(l, 8)
s = socket(AF_INET, SOCK_STREAM)
connect(s, {addr}:9000)
c = accept(l)
close(s)
close(c)
close(l)
"""


def _second(addr: str) -> str:
    return f"""
l = socket(AF_INET, SOCK_STREAM)
bind(l, {addr}:9000)
listen(l, 8)
s = socket(AF_INET, SOCK_STREAM)
connect(s, {addr}:9000)
"""


def _sysctls(mode: str) -> dict[str, str]:
    return {"net.ipv4.ip_local_port_range": "40000 40000", "net.ipv4.tcp_tw_reuse": mode}


def _simulated(addr: str, mode: str, wait: float) -> list[list[tuple[str, str]]]:
    sh = Shell()
    for key, val in _sysctls(mode).items():
        assert sh.run(f"sysctl -w {key}='{val}'").status == 0
    assert sh.run(f"ip addr add {SIDE_ADDRESS}/32 dev lo").status == 0
    logs = []
    for name, source in (("first", _first(addr)), ("second", _second(addr))):
        app = runner.start(sh.host, compile_program(name, source))
        runner.run_all(sh.host)
        logs.append(real.simulated_outcomes(app.log))
        if name == "first" and wait:
            assert sh.run(f"sleep {wait}").status == 0
    return logs


def _real(addr: str, mode: str, wait: float) -> list[list[tuple[str, str]]]:
    with real.namespace(f"nstui-tw-{os.getpid()}", _sysctls(mode), (f"{SIDE_ADDRESS}/32",)):
        first = real.run_real(compile_program("first", _first(addr)))
        time.sleep(wait)  # the TIME-WAIT's age is what decides, not a measured duration
        return [first, real.run_real(compile_program("second", _second(addr)))]


@pytest.fixture(scope="module")
def namespaces_usable() -> None:
    reason = real.unavailable()
    if reason:
        pytest.skip(f"real-kernel tcp_tw_reuse differential: {reason}")


CASES = [
    ("127.0.0.1", "0", 1.3, "EADDRNOTAVAIL"),   # reuse off: the port stays taken for 60 s
    ("127.0.0.1", "2", 0.0, "EADDRNOTAVAIL"),   # allowed, but not within a second
    ("127.0.0.1", "2", 1.3, "0"),               # the default, on loopback
    (SIDE_ADDRESS, "2", 1.3, "EADDRNOTAVAIL"),  # the default, between addresses outside 127/8
    (SIDE_ADDRESS, "1", 1.3, "0"),              # globally on
]


@pytest.mark.parametrize(("addr", "mode", "wait", "expected"), CASES)
def test_simulated_connect_reuses_a_time_wait_port_only_when_allowed(addr: str, mode: str, wait: float,
                                                                    expected: str) -> None:
    first, second = _simulated(addr, mode, wait)
    assert first[-3:] == [("close", "0")] * 3
    assert second[-1] == ("connect", expected)


@pytest.mark.parametrize(("addr", "mode", "wait", "expected"), CASES)
def test_same_outcome_as_the_real_kernel(addr: str, mode: str, wait: float, expected: str,
                                         namespaces_usable: None) -> None:
    assert _simulated(addr, mode, wait) == _real(addr, mode, wait)


def test_ss_shows_the_time_wait_gone_once_reused() -> None:
    """The reused TIME-WAIT is killed (inet_twsk_deschedule_put): ss lists only the new connection."""
    sh = Shell()
    for key, val in _sysctls("1").items():
        sh.run(f"sysctl -w {key}='{val}'")
    runner.start(sh.host, compile_program("first", _first("127.0.0.1")))
    runner.run_all(sh.host)
    assert "TIME-WAIT" in sh.run("ss -tan").output
    sh.run("sleep 2")
    runner.start(sh.host, compile_program("second", _second("127.0.0.1") + "sleep(100)\n"))
    runner.run_all(sh.host)
    states = [ln.split()[0] for ln in sh.run("ss -tan state all sport = :40000").output.splitlines()[1:]]
    assert states == ["ESTAB"]


def test_nc_gets_the_port_back_through_tw_reuse() -> None:
    """The shell's clients pick ports by the same rule: nc's second connection within the second
    fails, after it succeeds."""
    sh = Shell()
    for key, val in _sysctls("2").items():
        sh.run(f"sysctl -w {key}='{val}'")
    sh.run("listen tcp 127.0.0.1:9000")
    assert sh.run("nc -z 127.0.0.1 9000").status == 0
    assert "TIME-WAIT" in sh.run("ss -tan").output
    assert sh.run("nc -z 127.0.0.1 9000").status != 0
    sh.run("sleep 2")
    assert sh.run("nc -z 127.0.0.1 9000").status == 0
