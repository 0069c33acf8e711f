"""iptables' own validation at its edges, as iptables 1.8.9 (nf_tables) answered each line in a
fresh namespace (recorded by us on kernel 6.18): first line and exit status, and what `-S` prints
for the lines it accepted. The random comparison with the live tool is
`test_iptables_differential.py`; these stay when no root is at hand."""

from __future__ import annotations

import pytest

from netstack_tui.commands.shell import Shell

RECORDED = [
    ("iptables -A OUTPUT -i eth0 -j ACCEPT", 2, "iptables v1.8.9 (nf_tables): Can't use -i with OUTPUT"),
    ("iptables -A INPUT -o eth0 -j ACCEPT", 2, "iptables v1.8.9 (nf_tables): Can't use -o with INPUT"),
    ("iptables -A INPUT ! -s 10.0.0.1,10.0.0.2 -j DROP", 2,
     "iptables v1.8.9 (nf_tables): ! not allowed with multiple source or destination IP addresses"),
    ("iptables -A INPUT -p icmp --icmp-type ping -j ACCEPT", 0, ""),
    ("iptables -A INPUT -p sctp --dport 80:22 -j ACCEPT", 2,
     "iptables v1.8.9 (nf_tables): invalid portrange (min > max)"),
    ("iptables -A INPUT -p sctp --dport 22:22 -j ACCEPT", 0, ""),
    ("iptables -A INPUT -p tcp --dport 65536 -j ACCEPT", 2,
     "iptables v1.8.9 (nf_tables): invalid port/service `65536' specified"),
    ("iptables -A INPUT -m recent --set --seconds 10 -j ACCEPT", 4,
     "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT"),
    ("iptables -A INPUT ! -s 0.0.0.0/0 -j ACCEPT", 4,
     "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT"),
]
"""(line, status, first line of its output)."""

LISTED = """-P INPUT ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -p sctp -m sctp --dport 22 -j ACCEPT"""
"""`iptables -S INPUT` after all of them."""


@pytest.fixture(scope="module")
def answers() -> tuple[list[tuple[int, str]], str]:
    shell = Shell()
    seen = []
    for line, _, _ in RECORDED:
        result = shell.run(line)
        seen.append((result.status, (result.output.splitlines() or [""])[0]))
    return seen, shell.run("iptables -S INPUT").output.rstrip("\n")


@pytest.mark.parametrize("index", range(len(RECORDED)), ids=[line for line, _, _ in RECORDED])
def test_each_line_answers_as_iptables_does(index: int, answers: tuple[list[tuple[int, str]], str]) -> None:
    _, status, first = RECORDED[index]
    assert answers[0][index] == (status, first)


def test_what_was_accepted_prints_as_iptables_prints_it(answers: tuple[list[tuple[int, str]], str]) -> None:
    assert answers[1] == LISTED
