"""nft command lines and files: what they change and how `nft list` prints it (compared with real nft).

Every EXPECTED text below was printed by nftables v1.0.6 (kernel 6.18) in a scratch network
namespace (`ip netns exec scratch-nft nft ...`) after running the same commands.
"""

from __future__ import annotations

import shlex

import pytest

from netstack_tui.commands.base import CommandError, ShellContext
from netstack_tui.commands.nft import nft
from netstack_tui.kernel.host import Host

SEED_COMMANDS = r"""nft add table inet filter
nft add chain inet filter input { type filter hook input priority 0 \; policy drop \; }
nft add chain inet filter forward { type filter hook forward priority 0 \; policy drop \; }
nft add chain inet filter output { type filter hook output priority 0 \; policy accept \; }
nft add rule inet filter input ct state established,related accept
nft add rule inet filter input iif lo accept
nft add rule inet filter input tcp dport 22 accept
nft add rule inet filter input tcp dport { 80, 443 } accept
nft add rule inet filter input ip saddr 192.168.1.0/24 accept
nft add rule inet filter input tcp dport 22 ct state new limit rate 3/minute accept
nft add table nat
nft add chain nat postrouting { type nat hook postrouting priority 100 \; }
nft add rule nat postrouting oifname "eth0" masquerade
nft add chain nat prerouting { type nat hook prerouting priority -100 \; }
nft add rule nat prerouting tcp dport 8080 dnat to 10.0.0.2:80""".splitlines()

# Real nft 1.0.6, `nft -a list ruleset` after SEED_COMMANDS in a fresh namespace.
SEED_LISTING_HANDLES = """\
table inet filter { # handle 1
	chain input { # handle 1
		type filter hook input priority filter; policy drop;
		ct state established,related accept # handle 4
		iif "lo" accept # handle 5
		tcp dport 22 accept # handle 6
		tcp dport { 80, 443 } accept # handle 8
		ip saddr 192.168.1.0/24 accept # handle 9
		tcp dport 22 ct state new limit rate 3/minute accept # handle 10
	}

	chain forward { # handle 2
		type filter hook forward priority filter; policy drop;
	}

	chain output { # handle 3
		type filter hook output priority filter; policy accept;
	}
}
table ip nat { # handle 2
	chain postrouting { # handle 1
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" masquerade # handle 2
	}

	chain prerouting { # handle 3
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8080 dnat to 10.0.0.2:80 # handle 4
	}
}"""

SEED_CONF = """\
#!/usr/sbin/nft -f

flush ruleset

table inet filter {
    chain input {
        type filter hook input priority 0; policy drop;

        # Established connections
        ct state established,related accept

        # Loopback
        iif lo accept

        # ICMP
        ip protocol icmp accept
        ip6 nexthdr icmpv6 accept

        # SSH (rate limited)
        tcp dport 22 ct state new limit rate 3/minute accept

        # HTTP/HTTPS
        tcp dport { 80, 443 } accept

        # Log dropped
        log prefix "nftables drop: " limit rate 5/minute
    }

    chain forward {
        type filter hook forward priority 0; policy drop;
    }

    chain output {
        type filter hook output priority 0; policy accept;
    }
}
"""

# Real nft 1.0.6, `nft -a list ruleset` after `nft -f` of SEED_CONF in a fresh namespace.
SEED_CONF_LISTING = """\
table inet filter { # handle 1
	chain input { # handle 1
		type filter hook input priority filter; policy drop;
		ct state established,related accept # handle 4
		iif "lo" accept # handle 5
		ip protocol icmp accept # handle 6
		ip6 nexthdr ipv6-icmp accept # handle 7
		tcp dport 22 ct state new limit rate 3/minute accept # handle 8
		tcp dport { 80, 443 } accept # handle 10
		log prefix "nftables drop: " limit rate 5/minute # handle 11
	}

	chain forward { # handle 2
		type filter hook forward priority filter; policy drop;
	}

	chain output { # handle 3
		type filter hook output priority filter; policy accept;
	}
}"""

# (rule as typed, as real nft 1.0.6 listed it in an `ip` table)
IP_RULES = [
    ("notrack", "notrack"),
    ("meta mark set 0x1", "meta mark set 0x00000001"),
    ("counter", "counter packets 0 bytes 0"),
    ("tcp dport 22 counter accept", "tcp dport 22 counter packets 0 bytes 0 accept"),
    ("return", "return"),
    ("ct state invalid drop", "ct state invalid drop"),
    ("ct state new,established counter", "ct state established,new counter packets 0 bytes 0"),
    ("ct state != established,related", "ct state != established | related"),
    ("ct state == established", "ct state == established"),
    ("tcp flags syn counter", "tcp flags syn counter packets 0 bytes 0"),
    ("tcp flags & (syn|ack) == syn drop", "tcp flags syn / syn,ack drop"),
    ("tcp flags & (fin|syn|rst|ack) == syn", "tcp flags syn / fin,syn,rst,ack"),
    ("meta l4proto tcp accept", "meta l4proto tcp accept"),
    ("meta l4proto { tcp, udp } accept", "meta l4proto { tcp, udp } accept"),
    ('iifname "eth*" accept', 'iifname "eth*" accept'),
    ("meta mark 0x1 accept", "meta mark 0x00000001 accept"),
    ("mark 5", "meta mark 0x00000005"),
    ("ip daddr 10.0.0.1 udp dport 53 accept", "ip daddr 10.0.0.1 udp dport 53 accept"),
    ("udp sport 53 accept", "udp sport 53 accept"),
    ("ip saddr != 10.0.0.0/8 drop", "ip saddr != 10.0.0.0/8 drop"),
    ("ip saddr 10.1.2.3/8", "ip saddr 10.0.0.0/8"),
    ("tcp dport != 22 drop", "tcp dport != 22 drop"),
    ("tcp dport 1000-2000 drop", "tcp dport 1000-2000 drop"),
    ("tcp dport { 22, 80-90, 1000 }", "tcp dport { 22, 80-90, 1000 }"),
    ("ip saddr { 10.0.0.1, 9.0.0.0/8 }", "ip saddr { 9.0.0.0/8, 10.0.0.1 }"),
    ("icmp type echo-request accept", "icmp type echo-request accept"),
    ("icmp type { echo-request, echo-reply } accept", "icmp type { echo-reply, echo-request } accept"),
    ("ip protocol tcp reject with tcp reset", "reject with tcp reset"),
    ("reject with tcp reset", "reject with tcp reset"),
    ("reject with icmp type port-unreachable", "reject"),
    ("reject with icmp type admin-prohibited", "reject with icmp admin-prohibited"),
    ("reject with icmp type host-unreachable", "reject with icmp host-unreachable"),
    ("log", "log"),
    ('log prefix "x: " level info', 'log prefix "x: " level info'),
    ("limit rate 10/second burst 20 packets accept", "limit rate 10/second burst 20 packets accept"),
    ("limit rate 3/minute burst 5 packets", "limit rate 3/minute"),
    ("limit rate over 10/second drop", "limit rate over 10/second drop"),
    ("ct state established counter packets 5 bytes 300 accept",
     "ct state established counter packets 5 bytes 300 accept"),
    ("ip protocol 17", "ip protocol udp"),
    ('iif "lo" accept', 'iif "lo" accept'),
    ("tcp sport 1024-65535 tcp dport 80 accept", "tcp sport 1024-65535 tcp dport 80 accept"),
    ('ct state established,related accept comment "x y"', 'ct state established,related accept comment "x y"'),
    ("ip daddr 10.0.0.1 tcp dport 80 dnat to 10.0.0.2", "ip daddr 10.0.0.1 tcp dport 80 dnat to 10.0.0.2"),
    ("tcp dport ssh accept", "tcp dport 22 accept"),
    ("tcp dport < 1024 accept", "tcp dport < 1024 accept"),
    ("icmp type echo-request icmp code 0 accept", "icmp type echo-request icmp code net-unreachable accept"),
]

# (priority as typed, hook, as real nft 1.0.6 printed it)
PRIORITIES = [
    ("-300", "prerouting", "raw"), ("raw", "prerouting", "raw"), ("mangle + 5", "prerouting", "mangle + 5"),
    ("-200", "input", "-200"), ("security", "input", "security"), ("filter - 10", "input", "filter - 10"),
    ("10", "input", "filter + 10"), ("-100", "input", "-100"), ("-100", "prerouting", "dstnat"),
    ("100", "input", "100"), ("100", "postrouting", "srcnat"), ("15", "input", "15"), ("40", "input", "security - 10"),
    ("-290", "input", "raw + 10"), ("110", "input", "110"), ("dstnat + 10", "prerouting", "dstnat + 10"),
]


def run(host: Host, line: str) -> str:
    """Run one nft command line as bash would split it; return its output."""
    return nft(ShellContext(host), shlex.split(line)).output


def fails(host: Host, line: str) -> str:
    """Run a command that must fail; return its one-line message."""
    with pytest.raises(CommandError) as info:
        nft(ShellContext(host), shlex.split(line))
    assert info.value.status == 1
    return info.value.message


def test_seed_commands_list_as_real_nft() -> None:
    """Each seed command line works, and `nft -a list ruleset` matches real nft byte for byte."""
    host = Host()
    assert run(host, "nft list ruleset") == "" and run(host, "nft list tables") == ""
    for line in SEED_COMMANDS:
        assert run(host, line) == ""
    assert run(host, "nft -a list ruleset") == SEED_LISTING_HANDLES
    plain = "\n".join(line.split(" # handle")[0] for line in SEED_LISTING_HANDLES.splitlines())
    assert run(host, "nft list ruleset") == plain
    assert run(host, "nft list tables") == "table inet filter\ntable ip nat"
    assert run(host, "nft list table inet filter") == plain.split("\ntable ip nat")[0]


def test_seed_conf_loads_with_dash_f(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The seed's /etc/nftables.conf loads with `nft -f` and lists as real nft lists it."""
    conf = tmp_path / "nftables.conf"
    conf.write_text(SEED_CONF)
    host = Host()
    run(host, "nft add table ip old")
    assert run(host, f"nft -f {conf}") == ""
    expected = SEED_CONF_LISTING.replace("table inet filter { # handle 1", "table inet filter { # handle 2")
    assert run(host, "nft -a list ruleset") == expected


@pytest.mark.parametrize(("typed", "listed"), IP_RULES)
def test_rule_prints_as_real_nft(typed: str, listed: str) -> None:
    """A rule lists exactly as nft 1.0.6 listed it, and the listing parses back to itself."""
    host = Host()
    run(host, "nft add table ip t")
    run(host, "nft add chain ip t c")
    run(host, f"nft add rule ip t c {typed}")
    assert run(host, "nft list chain ip t c").splitlines()[2] == "\t\t" + listed
    run(host, "nft flush chain ip t c")
    run(host, f"nft add rule ip t c {listed}")
    assert run(host, "nft list chain ip t c").splitlines()[2] == "\t\t" + listed


@pytest.mark.parametrize(("typed", "hook", "printed"), PRIORITIES)
def test_priority_prints_as_real_nft(typed: str, hook: str, printed: str) -> None:
    """Priorities print as standard names with offsets of at most 10, where the hook allows the name."""
    host = Host()
    run(host, "nft add table ip t")
    run(host, f"nft add chain ip t c {{ type filter hook {hook} priority {typed} \\; }}")
    assert f"type filter hook {hook} priority {printed}; policy accept;" in run(host, "nft list ruleset")


def test_inet_reject_and_nat_spellings() -> None:
    """inet tables: icmpx is the default reject, and NAT needs `ip` before an address."""
    host = Host()
    run(host, "nft add table inet f")
    run(host, "nft add chain inet f c")
    for typed, listed in [("reject", "reject"), ("reject with icmpx type admin-prohibited",
                          "reject with icmpx admin-prohibited"), ("reject with icmp type port-unreachable",
                          "reject with icmp port-unreachable")]:
        run(host, "nft flush chain inet f c")
        run(host, f"nft add rule inet f c {typed}")
        assert run(host, "nft list chain inet f c").splitlines()[2] == "\t\t" + listed
    assert fails(host, "nft add rule inet f c tcp dport 22 dnat to 1.2.3.4") == \
        "Error: ip or ip6 must be specified with address for inet tables."


ERRORS = [
    ("nft list table filter", "Error: No such file or directory"),
    ("nft add rule filter input tcp dport 22 accept",
     "Error: No such file or directory; did you mean table \u2018filter\u2019 in family inet?"),
    ("nft add rule inet filter inpt tcp dport 22 accept",
     "Error: No such file or directory; did you mean chain \u2018input\u2019 in table inet \u2018filter\u2019?"),
    ("nft create table inet filter", "Error: Could not process rule: File exists"),
    ("nft delete table ip nat", "Error: Could not process rule: No such file or directory"),
    ("nft delete rule inet filter input handle 99", "Error: Could not process rule: No such file or directory"),
    ("nft list chain inet filter nope", "Error: No such file or directory"),
    ("nft insert rule inet filter input position 99 accept",
     "Error: Could not process rule: No such file or directory"),
    ("nft add rule inet filter input masquerade", "Error: Could not process rule: Operation not supported"),
    ("nft add rule inet filter input jump nochain", "Error: Could not process rule: No such file or directory"),
    ("nft add rule inet filter input tcp dport 99999 accept", "Error: Service out of range"),
    ("nft add rule inet filter input ip saddr 1.2.3.400 accept",
     "Error: Could not resolve hostname: Name or service not known"),
    ("nft add rule inet filter input ct state bogus accept", "Error: Could not parse conntrack state"),
    ("nft add rule inet filter input iif eth9 accept", "Error: Interface does not exist"),
    ("nft add chain inet filter q { type filter hook input priority dstnat \\; }",
     "Error: invalid priority expression value in this context."),
    ("nft add rule ip filter input ip6 saddr ::1 drop", "Error: No such file or directory; did you mean table"
     " \u2018filter\u2019 in family inet?"),
    ("nft add rule inet filter input queue", "Error: nft expression 'queue' is not simulated here"),
]


@pytest.mark.parametrize(("line", "message"), ERRORS)
def test_errors_are_one_line_in_nfts_words(line: str, message: str) -> None:
    """Errors print nft's first line (captured from nft 1.0.6), status 1, and change nothing."""
    host = Host()
    run(host, "nft add table inet filter")
    run(host, "nft add chain inet filter input { type filter hook input priority 0 \\; policy drop \\; }")
    before = run(host, "nft -a list ruleset")
    assert fails(host, line) == message
    assert run(host, "nft -a list ruleset") == before


def test_handles_insert_position_and_delete() -> None:
    """`insert`/`add ... position H`, `index N`, `delete rule ... handle H`, `-a` handles."""
    host = Host()
    run(host, "nft add table ip t")
    run(host, "nft add chain ip t c")
    run(host, "nft add rule ip t c tcp dport 1 accept")  # handle 2
    run(host, "nft add rule ip t c tcp dport 2 accept")  # handle 3
    run(host, "nft insert rule ip t c tcp dport 0 accept")  # handle 4, first
    run(host, "nft add rule ip t c position 2 tcp dport 11 accept")  # after handle 2
    run(host, "nft insert rule ip t c index 0 tcp dport 99 accept")  # before the first
    rules = [line.strip() for line in run(host, "nft -a list chain ip t c").splitlines()[2:-2]]
    assert rules == ["tcp dport 99 accept # handle 6", "tcp dport 0 accept # handle 4",
                     "tcp dport 1 accept # handle 2", "tcp dport 11 accept # handle 5",
                     "tcp dport 2 accept # handle 3"]
    run(host, "nft delete rule ip t c handle 2")
    assert "dport 1 accept" not in run(host, "nft list ruleset")


def test_flush_and_delete() -> None:
    """flush chain/table/ruleset empty what they name; a referenced chain cannot be deleted."""
    host = Host()
    run(host, "nft add table ip t")
    run(host, "nft add chain ip t user")
    run(host, "nft add chain ip t c { type filter hook input priority 0 \\; }")
    run(host, "nft add rule ip t c jump user")
    assert fails(host, "nft delete chain ip t user") == "Error: Could not process rule: Device or resource busy"
    run(host, "nft flush table ip t")
    run(host, "nft delete chain ip t user")
    run(host, "nft flush ruleset")
    assert run(host, "nft list ruleset") == ""
    run(host, "nft add table ip t2")
    assert run(host, "nft -a list tables") == "table ip t2"
    assert "# handle 2" in run(host, "nft -a list ruleset")  # table handles survive flush ruleset
