"""Served safely: in served mode no command reaches the server's files, only the session's own and
the files the package ships; and scenario files never write a real file, served or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from netstack_tui.commands.base import SERVED_ENV, SERVED_REFUSAL, SHIPPED_DIR
from netstack_tui.commands.shell import Shell

from .audit import recording

SECRET = "root:x:0:0:the-servers-secret-line"

READERS = [
    ("nft -f {path}", "{path}: " + SERVED_REFUSAL),
    ("iptables-restore {path}", "iptables-restore: {path}: " + SERVED_REFUSAL),
    ("sysctl -p {path}", 'sysctl: cannot open "{path}": ' + SERVED_REFUSAL),
    ("tcpdump -r {path}", "tcpdump: {path}: " + SERVED_REFUSAL),
    ("cat < {path}", "sh: {path}: " + SERVED_REFUSAL),
    ("at -f {path} now", "at: cannot open input file {path}: " + SERVED_REFUSAL),
    ("iptables-apply -t 1 {path}", f"Error: rulesfile not readable: {{path}} ({SERVED_REFUSAL})"),
]
"""Every command that reads a file named on its command line, with its refusal."""


@pytest.fixture
def secret(tmp_path: Path) -> str:
    path = tmp_path / "passwd"
    path.write_text(SECRET + "\n")
    return str(path)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SERVED_ENV, "1")


@pytest.mark.parametrize(("command", "refusal"), READERS, ids=[c.split()[0] + (" <" if "<" in c else "")
                                                               for c, _ in READERS])
def test_served_readers_refuse_the_servers_files_before_opening_them(
        served: None, secret: str, command: str, refusal: str) -> None:
    """Each reader prints its one-line refusal, shows nothing of the file, and never opens it."""
    with recording() as seen:
        result = Shell().run(command.format(path=secret))
    assert result.status != 0
    assert refusal.format(path=secret) in result.output.splitlines()
    assert SECRET not in result.output
    assert secret not in seen.reads


def test_served_refusal_resolves_dotdot_and_symlinks(served: None, secret: str, tmp_path: Path) -> None:
    """`..` out of the shipped directory, and a link into the server's files, are refused too."""
    link = tmp_path / "looks-shipped"
    link.symlink_to(secret)
    escape = f"{SHIPPED_DIR}/../../../../../../..{secret}"
    for path in (str(link), escape):
        result = Shell().run(f"nft -f {path}")
        assert result.output == f"{path}: {SERVED_REFUSAL}"


def test_served_sessions_read_their_own_files_and_the_shipped_ones(served: None) -> None:
    """What the session wrote (text and captures) and what the package ships stay readable."""
    shell = Shell()
    for line in ("iptables -A INPUT -p tcp --dport 22 -j ACCEPT", "iptables-save > rules.v4", "iptables -F",
                 "iptables-restore rules.v4", "echo 'add table inet mine' > /tmp/mine.nft", "nft -f /tmp/mine.nft",
                 "echo net.ipv4.ip_forward=1 > /etc/sysctl.conf", "sysctl -p",
                 "tcpdump -i eth0 -w /tmp/c.pcap -c 1", "tcpdump -r /tmp/c.pcap"):
        result = shell.run(line)
        assert result.status == 0, f"{line}: {result.output}"
    assert "--dport 22 -j ACCEPT" in shell.run("iptables -S INPUT").output
    assert "table inet mine" in shell.run("nft list tables").output
    assert shell.run("cat < /etc/sysctl.conf").output.strip() == "net.ipv4.ip_forward=1"
    shipped = Path(SHIPPED_DIR) / "linux_sysctl_keys.txt"
    assert SERVED_REFUSAL not in shell.run(f"sysctl -p {shipped}").output


def test_unserved_the_users_own_files_are_read(secret: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At the user's own terminal the real file is read, as the real tools do (nft names the line)."""
    monkeypatch.delenv(SERVED_ENV, raising=False)
    rules = tmp_path / "rules.nft"
    rules.write_text("table inet t {\n  chain c {\n    type filter hook input priority 0;\n  }\n}\n")
    shell = Shell()
    with recording() as seen:
        assert shell.run(f"nft -f {rules}").status == 0
    assert str(rules) in seen.reads  # the audit hook the served tests rely on does see reads
    assert "table inet t" in shell.run("nft list tables").output
    assert SERVED_REFUSAL not in shell.run(f"nft -f {secret}").output
