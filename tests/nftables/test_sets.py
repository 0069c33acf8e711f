"""Named sets and maps, verdict maps, `define`, `nft -f -`, and the order of two base chains at one
hook: listings and refusals as real nft 1.0.6 printed them in a scratch namespace (issue 15, item 5).
sets_ruleset.listed is real `nft list ruleset` after `nft -f sets_ruleset.nft`."""

from __future__ import annotations

from pathlib import Path

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.world import ROOT_NAME, World

HERE = Path(__file__).parent


def fresh() -> Shell:
    return Shell(world=World(Host.namespace(ROOT_NAME)))


def test_file_with_sets_maps_vmaps_and_defines_lists_as_real_nft() -> None:
    shell = fresh()
    loaded = shell.run("nft -f -", stdin=(HERE / "sets_ruleset.nft").read_text())
    assert loaded.status == 0, loaded.output
    expected = (HERE / "sets_ruleset.listed").read_text().rstrip("\n")
    assert shell.run("nft list ruleset").output.rstrip("\n") == expected


@pytest.mark.parametrize(("line", "message"), [
    ("nft add rule ip t c ip saddr @nope drop", "Error: No such file or directory"),
    ("nft add rule ip t c tcp dport @s drop",
     "Error: datatype mismatch, expected internet network service, expression has type IPv4 address"),
    ("nft add element ip t s { 10.0.0.0/8 }",
     "Error: You must add 'flags interval' to your set declaration if you want to add prefix elements"),
    ("nft create element ip t s { 1.2.3.4 }", "Error: Could not process rule: File exists"),
    ("nft delete element ip t s { 9.9.9.9 }", "Error: Could not process rule: No such file or directory"),
    ("nft add set ip t p { type foo\\; }", "Error: unknown datatype foo"),
    ("nft add rule ip t c tcp dport vmap @s", "Error: Expression is not a map"),
    ("nft add rule ip t c udp dport 53 reject with tcp reset", "Error: you cannot use tcp reset with this protocol"),
    ("nft add rule ip t c ip protocol udp tcp dport 22 accept",
     "Error: conflicting protocols specified: udp vs. tcp"),
    ("nft add rule ip t c iifname $WAN accept", "Error: unknown identifier 'WAN'"),
    ("nft 'add chain ip t d { type filter hook input priority 0; policy drop }'",
     "Error: syntax error, unexpected '}', expecting newline or semicolon"),
])
def test_refusals_name_what_nft_names(line: str, message: str) -> None:
    shell = fresh()
    for setup in ("nft add table ip t", "nft add chain ip t c '{ type filter hook input priority 0; }'",
                  "nft add set ip t s '{ type ipv4_addr; }'", "nft add element ip t s { 1.2.3.4 }"):
        assert shell.run(setup).status == 0, setup
    before = shell.run("nft list ruleset").output
    result = shell.run(line)
    assert (result.status, result.output.strip()) == (1, message)
    assert shell.run("nft list ruleset").output == before


def test_set_elements_and_lookups_decide_packets() -> None:
    shell = Shell()
    for line in ("ip addr add 10.0.0.1/24 dev eth0", "nft add table ip t",
                 "nft add chain ip t c '{ type filter hook input priority 0; }'",
                 "nft add set ip t bad '{ type ipv4_addr; }'", "nft add rule ip t c ip saddr @bad counter drop",
                 "nft add rule ip t c tcp dport vmap { 22 : accept, 23 : drop }"):
        assert shell.run(line).status == 0, line
    udp = "send udp 10.0.0.2:5000 > 10.0.0.1:53"
    assert "nft ip t/c" not in shell.run(udp).output
    assert shell.run("nft add element ip t bad { 10.0.0.2 }").status == 0
    assert "dropped at nft ip t/c rule 1" in shell.run(udp).output
    assert shell.run("nft delete element ip t bad { 10.0.0.2 }").status == 0
    assert "dropped at nft ip t/c rule 2" in shell.run("send tcp 10.0.0.3:4000 > 10.0.0.1:23 [S]").output
    listed = "table ip t {\n\tset bad {\n\t\ttype ipv4_addr\n\t}\n}"
    assert shell.run("nft list set ip t bad").output.rstrip("\n") == listed
    assert shell.run("nft delete set ip t bad").status == 1  # a rule still uses it (resource busy)


def test_tcp_reset_dependency_runs_first() -> None:
    """An earlier counter in a `reject with tcp reset` rule never sees UDP (the implicit TCP test
    leads the rule)."""
    shell = Shell()
    for line in ("ip addr add 10.0.0.1/24 dev eth0", "nft add table inet t",
                 "nft add chain inet t c '{ type filter hook input priority 0; }'",
                 "nft add rule inet t c counter reject with tcp reset"):
        assert shell.run(line).status == 0, line
    shell.run("send udp 10.0.0.2:5000 > 10.0.0.1:53")
    assert "meta l4proto tcp counter packets 0 bytes 0 reject with tcp reset" in shell.run("nft list ruleset").output


def test_newest_base_chain_at_one_priority_runs_first() -> None:
    """Measured: chain b (added second) drops the echo before chain a's counter sees it."""
    shell = Shell()
    for line in ("ip addr add 10.0.0.1/24 dev eth0",
                 "nft add table ip a", "nft add chain ip a c '{ type filter hook input priority 0; }'",
                 "nft add rule ip a c counter",
                 "nft add table ip b", "nft add chain ip b c '{ type filter hook input priority 0; }'",
                 "nft add rule ip b c icmp type echo-request counter drop"):
        assert shell.run(line).status == 0, line
    shell.run("send icmp 10.0.0.2 > 10.0.0.1 echo-request")
    listing = shell.run("nft list ruleset").output
    assert "\t\tcounter packets 0 bytes 0\n" in listing
    assert "icmp type echo-request counter packets 1" in listing
