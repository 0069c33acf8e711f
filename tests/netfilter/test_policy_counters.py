"""Policy counters follow iptables-nft: off for chains created on demand, on once a policy is set.

Observed on iptables v1.8.9 (nf_tables), kernel 6.18, in a scratch namespace: after only
`iptables -A INPUT ...`, `iptables-save -c` keeps `:INPUT ACCEPT [0:0]` however many packets reach
the policy; after `-P`, a restore, or `-Z` of a chain in use, the policy counts.
"""

from __future__ import annotations

from netstack_tui.commands.shell import Shell


def _policy_line(sh: Shell, chain: str = "INPUT") -> str:
    save = sh.run("iptables-save -c -t filter").output
    return next(line for line in save.splitlines() if line.startswith(f":{chain} "))


def _shell(*lines: str) -> Shell:
    sh = Shell()
    for line in ("ip addr add 10.0.0.1/24 dev eth0", *lines):
        assert sh.run(line).status == 0
    return sh


def test_append_alone_leaves_policy_counters_at_zero() -> None:
    """A chain made by -A has no policy counters."""
    sh = _shell("iptables -A INPUT -p tcp --dport 9 -j ACCEPT")
    sh.run("send udp 10.0.0.2:5000 > 10.0.0.1:53")
    assert _policy_line(sh) == ":INPUT ACCEPT [0:0]"


def test_setting_the_policy_turns_counters_on() -> None:
    """After -P the policy counts packets and bytes."""
    sh = _shell("iptables -A INPUT -p tcp --dport 9 -j ACCEPT", "iptables -P INPUT ACCEPT")
    sh.run("send udp 10.0.0.2:5000 > 10.0.0.1:53")
    assert _policy_line(sh) == ":INPUT ACCEPT [1:28]"


def test_zeroing_a_chain_in_use_turns_counters_on() -> None:
    """-Z enables the counters of chains that exist (have rules); empty ones stay off."""
    sh = _shell("iptables -A INPUT -p tcp --dport 9 -j ACCEPT", "iptables -Z")
    sh.run("send udp 10.0.0.2:5000 > 10.0.0.1:53")
    assert _policy_line(sh) == ":INPUT ACCEPT [1:28]"
    assert _policy_line(sh, "OUTPUT") == ":OUTPUT ACCEPT [0:0]"
