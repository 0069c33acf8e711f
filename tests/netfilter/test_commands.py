"""The shell handlers: iptables, iptables-save, iptables-restore on a host's Ruleset."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from netstack_tui.commands.base import CommandError, ShellContext
from netstack_tui.commands.iptables import COMMANDS
from netstack_tui.kernel.netfilter.table import Ruleset


def shell() -> ShellContext:
    """A context whose host carries only what these commands use."""
    host = SimpleNamespace(iptables=Ruleset(), clock=0.0)
    return ShellContext(host=host)  # type: ignore[arg-type]


def test_save_lists_only_touched_tables() -> None:
    """iptables-save prints nothing for a fresh host and only the tables written to."""
    ctx = shell()
    assert COMMANDS["iptables-save"](ctx, ["iptables-save"]).output == ""
    COMMANDS["iptables"](ctx, ["iptables", "-t", "nat", "-L"])
    assert COMMANDS["iptables-save"](ctx, ["iptables-save"]).output == ""
    COMMANDS["iptables"](ctx, ["iptables", "-t", "raw", "-N", "x"])
    out = COMMANDS["iptables-save"](ctx, ["iptables-save"]).output
    assert out.splitlines()[1:] == [
        "*raw",
        ":PREROUTING ACCEPT [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        ":x - [0:0]",
        "COMMIT",
        out.splitlines()[-1],
    ]


@pytest.mark.parametrize(
    ("argv", "message", "status"),
    [
        (["-A", "NOPE", "-j", "ACCEPT"], "iptables: No chain/target/match by that name.", 1),
        (["-A", "INPUT", "--foo"], 'iptables v1.8.9 (nf_tables): unknown option "--foo"', 2),
        (["-A", "INPUT", "-j", "nonex"], "iptables v1.8.9 (nf_tables): Chain 'nonex' does not exist", 2),
        (
            ["-t", "nat", "-A", "INPUT", "-j", "DNAT", "--to", "1.2.3.4"],
            "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT",
            4,
        ),
        (
            ["-A", "OUTPUT", "-m", "mac", "--mac-source", "00:11:22:33:44:55"],
            "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain OUTPUT",
            4,
        ),
        (["-D", "INPUT", "-j", "DROP"], "iptables: Bad rule (does a matching rule exist in that chain?).", 1),
        (["-P", "INPUT", "RETURN"], "iptables: Bad policy name. Run `dmesg' for more information.", 1),
    ],
)
def test_errors_use_iptables_wording(argv: list[str], message: str, status: int) -> None:
    """Errors carry the real tool's first line and exit status."""
    with pytest.raises(CommandError) as info:
        COMMANDS["iptables"](shell(), ["iptables", *argv])
    assert info.value.message.splitlines()[0] == message
    assert info.value.status == status


def test_restore_from_stdin_and_refusals(tmp_path: Path) -> None:
    """Restore reads stdin or a file; CRLF lines fail as on a real host; IPv6 and huge files are refused."""
    ctx = shell()
    ctx.stdin = "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n"
    COMMANDS["iptables-restore"](ctx, ["iptables-restore"])
    assert "-A INPUT -i lo -j ACCEPT" in COMMANDS["iptables-save"](ctx, ["iptables-save"]).output
    ctx.stdin = "*filter\n-A INPUT -j ACCEPT\r\nCOMMIT\n"
    with pytest.raises(CommandError) as info:
        COMMANDS["iptables-restore"](ctx, ["iptables-restore"])
    assert "Error occurred at line: 2" in info.value.message
    ctx.stdin = "*filter\n-A INPUT -p ipv6-icmp -j ACCEPT\nCOMMIT\n"
    with pytest.raises(CommandError, match="IPv6 rulesets are not simulated"):
        COMMANDS["iptables-restore"](ctx, ["iptables-restore"])
    big = tmp_path / "big.rules"
    big.write_bytes(b"#" * (16 * 1024 * 1024 + 1))
    with pytest.raises(CommandError, match="larger than 16 MiB"):
        COMMANDS["iptables-restore"](ctx, ["iptables-restore", str(big)])


def test_no_ui_imports() -> None:
    """The netfilter kernel and the iptables commands never import textual or rich."""
    import subprocess
    import sys

    code = (
        "import sys, netstack_tui.commands.iptables, netstack_tui.kernel.netfilter.table;"
        "print(any(m.split('.')[0] in ('textual', 'rich') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
