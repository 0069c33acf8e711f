"""Jump loops and too-deep jumps: refused as iptables-nft on kernel 6.18 refuses them, and no
ruleset can make a traversal run away (issue 20).

Every expected message below was printed by iptables v1.8.9 (nf_tables) in a scratch network
namespace after the same commands (tests/kernel/test_chain_loops_real.py repeats them live).
"""

from __future__ import annotations

import shlex

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.netfilter.api import Hook, MatchContext
from netstack_tui.kernel.netfilter.command import run_iptables
from netstack_tui.kernel.netfilter.restore import restore
from netstack_tui.kernel.netfilter.save import save
from netstack_tui.kernel.netfilter.table import Ruleset
from netstack_tui.kernel.netfilter.values import IptablesError
from netstack_tui.kernel.packet import parse_packet
from netstack_tui.kernel.world import ROOT_NAME, World

PROG = "iptables v1.8.9 (nf_tables)"


def refused(op: str, chain: str) -> tuple[int, str]:
    return 4, f"{PROG}:  {op} failed (Too many links): rule in chain {chain}"


def run_all(lines: list[str]) -> tuple[Shell, list[tuple[int, str]]]:
    """A fresh host's shell after `lines`, with each line's (status, output)."""
    shell = Shell(world=World(Host.namespace(ROOT_NAME)))
    results = []
    for line in lines:
        result = shell.run(line)
        results.append((result.status, result.output.rstrip("\n")))
    return shell, results


OK = (0, "")

LOOPS = {
    "issue reproducer: the rule that links INPUT to the loop": (
        ["iptables -N A", "iptables -N B", "iptables -A A -j B", "iptables -A B -j A", "iptables -A INPUT -j A"],
        [OK, OK, OK, OK, refused("RULE_APPEND", "INPUT")],
    ),
    "2-cycle closed last": (
        ["iptables -N A", "iptables -N B", "iptables -A INPUT -j A", "iptables -A A -j B", "iptables -A B -j A"],
        [OK, OK, OK, OK, refused("RULE_APPEND", "B")],
    ),
    "self-loop": (
        ["iptables -N A", "iptables -A INPUT -j A", "iptables -A A -j A"],
        [OK, OK, refused("RULE_APPEND", "A")],
    ),
    "3-cycle": (
        ["iptables -N A", "iptables -N B", "iptables -N C", "iptables -A INPUT -j A", "iptables -A A -j B",
         "iptables -A B -j C", "iptables -A C -j A"],
        [OK] * 6 + [refused("RULE_APPEND", "C")],
    ),
    "closed by -I": (
        ["iptables -N A", "iptables -N B", "iptables -A INPUT -j A", "iptables -A A -j B", "iptables -I B -j A",
         "iptables -I B 1 -j A"],
        [OK] * 4 + [refused("RULE_INSERT", "B")] * 2,
    ),
    "closed by -R": (
        ["iptables -N A", "iptables -N B", "iptables -A INPUT -j A", "iptables -A A -j B", "iptables -A B -j ACCEPT",
         "iptables -R B 1 -j A"],
        [OK] * 5 + [refused("RULE_REPLACE", "B")],
    ),
    "goto loop": (
        ["iptables -N A", "iptables -N B", "iptables -A INPUT -j A", "iptables -A A -g B", "iptables -A B -g A"],
        [OK] * 4 + [refused("RULE_APPEND", "B")],
    ),
    "another table": (
        ["iptables -t mangle -N A", "iptables -t mangle -A PREROUTING -j A", "iptables -t mangle -A A -j A"],
        [OK, OK, refused("RULE_APPEND", "A")],
    ),
    "a diamond is not a loop": (
        ["iptables -N A", "iptables -N B", "iptables -A INPUT -j A", "iptables -A A -j B", "iptables -A A -j B",
         "iptables -A OUTPUT -j B"],
        [OK] * 6,
    ),
}


@pytest.mark.parametrize("name", LOOPS)
def test_loops_are_refused_where_the_kernel_refuses_them(name: str) -> None:
    """Each command answers as on the real host; a loop no base chain reaches is accepted."""
    lines, expected = LOOPS[name]
    _, results = run_all(lines)
    assert results == expected


def test_refused_rule_changes_nothing() -> None:
    """The refused rule is not in the table afterwards (-A, -I and -R alike)."""
    shell, _ = run_all(LOOPS["closed by -R"][0] + ["iptables -A B -j A", "iptables -I B -j A"])
    rules = shell.run("iptables -S").output.splitlines()
    assert rules[-3:] == ["-A INPUT -j A", "-A A -j B", "-A B -j ACCEPT"]


def test_fifteen_user_chains_nest_and_the_sixteenth_is_refused() -> None:
    """Base chains are level 0 of the kernel's 16-deep jump stack: C1..C15 nest, C16 does not."""
    lines = [f"iptables -N C{i}" for i in range(1, 18)]
    lines += ["iptables -A INPUT -j C1"] + [f"iptables -A C{i} -j C{i + 1}" for i in range(1, 16)]
    _, results = run_all(lines)
    assert results[:-1] == [OK] * (len(lines) - 1)
    assert results[-1] == refused("RULE_APPEND", "C15")


def test_linking_a_deep_unreachable_tower_is_refused() -> None:
    """A 20-deep chain of jumps nothing reaches is accepted; linking it too high is refused."""
    lines = [f"iptables -N C{i}" for i in range(1, 21)] + [f"iptables -A C{i - 1} -j C{i}" for i in range(2, 21)]
    shell, results = run_all(lines)
    assert results == [OK] * len(lines)
    assert (shell.run("iptables -A INPUT -j C5").status, shell.run("iptables -A INPUT -j C6").status) == (4, 0)


def test_the_issue_reproducer_then_send_finishes() -> None:
    """After the refused link, a packet passes INPUT (the loop is unreachable) and the shell goes on."""
    shell = Shell()
    reproducer = LOOPS["issue reproducer: the rule that links INPUT to the loop"][0]
    for line in ["ip addr add 10.0.0.1/24 dev eth0", *reproducer]:
        shell.run(line)
    result = shell.run("send tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] iface=eth0")
    assert result.status == 0
    assert result.output.splitlines()[-1] == "tcp 10.0.0.1:22 > 10.0.0.2:40000 [R.]"
    assert "-A INPUT" not in shell.run("iptables -S").output


RESTORE_LOOP = """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
-A INPUT -j A
-A A -j B
-A B -j A
-A INPUT -p tcp -j ACCEPT
COMMIT
"""


def test_restore_with_a_loop_is_refused_whole_with_the_kernel_lines() -> None:
    """The closing rule and every rule after it in the block are named; the table is unchanged."""
    ruleset = Ruleset()
    run_iptables(ruleset, ["-A", "INPUT", "-p", "udp", "-j", "DROP"])
    before = save(ruleset)
    with pytest.raises(IptablesError) as info:
        restore(ruleset, RESTORE_LOOP)
    assert info.value.status == 4
    assert info.value.message.splitlines() == [
        "iptables-restore v1.8.9 (nf_tables): ",
        "line 9: RULE_APPEND failed (Too many links): rule in chain B",
        "line 10: RULE_APPEND failed (Too many links): rule in chain INPUT",
    ]
    assert save(ruleset) == before
    with pytest.raises(IptablesError):
        restore(ruleset, RESTORE_LOOP, noflush=True)
    assert save(ruleset) == before


def test_restore_keeps_earlier_blocks_and_accepts_an_unreachable_loop() -> None:
    """Each COMMIT is its own batch: blocks before the refused one stay; a loop nothing reaches loads."""
    text = ("*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\nCOMMIT\n"
            "*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n-A A -j A\nCOMMIT\n"
            "*nat\n:X - [0:0]\n-A PREROUTING -j X\n-A X -j X\nCOMMIT\n")
    ruleset = Ruleset()
    with pytest.raises(IptablesError) as info:
        restore(ruleset, text)
    assert info.value.message.splitlines()[1:] == ["line 13: RULE_APPEND failed (Too many links): rule in chain X"]
    dump = save(ruleset)
    assert "-A PREROUTING -j ACCEPT" in dump and "-A A -j A" in dump and "*nat" not in dump


def test_restore_loop_closed_late_names_the_closing_line() -> None:
    """The first refused line is the jump that closes the loop, even when many jumps come first."""
    chains = [f":C{i} - [0:0]" for i in range(40)]
    jumps = [f"-A C{i} -j C{i + 1}" for i in range(0, 10)] + ["-A INPUT -j C0", "-A C10 -j C0", "-A C20 -j C21"]
    text = "\n".join(["*filter", *chains, *jumps, "COMMIT", ""])
    with pytest.raises(IptablesError) as info:
        restore(Ruleset(), text)
    # INPUT -> C0 .. C10 is 11 deep; C10 -> C0 closes the loop: lines of that rule and the one after.
    closing = 1 + len(chains) + 12
    assert info.value.message.splitlines()[1:] == [
        f"line {closing}: RULE_APPEND failed (Too many links): rule in chain C10",
        f"line {closing + 1}: RULE_APPEND failed (Too many links): rule in chain C20",
    ]


def test_restore_kernel_refusal_names_the_line() -> None:
    """A rule the kernel refuses (DNAT in nat INPUT) reads as iptables-restore prints it."""
    with pytest.raises(IptablesError) as info:
        restore(Ruleset(), "*nat\n-A INPUT -j DNAT --to-destination 1.1.1.1\n-A INPUT -j ACCEPT\nCOMMIT\n")
    assert (info.value.status, info.value.message.splitlines()) == (4, [
        "iptables-restore v1.8.9 (nf_tables): ",
        "line 2: RULE_APPEND failed (Invalid argument): rule in chain INPUT",
    ])


@pytest.mark.parametrize("goto", [False, True])
def test_traversal_is_bounded_even_when_a_loop_got_in(goto: bool) -> None:
    """A loop built past the checks drops the packet at the jump-stack bound instead of running away."""

    class Unchecked(Ruleset):
        check_depth = False

    ruleset = Unchecked()
    flag = "-g" if goto else "-j"
    for command in ("-N A", "-N B", f"-A INPUT {flag} A", f"-A A {flag} B", f"-A B {flag} A"):
        run_iptables(ruleset, shlex.split(command))
    pkt, iface = parse_packet("tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] iface=eth0")
    context = MatchContext(hook=Hook.INPUT, now=1.0)
    for record in (True, False):
        verdict = ruleset.traverse("filter", "INPUT", pkt.replace(iif=iface), context, record=record)
        assert verdict.verdict == "DROP"
    assert len(verdict.evaluations) == 0  # the batch path records nothing
    assert ruleset.too_deep("filter")


def test_restore_of_many_jumps_loads() -> None:
    """Thousands of jumps in one block load (the staged table is checked once, at COMMIT)."""
    lines = ["*filter"] + [f":U{i} - [0:0]" for i in range(3000)]
    lines += [f"-A INPUT -s 10.0.{i // 250}.{i % 250} -j U{i}" for i in range(3000)]
    lines += [f"-A U{i} -j U{i + 1}" for i in range(0, 3000, 2)]
    ruleset = Ruleset()
    restore(ruleset, "\n".join([*lines, "COMMIT", ""]))
    assert save(ruleset).count("-j U") == 4500
