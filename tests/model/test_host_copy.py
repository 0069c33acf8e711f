"""A deep copy of a host (what a session keeps as "the host before this packet") is a separate host:
it behaves exactly as the original would from that moment, and neither sees the other's packets.
The state compiled rules consult (limit buckets, recent lists) is part of what gets copied."""

from __future__ import annotations

import copy

import pytest

from netstack_tui.commands.shell import Shell

SETUPS = {
    "iptables limit": ["iptables -A INPUT -p udp -m limit --limit 1/min --limit-burst 3 -j ACCEPT",
                       "iptables -A INPUT -p udp -j DROP"],
    "iptables recent": ["iptables -A INPUT -p udp -m recent --name seen --update --hitcount 3 -j DROP",
                        "iptables -A INPUT -p udp -m recent --name seen --set -j ACCEPT"],
    "nft limit": ["nft add table inet f", "nft add chain inet f in { type filter hook input priority 0 \\; }",
                  "nft add rule inet f in udp dport 53 limit rate 1/minute burst 3 packets accept",
                  "nft add rule inet f in udp dport 53 drop"],
    "ICMP rate limit": ["iptables -A INPUT -p udp -j REJECT"],
}

PACKET = "send udp 10.0.0.2:1000 > 10.0.0.1:53"


def _outcomes(sh: Shell, n: int) -> list[str]:
    """What `send` prints for each packet: the outcome and the replies (an ICMP error or none)."""
    return [sh.run(PACKET).output for _ in range(n)]


@pytest.mark.parametrize("name", sorted(SETUPS))
@pytest.mark.parametrize("before", [0, 1, 2])
def test_a_copy_behaves_as_the_original_would_and_apart_from_it(name: str, before: int) -> None:
    """After `before` packets, copy the host; the original takes five more packets; the copy then
    takes the same five and answers exactly as the original did, and the original's counters do
    not move while the copy works."""
    sh = Shell()
    for line in ["ip addr add 10.0.0.1/24 dev eth0", "listen udp 0.0.0.0:53 --app dns", *SETUPS[name]]:
        assert sh.run(line).status == 0, line
    _outcomes(sh, before)
    state = sh.run("iptables-save -c").output + sh.run("nft list ruleset").output
    twin = Shell(copy.deepcopy(sh.host))
    assert twin.run("iptables-save -c").output + twin.run("nft list ruleset").output == state
    original = _outcomes(sh, 8)
    assert len(set(original)) > 1, "the setup must make the outcome change as packets go by"
    after = sh.run("iptables-save -c").output + sh.run("nft list ruleset").output
    assert _outcomes(twin, 8) == original
    assert sh.run("iptables-save -c").output + sh.run("nft list ruleset").output == after
