"""The nftables ruleset of one host: tables, chains, rules, handles, and hook registration order.

Handles follow the kernel: tables are numbered from one counter per namespace (it survives
`flush ruleset`), and chains, rules and anonymous sets share one counter per table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..generation import next_generation
from .exprs import Cmp, Counter, Expr, Reject, Verdict, VMap
from .sets import NamedSet
from .values import NftError


@dataclass(slots=True)
class BaseSpec:
    """What makes a chain a base chain: `type T hook H priority P; policy X;`."""

    type: str
    hook: str
    priority: int
    policy: str = "accept"


@dataclass(slots=True)
class Rule:
    """One rule: its expressions in order, its comment, its handle."""

    exprs: list[Expr]
    handle: int = 0
    comment: str | None = None
    hidden: frozenset[int] = frozenset()
    """Indexes of expressions nft does not print (a dependency the next expression implies)."""

    def text(self) -> str:
        """The rule as `nft list` prints it (without the handle)."""
        words = [e.text() for i, e in enumerate(self.exprs) if i not in self.hidden]
        if self.comment is not None:
            words.append(f'comment "{self.comment}"')
        return " ".join(words)

    @property
    def counter(self) -> Counter | None:
        """The rule's first counter statement, if it has one."""
        return next((e for e in self.exprs if isinstance(e, Counter)), None)

    @property
    def verdict(self) -> str:
        """What the rule does when it matches (`accept`, `jump x`, `reject`, `dnat`...), or ``."""
        from .exprs import Nat

        for e in reversed(self.exprs):
            if isinstance(e, Verdict):
                return e.text()
            if isinstance(e, Reject):
                return "reject"
            if isinstance(e, Nat):
                return e.kind
            if isinstance(e, VMap):
                return "vmap"
        return ""

    def uses_sets(self) -> int:
        """How many anonymous sets the rule creates (each takes a handle)."""
        return sum(1 for e in self.exprs if (isinstance(e, Cmp) and e.is_set and len(e.elems) > 0)
                   or (isinstance(e, VMap) and e.named is None))


@dataclass(slots=True)
class Chain:
    """A chain; `base` is None for a regular chain (reachable only by jump/goto)."""

    name: str
    handle: int
    base: BaseSpec | None = None
    rules: list[Rule] = field(default_factory=list)
    seq: int = 0
    """Registration order of its hook, for ties in priority (nf_register_net_hook appends)."""
    registered_after: frozenset[str] = frozenset()
    """iptables tables (and `conntrack`) whose hooks were registered before this chain's."""


@dataclass(slots=True)
class Table:
    """A table of one family (ip, ip6, inet) with its chains in creation order."""

    family: str
    name: str
    handle: int
    chains: dict[str, Chain] = field(default_factory=dict)
    next_handle: int = 0
    sets: dict[str, NamedSet] = field(default_factory=dict)
    """Named sets and maps, in creation order."""

    def new_handle(self) -> int:
        """The next object handle of this table."""
        self.next_handle += 1
        return self.next_handle

    def chain(self, name: str) -> Chain:
        """The chain or nft's error."""
        found = self.chains.get(name)
        if found is None:
            raise NftError("Error: No such file or directory")
        return found


class NftRuleset:
    """Every nft table of a host, and the counters that number tables and hook registrations."""

    def __init__(self) -> None:
        self.tables: list[Table] = []
        self.table_handles = 0
        self.hook_seq = 0
        self.generation = next_generation()
        """Changes with every nft transaction that may have changed the ruleset: caches key on it."""

    def find(self, family: str, name: str) -> Table | None:
        """The table, or None."""
        return next((t for t in self.tables if t.family == family and t.name == name), None)

    def table(self, family: str, name: str) -> Table:
        """The table, or nft's error with its 'did you mean' hint."""
        found = self.find(family, name)
        if found is not None:
            return found
        other = next((t for t in self.tables if t.name == name), None)
        if other is not None:
            raise NftError(
                f"Error: No such file or directory; did you mean table \u2018{name}\u2019 in family {other.family}?"
            )
        raise NftError("Error: No such file or directory")

    def add_table(self, family: str, name: str, *, create: bool = False) -> Table:
        """`add table` (no error when it exists) or `create table` (File exists)."""
        found = self.find(family, name)
        if found is not None:
            if create:
                raise NftError("Error: Could not process rule: File exists")
            return found
        self.table_handles += 1
        table = Table(family, name, self.table_handles)
        self.tables.append(table)
        return table

    def base_chains(self, hook: str) -> list[tuple[Table, Chain]]:
        """Base chains that see IPv4 packets at `hook` (ip and inet tables), in the order they run: by
        priority, and at one priority the newest first (nf_hook_entries_grow inserts a hook before
        the entries of its own priority)."""
        found = [
            (t, c)
            for t in self.tables
            if t.family in ("ip", "inet")
            for c in t.chains.values()
            if c.base is not None and c.base.hook == hook
        ]
        return sorted(found, key=lambda tc: (tc[1].base.priority, -tc[1].seq))  # type: ignore[union-attr]

    def uses_conntrack(self) -> bool:
        """Whether any rule loads conntrack (nft_ct and nft_nat call nf_ct_netns_get)."""
        from .exprs import Nat, SetMark

        for table in self.tables:
            for chain in table.chains.values():
                for rule in chain.rules:
                    for e in rule.exprs:
                        if isinstance(e, Cmp) and e.sel.text.startswith("ct "):
                            return True
                        if isinstance(e, Nat) or (isinstance(e, SetMark) and e.target == "ct mark"):
                            return True
        return False
