"""statistic, quota, -m set / -j SET and the ipset command in the simulator alone (no root needed).

Expected texts are what iptables 1.8.9 and ipset 7.17 printed for the same commands on kernel 6.18.
"""

from __future__ import annotations

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel import steady

PING = "send icmp 10.0.0.2 > 10.0.0.1 echo-request iface=eth0"


def _shell(*lines: str) -> Shell:
    sh = Shell()
    for line in ("ip addr add 10.0.0.1/24 dev eth0", *lines):
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def test_canonical_printing_is_the_kernels() -> None:
    sh = _shell("iptables -A INPUT -m statistic --mode random --probability 0.3 -j ACCEPT",
                "iptables -A INPUT -m statistic --mode nth --every 3 --packet 0 -j ACCEPT",
                "iptables -A INPUT -m quota ! --quota 50 -j ACCEPT")
    assert sh.run("iptables -S INPUT").output.splitlines()[1:4] == [
        "-A INPUT -m statistic --mode random --probability 0.29999999981 -j ACCEPT",
        "-A INPUT -m statistic --mode nth --every 3 --packet 0 -j ACCEPT",
        "-A INPUT -m quota ! --quota 50 -j ACCEPT",
    ]
    listing = sh.run("iptables -L INPUT -n").output
    assert "statistic mode nth every 3\n" in listing + "\n"
    assert "quota: 50 bytes" in listing


def test_statistic_refusals() -> None:
    sh = Shell()
    every = sh.run("iptables -A INPUT -m statistic --mode nth --every 3 -j ACCEPT")
    assert every.status == 2 and 'option "--every" also requires "--packet".' in every.output
    packet = sh.run("iptables -A INPUT -m statistic --mode nth --every 3 --packet 3 -j ACCEPT")
    assert "the --packet p must be 0 <= p <= n-1" in packet.output


def test_nth_and_quota_decide() -> None:
    sh = _shell("iptables -A INPUT -p icmp -m statistic --mode nth --every 2 --packet 1 -j DROP",
                "iptables -A INPUT -p icmp -m quota --quota 60 -j ACCEPT")
    for _ in range(5):
        sh.run(PING)
    saved = sh.run("iptables-save -c").output
    assert "[2:56] -A INPUT -p icmp -m statistic" in saved  # packets 2 and 4
    assert "[2:56] -A INPUT -p icmp -m quota" in saved  # 60 bytes hold two 28-byte pings


def test_quota_state_is_not_an_accumulator() -> None:
    sh = _shell("iptables -A INPUT -p icmp -m quota --quota 1000 -j ACCEPT")
    host = sh.host
    before = steady.snapshot(host)
    sh.run(PING)
    after = steady.snapshot(host)
    assert not steady.repeat(before, after, 10), "a quota's remaining bytes decide verdicts"


def test_ipset_and_set_rules() -> None:
    sh = _shell("ipset create seen hash:ip", "iptables -A INPUT -m set --match-set seen src -j DROP",
                "iptables -A INPUT -p icmp -j SET --add-set seen src")
    sh.run(PING)
    sh.run(PING)
    assert sh.run("ipset list seen").output.splitlines()[5:] == [
        "References: 2", "Number of entries: 1", "Members:", "10.0.0.2"]
    assert "[1:28] -A INPUT -m set --match-set seen src -j DROP" in sh.run("iptables-save -c").output
    busy = sh.run("ipset destroy seen")
    assert (busy.status, busy.output) == (1, "ipset v7.17: Set cannot be destroyed: it is in use by a kernel component")


def test_missing_set_is_refused() -> None:
    sh = Shell()
    result = sh.run("iptables -A INPUT -m set --match-set nope src -j DROP")
    assert result.status == 2
    assert result.output.startswith("iptables v1.8.9 (nf_tables): Set nope doesn't exist.\n\n")
    restored = sh.run("iptables-restore", stdin="*filter\n-A INPUT -j SET --add-set nope src\nCOMMIT\n")
    assert restored.status == 2 and "Error occurred at line: 2" in restored.output


def test_ipset_errors_are_the_tools() -> None:
    sh = _shell("ipset create b bitmap:port range 1-1024")
    cases = {
        "ipset add b 2000": (1, "ipset v7.17: Element is out of the range of the set"),
        "ipset create b hash:ip": (1, "ipset v7.17: Set cannot be created: set with the same name already exists"),
        "ipset create c hash:foo": (1, "ipset v7.17: Syntax error: typename 'hash:foo' is unknown"),
        "ipset test b 22": (1, "22 is NOT in set b."),
        "ipset list zz": (1, "ipset v7.17: The set with the given name does not exist"),
    }
    for line, want in cases.items():
        result = sh.run(line)
        assert (result.status, result.output) == want, line
    restore = sh.run("ipset restore", stdin="create r hash:ip\nadd r zz\n")
    assert (restore.status, restore.output) == (
        1, "ipset v7.17: Error in line 2: Syntax error: cannot parse zz: resolving to IPv4 address failed")
