"""The iptables-nft tables as nft sees them: handles, the `table ip filter { ... }` view, and what
nft may change in them.

The iptables `Ruleset` stays the one source of truth; this module numbers its tables, chains and
rules from the same counters nft's own objects use (so `nft list ruleset` orders and `nft -a`
numbers them as the kernel would) and renders them as nft 1.0.6 prints them. iptables-nft creates
a table when a command first needs it and a built-in chain on first use (a rule, a policy), so an
untouched chain or table is not listed.
"""

from __future__ import annotations

from ..netfilter.table import Chain as XtChain
from ..netfilter.table import Ruleset
from ..netfilter.table import Table as XtTable
from .model import BaseSpec, Chain, NftRuleset, Rule, Table
from .values import NftError
from .xlate import native, rule_text

_PRIORITY = {"raw": -300, "mangle": -150, "filter": 0, "security": 150}
"""Base chain priorities iptables-nft registers (nft_chain_builtin_init); nat's depend on the hook."""
_NAT_PRIORITY = {"PREROUTING": -100, "OUTPUT": -100, "INPUT": 100, "POSTROUTING": 100}


class XtRule(Rule):
    """A rule of an iptables-nft table, printed from its iptables form."""

    __slots__ = ("line",)

    def __init__(self, line: str, handle: int) -> None:
        super().__init__([], handle)
        self.line = line

    def text(self) -> str:
        """The translated line (nft prints an empty translation, such as a comment's, as nothing)."""
        return self.line


def claim(nft: NftRuleset, xt: Ruleset) -> None:
    """Number what iptables created since the last call: tables from the namespace's counter,
    chains and rules from their table's, in creation order."""
    for table in xt.tables.values():
        chains = [c for c in table.chains.values() if _exists(table, c)]
        if not table.touched and not chains and not table.nft_handle:
            continue
        if not table.nft_handle:
            nft.table_handles += 1
            table.nft_handle = nft.table_handles
        for chain in chains:
            if not chain.nft_handle:
                table.nft_next += 1
                chain.nft_handle = table.nft_next
        for chain in chains:
            for entry in chain.entries:
                if not entry.handle:
                    table.nft_next += 1
                    entry.handle = table.nft_next


def _exists(table: XtTable, chain: XtChain) -> bool:
    if chain.nft_handle or not chain.builtin:
        return True
    return bool(chain.entries) or chain.counting


def managed(xt: Ruleset | None, family: str, name: str) -> XtTable | None:
    """The iptables-nft table `family name` if nf_tables holds it now."""
    if xt is None or family != "ip":
        return None
    table = xt.tables.get(name)
    return table if table is not None and table.nft_handle else None


def view(table: XtTable) -> Table:
    """The table as nft objects, for the listing code (never evaluated: the stack runs iptables)."""
    out = Table("ip", table.name, table.nft_handle)
    for chain in sorted((c for c in table.chains.values() if c.nft_handle), key=lambda c: c.nft_handle):
        base = None
        if chain.builtin:
            base = BaseSpec(
                _chain_type(table.name, chain.name),
                chain.name.lower(),
                _priority(table.name, chain.name),
                (chain.policy or "ACCEPT").lower(),
            )
        rules: list[Rule] = [XtRule(rule_text(e.rule, e.pkts, e.bytes), e.handle) for e in chain.entries]
        out.chains[chain.name] = Chain(chain.name, chain.nft_handle, base, rules)
    return out


def _chain_type(table: str, chain: str) -> str:
    if table == "nat":
        return "nat"
    return "route" if (table, chain) == ("mangle", "OUTPUT") else "filter"


def _priority(table: str, chain: str) -> int:
    return _NAT_PRIORITY[chain] if table == "nat" else _PRIORITY[table]


def warning(table: XtTable) -> str | None:
    """nft's stderr line for a table holding xt expressions (rules nft can only show translated)."""
    if all(native(e.rule) for c in table.chains.values() if c.nft_handle for e in c.entries):
        return None
    return f"# Warning: table ip {table.name} is managed by iptables-nft, do not touch!"


def refuse(table: XtTable) -> NftError:
    """The one-line answer for an nft change the simulator does not make in an iptables-nft table."""
    return NftError(
        f"Error: changing table ip {table.name} (created by iptables-nft) with nft is not simulated here; "
        "use iptables, or a table of your own"
    )


def reset_table(xt: Ruleset, name: str) -> None:
    """`nft delete table ip NAME`: the iptables table is gone (iptables sees empty default chains)."""
    xt.changed()
    xt.tables[name] = XtTable(name)


def rule_index(table: XtTable, chain: str, handle: int) -> int:
    """1-based position of the rule with `handle` in `chain`, or nft's error."""
    for index, entry in enumerate(table.chains[chain].entries, 1):
        if entry.handle == handle:
            return index
    raise NftError("Error: Could not process rule: No such file or directory")
