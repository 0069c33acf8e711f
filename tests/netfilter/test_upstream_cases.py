"""The upstream iptables extension cases (extensions/*.t): accept, refuse and print as iptables."""

from __future__ import annotations

import dataclasses
import enum
import re
from types import FunctionType

import pytest

from netstack_tui.kernel.netfilter.command import run_iptables
from netstack_tui.kernel.netfilter.restore import split_line
from netstack_tui.kernel.netfilter.table import Ruleset
from netstack_tui.kernel.netfilter.values import IptablesError

from .conftest import FIXTURES, fixture_dir

CASES_DIR = FIXTURES / "iptables-t"

KNOWN_DIFFERENCES: dict[str, tuple[str, str]] = {
    "libxt_udp:14": ("-p udp -m udp --sport 4:3", "iptables 1.8.9 keeps a reversed udp range (checked in a namespace)"),
    "libxt_udp:20": ("-p udp -m udp --dport 4:3", "iptables 1.8.9 keeps a reversed udp range (checked in a namespace)"),
}
"""Upstream cases (file:line -> (what iptables 1.8.9 prints instead, why)) where the .t file
expects what later releases do; the simulator follows 1.8.9, and the test checks that instead."""


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
            known = KNOWN_DIFFERENCES.get(f"{path.stem}:{number}")
            if known is not None:
                expected, result = known[0], "OK"
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
    for chain_obj in ruleset.tables[table].chains.values():
        for entry in chain_obj.entries:
            for check, text in entry.checks:
                assert _immutable(check), f"the predicate for {text!r} closes over mutable state"
            assert _immutable(entry.rule), f"{rule!r} compiles to a mutable rule"
    printed = [line for line in run_iptables(ruleset, ["-t", table, "-S", chain]).splitlines() if line.startswith("-A")]
    want = rule if expected == "=" else expected
    assert printed == [f"-A {chain} {want}".rstrip()]


def _immutable(obj: object, depth: int = 0) -> bool:
    """Whether `obj` can be shared between copies of a host: a value, a frozen dataclass, a tuple or
    frozenset of such, or a function whose closure holds only such. (Hosts are copied with
    `copy.deepcopy`, which shares functions; the state rules keep lives in `RulesetState`.)"""
    if depth > 20:
        return False
    if isinstance(obj, (int, float, str, bytes, bool, type(None), enum.Enum, re.Pattern)):
        return True
    if isinstance(obj, (tuple, frozenset)):
        return all(_immutable(item, depth + 1) for item in obj)
    if isinstance(obj, FunctionType):
        return all(_immutable(cell.cell_contents, depth + 1) for cell in obj.__closure__ or ())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type) and obj.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        return all(_immutable(getattr(obj, f.name), depth + 1) for f in dataclasses.fields(obj))
    return False
