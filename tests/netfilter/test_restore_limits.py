"""The largest ruleset one restore loads is stated, and a larger one is refused at once, unchanged."""

from __future__ import annotations

import pytest

from netstack_tui.kernel.netfilter.restore import MAX_RULES, restore
from netstack_tui.kernel.netfilter.table import Ruleset
from netstack_tui.kernel.netfilter.values import IptablesError


def _ruleset_text(rules: int) -> str:
    body = "\n".join(f"-A INPUT -p tcp --dport {1 + i % 65000} -j ACCEPT" for i in range(rules))
    return f"*filter\n:INPUT ACCEPT [0:0]\n{body}\nCOMMIT\n"


def test_a_ruleset_past_the_limit_is_refused_in_one_line_and_changes_nothing() -> None:
    ruleset = Ruleset()
    restore(ruleset, _ruleset_text(3))
    before = [len(c.entries) for c in ruleset.tables["filter"].chains.values()]
    with pytest.raises(IptablesError) as refused:
        restore(ruleset, _ruleset_text(MAX_RULES + 1))
    assert "\n" not in str(refused.value.args[0])
    assert f"{MAX_RULES + 1:,} rules" in str(refused.value.args[0])
    assert [len(c.entries) for c in ruleset.tables["filter"].chains.values()] == before
