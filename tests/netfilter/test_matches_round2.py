"""hashlimit, connlimit, time, rpfilter and connbytes in the simulator alone (no root needed):
what the differential tests cannot reach, because the real clock cannot be stopped or advanced.

Expected numbers follow the kernel's arithmetic (HZ=250, the modules' own formulas); the texts
were printed by iptables 1.8.9 and conntrack 1.4.7 on kernel 6.18.
"""

from __future__ import annotations

import calendar

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel import steady
from netstack_tui.kernel.netfilter import timematch

PING = "send icmp 10.0.0.2 > 10.0.0.1 echo-request iface=eth0"


def _shell(*lines: str) -> Shell:
    sh = Shell()
    for line in ("ip addr add 10.0.0.1/24 dev eth0", *lines):
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def _counts(sh: Shell) -> list[str]:
    return [line.split(" -A ")[0] for line in sh.run("iptables-save -c -t filter").output.splitlines()
            if line.startswith("[") and " -A " in line]


def test_hashlimit_refills_on_the_simulated_clock() -> None:
    """Burst 2 at 1/sec: two pass, the third waits; one second later one more token has come."""
    sh = _shell("iptables -A INPUT -p icmp -m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 2 "
                "--hashlimit-name p -j ACCEPT", "iptables -A INPUT -p icmp -j DROP")
    for _ in range(3):
        sh.run(PING)
    assert _counts(sh) == ["[2:56]", "[1:28]"]
    sh.run("sleep 1")
    sh.run(PING)
    sh.run(PING)
    assert _counts(sh) == ["[3:84]", "[2:56]"]


def test_hashlimit_bucket_expires_and_is_state() -> None:
    """A key unused for --hashlimit-htable-expire starts again with the whole burst."""
    sh = _shell("iptables -A INPUT -p icmp -m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 1 "
                "--hashlimit-name p --hashlimit-htable-expire 2000 -j ACCEPT", "iptables -A INPUT -p icmp -j DROP")
    before = steady.snapshot(sh.host)
    sh.run(PING)
    assert not steady.repeat(before, steady.snapshot(sh.host), 5), "the bucket's credit decides verdicts"
    sh.run(PING)
    sh.run("sleep 3")
    sh.run(PING)
    assert _counts(sh) == ["[2:56]", "[1:28]"]


def test_connlimit_forgets_closed_connections() -> None:
    """A TCP connection reset by the host no longer counts on the next walk of the list."""
    sh = _shell("iptables -A INPUT -p tcp --syn -m connlimit --connlimit-above 1 -j DROP")
    sh.run("send tcp 10.0.0.2:1000 > 10.0.0.1:80 [S] iface=eth0")  # refused: RST, entry CLOSE
    sh.run("send tcp 10.0.0.2:1001 > 10.0.0.1:80 [S] iface=eth0")
    assert _counts(sh) == ["[0:0]"]


def test_time_uses_the_simulated_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """09:00 on a Monday at boot: the working-hours rule matches until the clock passes 17:00."""
    monkeypatch.setattr(timematch, "WALL_CLOCK_AT_BOOT", calendar.timegm((2026, 1, 5, 9, 0, 0, 0, 0, 0)))
    sh = _shell("iptables -A INPUT -p icmp -m time --timestart 08:00 --timestop 17:00 --weekdays Mon,Tue "
                "-j ACCEPT", "iptables -A INPUT -p icmp -j DROP")
    sh.run(PING)
    sh.run("sleep 28800")  # 17:00:00 still inside (the stop is inclusive)
    sh.run(PING)
    sh.run("sleep 1")
    sh.run(PING)
    assert _counts(sh) == ["[2:56]", "[1:28]"]


def test_time_contiguous_window_belongs_to_its_first_day() -> None:
    """22:00-02:00 --contiguous on Sunday: Monday 01:00 still belongs to Sunday's window."""
    match = timematch._build([], None)  # type: ignore[arg-type]
    assert match.save() == " --datestop 2038-01-19T03:14:07"
    from netstack_tui.kernel.netfilter.extension import Opt
    window = timematch._build([Opt("--timestart", False, ("22:00",)), Opt("--timestop", False, ("02:00",)),
                               Opt("--weekdays", False, ("Sun",)), Opt("--contiguous", False)], None)  # type: ignore[arg-type]
    (check, _), = window.checks(None)  # type: ignore[arg-type]
    monday_1am = calendar.timegm((2026, 1, 5, 1, 0, 0, 0, 0, 0))
    ctx = type("C", (), {"now": 0})()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timematch, "WALL_CLOCK_AT_BOOT", monday_1am)
        assert check(None, ctx)  # type: ignore[arg-type]
        mp.setattr(timematch, "WALL_CLOCK_AT_BOOT", monday_1am + 2 * 3600)
        assert not check(None, ctx)  # type: ignore[arg-type]


def test_rpfilter_only_in_raw_and_mangle_prerouting() -> None:
    sh = Shell()
    refused = sh.run("iptables -A INPUT -m rpfilter -j DROP")
    assert refused.status == 4 and "RULE_APPEND failed (Invalid argument)" in refused.output
    assert sh.run("iptables -t raw -A PREROUTING -m rpfilter --invert -j DROP").status == 0


def test_connbytes_forces_accounting_and_conntrack_shows_counters() -> None:
    """A connbytes rule turns nf_conntrack_acct on; entries made from then on carry counters."""
    sh = _shell()
    sh.run(PING)
    sh.run("iptables -A INPUT -p icmp -m connbytes --connbytes 2: --connbytes-dir original "
           "--connbytes-mode packets -j DROP")
    sh.run("send icmp 10.0.0.2 > 10.0.0.1 echo-request id=7 iface=eth0")
    sh.run("send icmp 10.0.0.2 > 10.0.0.1 echo-request id=7 iface=eth0")
    assert sh.run("sysctl net.netfilter.nf_conntrack_acct").output.strip() == "net.netfilter.nf_conntrack_acct = 1"
    listing = sh.run("conntrack -L").output
    assert "id=7 packets=2 bytes=56 src=10.0.0.1 dst=10.0.0.2 type=0 code=0 id=7 packets=1 bytes=28" in listing
    assert _counts(sh) == ["[1:28]"]


def test_no_counters_without_accounting() -> None:
    sh = _shell("iptables -A INPUT -m conntrack --ctstate NEW")
    sh.run(PING)
    assert "packets=" not in sh.run("conntrack -L").output
