"""Real-world rulesets: iptables-restore then iptables-save gives what the kernel gave, per table."""

from __future__ import annotations

import pytest

from netstack_tui.kernel.netfilter.restore import restore
from netstack_tui.kernel.netfilter.save import save
from netstack_tui.kernel.netfilter.table import Ruleset
from netstack_tui.kernel.netfilter.values import IptablesError

from .conftest import FIXTURES, fixture_dir

REAL = FIXTURES / "rulesets" / "real"
SUBST = FIXTURES / "rulesets" / "substituted"
REFUSED = {
    "d01": "Invalid MAC address specified.",
    "d07": "Bad argument `192.168.122.0/24'",
    "d19": "Chain 'ufw-logging-deny' does not exist",
    "d25": "host/network `pxe.ustc.edu.cn' not found",
}
IPV6 = {"d08", "d24"}


def _files() -> list[str]:
    if not REAL.is_dir():
        return []
    return sorted(p.name for p in REAL.iterdir() if p.is_file() and p.name.startswith("d"))


def per_table(text: str) -> dict[str, list[str]]:
    """Split iptables-save text into {table: lines}, dropping `#` comment lines."""
    tables: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("*"):
            current = tables.setdefault(line[1:], [])
        current.append(line)
    return tables


@pytest.mark.parametrize("name", _files())
def test_real_ruleset_round_trip(name: str) -> None:
    """A file the kernel loaded saves back as the kernel saved it; a refused file is refused."""
    fixture_dir("rulesets", "real")
    text = (REAL / name).read_bytes().decode("latin-1")
    key = name[:3]
    ruleset = Ruleset()
    if key in REFUSED or key in IPV6:
        with pytest.raises(IptablesError) as info:
            restore(ruleset, text)
        expected = "IPv6" if key in IPV6 else REFUSED[key]
        assert expected in info.value.message
        return
    restore(ruleset, text)
    canonical = (REAL / "canonical" / f"{name}.nft.save").read_text()
    assert per_table(save(ruleset)) == per_table(canonical)


def test_substituted_d01_round_trip() -> None:
    """The 4,973-rule TUM firewall (MACs substituted) loads and saves as the kernel did."""
    fixture_dir("rulesets", "substituted")
    text = (SUBST / "d01-mac-substituted.iptables-save").read_text()
    ruleset = Ruleset()
    restore(ruleset, text)
    canonical = (SUBST / "d01-mac-substituted.nft.save").read_text()
    assert per_table(save(ruleset)) == per_table(canonical)


def test_restore_keeps_earlier_commits_on_failure() -> None:
    """Blocks committed before a failing block stay, as with the nf_tables backend."""
    ruleset = Ruleset()
    text = "*filter\n-A INPUT -s 1.2.3.4 -j ACCEPT\nCOMMIT\n*nat\n-A INPUT -j nope\nCOMMIT\n"
    with pytest.raises(IptablesError) as info:
        restore(ruleset, text)
    # A missing jump target is found when the batch commits: the real tool names the COMMIT line.
    assert "Error occurred at line: 6" in info.value.message
    assert "-A INPUT -s 1.2.3.4/32 -j ACCEPT" in save(ruleset)
    assert "*nat" not in save(ruleset)
