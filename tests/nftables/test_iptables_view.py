"""iptables-nft's tables as nft lists them, and what nft may change in them.

`iptables_rules.txt` holds one iptables command line per supported match and target;
`iptables_ruleset.nft` and `.stderr` are what nftables v1.0.6 printed for `nft list ruleset` after
running them with iptables v1.8.9 (nf_tables) in a fresh namespace on kernel 6.18. As root, with
`ip`, `iptables` and `nft` installed, the real side is also run live and compared.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from netstack_tui.commands.nft import join_argv
from netstack_tui.commands.shell import Shell

HERE = Path(__file__).parent
RULES = [line for line in (HERE / "iptables_rules.txt").read_text().splitlines() if line.strip()]


def _shell(lines: list[str]) -> Shell:
    shell = Shell()
    for line in lines:
        result = shell.run(line)
        assert result.status == 0, (line, result.output)
    return shell


def _out(shell: Shell, line: str, status: int = 0) -> str:
    result = shell.run(line)
    assert result.status == status, (line, result.status, result.output)
    return result.output


def _split(output: str) -> tuple[str, str]:
    """The shell shows stderr before the output: split nft's warning lines off again."""
    lines = output.split("\n")
    warnings = [line for line in lines if line.startswith("# Warning: ")]
    return "\n".join(lines[len(warnings) :]), "\n".join(warnings)


def _simulated_listing() -> tuple[str, str]:
    result = _shell(RULES).run("nft list ruleset")
    assert result.status == 0, result.output
    return _split(result.output)


def _real_reason() -> str | None:
    if os.geteuid() != 0:
        return "not root"
    missing = [tool for tool in ("ip", "iptables", "nft") if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)}"
    version = subprocess.run(["iptables", "-V"], capture_output=True, text=True).stdout
    if "nf_tables" not in version:
        return f"iptables is not the nf_tables backend ({version.strip()})"
    return None


def _real_listing() -> tuple[str, str]:
    ns = f"nstui-nft-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        for line in RULES:
            subprocess.run(["ip", "netns", "exec", ns, *shlex.split(line)], check=True, capture_output=True)
        done = subprocess.run(
            ["ip", "netns", "exec", ns, "nft", "list", "ruleset"], capture_output=True, text=True, check=True
        )
        return done.stdout, done.stderr
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def test_listing_matches_the_recorded_real_one() -> None:
    """Every supported match and target is printed as real nft printed the iptables-nft rule."""
    output, stderr = _simulated_listing()
    assert output + "\n" == (HERE / "iptables_ruleset.nft").read_text()
    assert stderr + "\n" == (HERE / "iptables_ruleset.stderr").read_text()


def test_listing_matches_the_live_real_one() -> None:
    """The same rules in a throw-away namespace give the same `nft list ruleset` (stdout and stderr)."""
    reason = _real_reason()
    if reason:
        pytest.skip(f"live iptables-nft/nft comparison: {reason}")
    real_out, real_err = _real_listing()
    output, stderr = _simulated_listing()
    assert output + "\n" == real_out
    assert stderr + "\n" == real_err


def test_list_chain_and_tables_show_iptables_tables() -> None:
    """`nft list chain ip filter INPUT` shows the chain; list tables/chains print no warning."""
    shell = _shell(["iptables -A INPUT -p tcp --dport 22 -j ACCEPT", "iptables -t nat -A POSTROUTING -j MASQUERADE"])
    assert _out(shell, "nft list chain ip filter INPUT") == (  # native rules only: no warning
        "table ip filter {\n\tchain INPUT {\n\t\ttype filter hook input priority filter; policy accept;\n"
        "\t\ttcp dport 22 counter packets 0 bytes 0 accept\n\t}\n}"
    )
    assert _out(shell, "nft list tables") == "table ip filter\ntable ip nat"
    assert _out(shell, "nft list chain ip filter FORWARD", 1) == "Error: No such file or directory"


def test_handles_follow_the_kernel_counters() -> None:
    """Tables share the namespace's counter with nft's own; chains and rules share their table's."""
    shell = _shell(
        [
            "iptables -A INPUT -j ACCEPT",
            "nft add table inet fw",
            "iptables -N X",
            "iptables -A X -j RETURN",
            "iptables -R INPUT 1 -j DROP",
        ]
    )
    assert _out(shell, "nft -a list ruleset") == (
        "table ip filter { # handle 1\n\tchain INPUT { # handle 1\n"
        "\t\ttype filter hook input priority filter; policy accept;\n"
        "\t\tcounter packets 0 bytes 0 drop # handle 2\n\t}\n\n\tchain X { # handle 3\n"
        "\t\tcounter packets 0 bytes 0 return # handle 4\n\t}\n}\ntable inet fw { # handle 2\n}"
    )


def test_nft_flushes_and_deletes_in_iptables_tables() -> None:
    """delete rule by handle, flush chain and flush ruleset change what iptables sees, as on a real host."""
    shell = _shell(["iptables -A INPUT -j ACCEPT", "iptables -A INPUT -j DROP", "iptables -P FORWARD DROP"])
    _out(shell, "nft delete rule ip filter INPUT handle 2")
    assert "-A INPUT -j DROP" in _out(shell, "iptables -S INPUT") and "-j ACCEPT" not in _out(shell, "iptables -S")
    _out(shell, "nft flush chain ip filter INPUT")
    assert _out(shell, "iptables -S INPUT") == "-P INPUT ACCEPT\n"
    _out(shell, "nft flush ruleset")
    assert _out(shell, "iptables -S") == "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
    assert _out(shell, "nft list ruleset") == ""


def test_nft_changes_not_simulated_in_iptables_tables_say_so() -> None:
    """Adding rules or chains to an iptables-nft table answers one line and changes nothing."""
    shell = _shell(["iptables -A INPUT -j ACCEPT"])
    for line in (
        "nft add rule ip filter INPUT accept",
        "nft add chain ip filter foo",
        "nft 'add table ip filter { chain foo { } }'",
    ):
        message = _out(shell, line, 1)
        assert len(message.splitlines()) == 1 and "iptables-nft" in message and "not simulated" in message
    assert _out(shell, "iptables -S") == "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-A INPUT -j ACCEPT\n"


def test_nft_check_mode_leaves_iptables_alone() -> None:
    """`nft -c flush ruleset` checks only."""
    shell = _shell(["iptables -A INPUT -j ACCEPT"])
    _out(shell, "nft -c flush ruleset")
    assert "-A INPUT -j ACCEPT" in _out(shell, "iptables -S")


def test_iptables_legacy_says_it_is_not_simulated() -> None:
    """The x_tables ruleset is not modelled: every iptables-legacy tool says so in one line."""
    shell = Shell()
    for line in ("iptables-legacy -L", "iptables-legacy-save", "iptables-legacy-restore"):
        message = _out(shell, line, 1)
        assert len(message.splitlines()) == 1 and "nf_tables backend only" in message


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (
            ["add", "chain", "inet", "fw", "input", "{ type filter hook input priority 0; policy drop; }"],
            "add chain inet fw input { type filter hook input priority 0; policy drop; }",
        ),
        (["add", "rule", "ip", "t", "c", "log", "prefix", "dropped: "], 'add rule ip t c log prefix "dropped: "'),
        (
            ["add", "rule", "ip", "t", "c", "tcp", "dport", "{", "80,", "443", "}", "accept"],
            "add rule ip t c tcp dport { 80, 443 } accept",
        ),
        (["list ruleset"], "list ruleset"),
    ],
)
def test_argv_is_joined_with_spaces(argv: list[str], text: str) -> None:
    """nft joins its argv with spaces; only a string after prefix/comment is quoted again."""
    assert join_argv(argv) == text


def test_quoted_chain_body_works_like_the_unquoted_one() -> None:
    """`'{ type ...; policy drop; }'` as one word and `{ type ... \\; }` as many give the same chain."""
    quoted = _shell(
        ["nft add table inet fw", "nft add chain inet fw input '{ type filter hook input priority 0; policy drop; }'"]
    )
    plain = _shell(
        [
            "nft add table inet fw",
            r"nft add chain inet fw input { type filter hook input priority 0 \; policy drop \; }",
        ]
    )
    expected = "table inet fw {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}"
    assert _out(quoted, "nft list ruleset") == expected == _out(plain, "nft list ruleset")
