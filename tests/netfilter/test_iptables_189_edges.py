"""The five command edges where the simulator now does what iptables 1.8.9 does (each checked by
hand against the real tool in a namespace): reversed udp ranges, numeric ICMP types read up to an
unknown character, -I with an address list, -C/-D of a rule the kernel would refuse, `+` ports."""

from __future__ import annotations

import pytest

from netstack_tui.kernel.netfilter.command import run_iptables
from netstack_tui.kernel.netfilter.table import Ruleset
from netstack_tui.kernel.netfilter.values import IptablesError


def _rules(*commands: list[str]) -> list[str]:
    ruleset = Ruleset()
    for argv in commands:
        run_iptables(ruleset, argv)
    return [line for line in run_iptables(ruleset, ["-S", "INPUT"]).splitlines() if line.startswith("-A")]


def _error(argv: list[str]) -> tuple[int, str]:
    with pytest.raises(IptablesError) as caught:
        run_iptables(Ruleset(), argv)
    return caught.value.status, caught.value.message


@pytest.mark.parametrize(("port", "printed"), [("80:22", "80:22"), ("70000:3", "4464:3"), ("65535:0", "65535:0")])
def test_reversed_udp_range_is_kept(port: str, printed: str) -> None:
    assert _rules(["-A", "INPUT", "-p", "udp", "--dport", port]) == [f"-A INPUT -p udp -m udp --dport {printed}"]


def test_reversed_tcp_range_is_still_refused() -> None:
    assert _error(["-A", "INPUT", "-p", "tcp", "--dport", "80:22"])[1].endswith("invalid portrange (min > max)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8x", "unknown character x"),
        ("3/1x", "unknown character x"),
        ("08", "unknown character 8"),
        ("3/1/2", "unknown character /"),
        ("3:1", "ICMP type range not supported"),
        ("3:", "Unknown ICMP type `3:'"),
        ("3/1:", "Unknown ICMP code `3/1:'"),
        ("-1", "Unknown ICMP type `-1'"),
        ("", "Ambiguous ICMP type `': `any' or `echo-reply'?"),
    ],
)
def test_icmp_type_errors(text: str, message: str) -> None:
    assert _error(["-A", "INPUT", "-p", "icmp", "--icmp-type", text]) == (2, f"iptables v1.8.9 (nf_tables): {message}")


@pytest.mark.parametrize(
    ("text", "printed"), [("+8", "8"), ("0x8", "8"), ("3:3", "3"), ("3/1:5", "3/1"), ("8/+1", "8/1")]
)
def test_icmp_numeric_types_accepted(text: str, printed: str) -> None:
    want = f"-A INPUT -p icmp -m icmp --icmp-type {printed}"
    assert _rules(["-A", "INPUT", "-p", "icmp", "--icmp-type", text]) == [want]


def test_insert_with_address_list_puts_the_last_first() -> None:
    rules = _rules(["-A", "INPUT", "-j", "ACCEPT"], ["-I", "INPUT", "-s", "10.1.1.1,10.2.2.2", "-j", "DROP"])
    assert rules == ["-A INPUT -s 10.2.2.2/32 -j DROP", "-A INPUT -s 10.1.1.1/32 -j DROP", "-A INPUT -j ACCEPT"]


@pytest.mark.parametrize("op", ["-C", "-D"])
@pytest.mark.parametrize(
    "rule",
    [["!", "-s", "1.2.3.4/0"], ["-m", "recent", "--set", "--hitcount", "2"], ["-p", "tcp", "!", "-d", "0.0.0.0/0"]],
)
def test_check_or_delete_of_a_refused_rule_is_not_found(op: str, rule: list[str]) -> None:
    status, message = _error([op, "INPUT", *rule])
    assert (status, message) == (1, "iptables: Bad rule (does a matching rule exist in that chain?).")


@pytest.mark.parametrize("proto", ["tcp", "udp", "sctp"])
def test_ports_with_a_leading_plus(proto: str) -> None:
    rules = _rules(["-A", "INPUT", "-p", proto, "--sport", "+22", "--dport", "22:+80"])
    assert rules == [f"-A INPUT -p {proto} -m {proto} --sport 22 --dport 22:80"]
    if proto != "udp":  # strtoumax takes one sign only (udp words its refusal differently)
        message = _error(["-A", "INPUT", "-p", proto, "--dport", "++22"])[1]
        assert message.endswith("invalid port/service `++22' specified")
