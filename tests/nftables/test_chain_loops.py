"""nft jump and goto loops: refused as nft 1.0.6 on kernel 6.18 refuses them, and traversal stays
bounded whatever the ruleset (issue 20).

Every expected line was printed by real nft in a scratch namespace after the same commands (its
caret lines left out: the shell's errors are one line); tests/kernel/test_chain_loops_real.py
repeats them live.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.netfilter.api import Hook, MatchContext
from netstack_tui.kernel.nftables.evaluate import traverse
from netstack_tui.kernel.nftables.exprs import Verdict
from netstack_tui.kernel.nftables.model import BaseSpec, Chain, Rule, Table
from netstack_tui.kernel.packet import parse_packet
from netstack_tui.kernel.world import ROOT_NAME, World

LINKS = (1, "Error: Could not process rule: Too many links")
OK = (0, "")

COMMANDS = [
    ("nft add table ip t", OK),
    ("nft add chain ip t a", OK),
    ("nft add chain ip t b", OK),
    ("nft add rule ip t a jump b", OK),
    ("nft add rule ip t b jump a", OK),  # a loop no base chain reaches is accepted
    (r"nft add chain ip t input { type filter hook input priority 0 \; }", OK),
    ("nft add rule ip t input jump a", LINKS),
    ("nft flush chain ip t b", OK),
    ("nft add rule ip t input jump a", OK),
    ("nft add rule ip t b jump a", LINKS),
    ("nft add rule ip t b goto a", LINKS),
    ("nft add rule ip t a jump a", LINKS),
    ("nft insert rule ip t b jump a", LINKS),
    ("nft add chain ip t c", OK),
    ("nft add rule ip t c jump c", OK),
    ("nft add rule ip t b jump c", LINKS),
]


def fresh() -> Shell:
    return Shell(world=World(Host.namespace(ROOT_NAME)))


def test_commands_answer_as_real_nft() -> None:
    """Each command, in order, succeeds or fails with real nft's error."""
    shell = fresh()
    for line, expected in COMMANDS:
        result = shell.run(line)
        assert (result.status, result.output.rstrip("\n")) == expected, line


def test_refused_rule_leaves_the_ruleset_unchanged() -> None:
    """The transaction is dropped whole: the listing is the same before and after a refused loop."""
    shell = fresh()
    for line, _ in COMMANDS[:9]:
        shell.run(line)
    before = shell.run("nft list ruleset").output
    assert shell.run("nft add rule ip t b counter jump a").status == 1
    assert shell.run("nft list ruleset").output == before


def test_sixteen_levels_are_refused() -> None:
    """input jumps c1, ..., c15 jumps c16: refused at c16, as the kernel's 16-deep jump stack is full."""
    shell = fresh()
    shell.run("nft add table ip t")
    shell.run(r"nft add chain ip t input { type filter hook input priority 0 \; }")
    for i in range(1, 18):
        shell.run(f"nft add chain ip t c{i}")
    names = ["input"] + [f"c{i}" for i in range(1, 18)]
    statuses = [shell.run(f"nft add rule ip t {names[i]} jump {names[i + 1]}").status for i in range(16)]
    assert statuses == [0] * 15 + [1]


FILE = "table ip t {\n chain input { type filter hook input priority 0; jump a; }\n chain a { jump b; }\n" \
       " chain b { jump a; }\n}\n"
FILE_TWO_ERRORS = "table ip t {\n chain input { type filter hook input priority 0;\n jump a\n }\n chain a {\n" \
                  " jump b\n }\n chain b {\n jump a\n counter\n }\n}\n"


@pytest.mark.parametrize(("text", "line"), [(FILE, 4), (FILE_TWO_ERRORS, 9)])
def test_file_with_a_loop_names_the_closing_rule(tmp_path: Path, text: str, line: int) -> None:
    """nft -f names the line of the rule that closes the loop and loads nothing."""
    path = tmp_path / "loop.nft"
    path.write_text(text)
    shell = fresh()
    result = shell.run(f"nft -f {path}")
    assert (result.status, result.output.rstrip("\n")) == (1, f"{path}:{line}: {LINKS[1]}")
    assert shell.run("nft list ruleset").output.strip() == ""


def test_a_loop_opened_again_in_the_same_run_is_accepted() -> None:
    """The kernel checks a batch when it ends: a loop closed and removed within one run is fine."""
    shell = fresh()
    for line, _ in COMMANDS[:4]:
        shell.run(line)
    shell.run(r"nft add chain ip t input { type filter hook input priority 0 \; }")
    result = shell.run("nft 'add rule ip t input jump a; add rule ip t b jump a; flush chain ip t b'")
    assert result.status == 0, result.output


@pytest.mark.parametrize("kind", ["jump", "goto"])
def test_traversal_is_bounded_even_when_a_loop_got_in(kind: str) -> None:
    """A loop built straight into the model (past the checks) drops at the jump-stack bound."""
    table = Table("ip", "t", 1)
    table.chains["input"] = Chain("input", 1, BaseSpec("filter", "input", 0), [Rule([Verdict(kind, "a")])])
    table.chains["a"] = Chain("a", 2, None, [Rule([Verdict(kind, "b")])])
    table.chains["b"] = Chain("b", 3, None, [Rule([Verdict(kind, "a")])])
    pkt, iface = parse_packet("tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] iface=eth0")
    verdict = traverse(table, table.chains["input"], pkt.replace(iif=iface), MatchContext(hook=Hook.INPUT, now=1.0))
    assert verdict.verdict == "DROP"
    assert len(verdict.evaluations) == 16
