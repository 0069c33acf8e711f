"""The upstream iptables extension cases (extensions/*.t): accept, refuse and print as iptables."""

from __future__ import annotations

import pytest

from netstack_tui.kernel.netfilter.command import run_iptables
from netstack_tui.kernel.netfilter.restore import split_line
from netstack_tui.kernel.netfilter.table import Ruleset
from netstack_tui.kernel.netfilter.values import IptablesError

from .conftest import FIXTURES, fixture_dir

CASES_DIR = FIXTURES / "iptables-t"


def _cases() -> list[pytest.param]:  # type: ignore[valid-type]
    params = []
    if not CASES_DIR.is_dir():
        return params
    for path in sorted(CASES_DIR.glob("*.t")):
        table, chains = "filter", ["INPUT"]
        for number, raw in enumerate(path.read_text().splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith(("#", "@")):
                continue
            if line.startswith(":"):
                chains = line[1:].split(",")
                continue
            if line.startswith("*"):
                table = line[1:]
                continue
            fields = line.split(";")
            rule, expected, result = fields[0], fields[1], fields[2]
            variant = fields[3] if len(fields) > 3 else ""
            marks = []
            if variant == "LEGACY":
                marks.append(pytest.mark.skip(reason="legacy-backend-only case; we model iptables-nft"))
            for chain in chains:
                params.append(
                    pytest.param(table, chain, rule, expected, result, marks=marks, id=f"{path.stem}:{number}:{chain}")
                )
    return params


@pytest.mark.parametrize(("table", "chain", "rule", "expected", "result"), _cases())
def test_upstream_case(table: str, chain: str, rule: str, expected: str, result: str) -> None:
    """OK cases are accepted and print back as expected; FAIL cases are refused."""
    fixture_dir("iptables-t")
    ruleset = Ruleset()
    argv = ["-t", table, "-A", chain, *split_line(rule)]
    if result == "FAIL":
        with pytest.raises(IptablesError):
            run_iptables(ruleset, argv)
        return
    run_iptables(ruleset, argv)
    printed = [line for line in run_iptables(ruleset, ["-t", table, "-S", chain]).splitlines() if line.startswith("-A")]
    want = rule if expected == "=" else expected
    assert printed == [f"-A {chain} {want}".rstrip()]
