"""Tables, chains, counters, and the traversal: one `Ruleset` per host.

`Ruleset.traverse` walks a base chain as ipt_do_table() does: rules in order, a jump pushes a
return point, a goto does not, RETURN or the end of a user chain pops one (or, with none left,
lands on the base chain's policy), and only the matching rules' counters move.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..packet import Packet
from ..trace import ChainView, RuleEval, RuleRow
from .api import MatchContext, TableVerdict
from .extension import Check
from .parse import TABLES
from .rule import Rule
from .run import Run
from .state import RulesetState
from .values import PROG, IptablesError, Refused

BUILTIN_CHAINS: dict[str, tuple[str, ...]] = {
    "raw": ("PREROUTING", "OUTPUT"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "security": ("INPUT", "FORWARD", "OUTPUT"),
}
SAVE_ORDER = ("mangle", "security", "raw", "filter", "nat")
"""The order iptables-nft's iptables-save prints tables in."""

_NO_CHAIN = "iptables: No chain/target/match by that name."


def _error(text: str, status: int = 1) -> IptablesError:
    return IptablesError(text, status)


class RuleEntry:
    """A rule in a chain with its counters and its compiled predicates."""

    __slots__ = ("rule", "pkts", "bytes", "checks", "text", "_evals", "_evals_at")

    def __init__(self, rule: Rule, checks: list[Check], pkts: int = 0, bytes_: int = 0) -> None:
        self.rule = rule
        self.checks = checks
        self.pkts = pkts
        self.bytes = bytes_
        self.text = rule.spec
        self._evals: dict[int, RuleEval] = {}
        self._evals_at: tuple[str, int] = ("", 0)

    def evaluation(self, chain: str, index: int, failed: int) -> RuleEval:
        """The RuleEval for this outcome (-1: matched), cached because rules rarely move."""
        if self._evals_at != (chain, index):
            self._evals.clear()
            self._evals_at = (chain, index)
        found = self._evals.get(failed)
        if found is None:
            target = self.rule.target_name
            if self.rule.target is not None and not self.rule.target.simulated:
                target += " (not simulated)"
            found = RuleEval(
                chain,
                index,
                f"-A {chain} {self.text}".rstrip(),
                failed < 0,
                None if failed < 0 else self.checks[failed][1],
                target,
            )
            self._evals[failed] = found
        return found


@dataclass(slots=True)
class Chain:
    """A chain: its rules and, for a built-in chain, its policy and policy counters."""

    name: str
    builtin: bool
    policy: str | None = None
    pkts: int = 0
    bytes: int = 0
    entries: list[RuleEntry] = field(default_factory=list)
    counting: bool = False
    """Whether the policy counters count. iptables-nft creates a base chain on demand without
    counters (`iptables -A` alone leaves `:INPUT ACCEPT [0:0]` forever); setting the policy
    (-P, or an iptables-restore `:CHAIN POLICY` line) or zeroing a chain in use turns them on."""


@dataclass(slots=True)
class Table:
    """One of raw/mangle/nat/filter/security; `touched` says whether iptables-save lists it."""

    name: str
    chains: dict[str, Chain] = field(default_factory=dict)
    touched: bool = False

    def __post_init__(self) -> None:
        for name in BUILTIN_CHAINS[self.name]:
            self.chains[name] = Chain(name, True, "ACCEPT")

    def references(self, name: str) -> int:
        """How many rules jump or go to chain `name` (what `-L` shows as references)."""
        return sum(
            1 for c in self.chains.values() for e in c.entries if e.rule.target is None and e.rule.verdict == name
        )

    def ordered(self) -> list[Chain]:
        """Built-in chains in hook order, then user chains sorted by name (as iptables lists them)."""
        builtin = [self.chains[n] for n in BUILTIN_CHAINS[self.name]]
        users = sorted((c for c in self.chains.values() if not c.builtin), key=lambda c: c.name.encode())
        return builtin + users


class Ruleset:
    """The iptables state of one host: five tables, shared match state, and the traversal."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {name: Table(name) for name in TABLES}
        self.state = RulesetState()

    # ---- lookups ----------------------------------------------------------------------------------

    def table(self, name: str) -> Table:
        """The table called `name`; IptablesError (status 3) when there is none."""
        if name not in self.tables:
            raise _error(
                f"{PROG}: table '{name}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.", 3
            )
        return self.tables[name]

    def chain(self, table: str, chain: str) -> Chain:
        """The chain, or iptables' 'No chain/target/match by that name.'"""
        found = self.table(table).chains.get(chain)
        if found is None:
            raise _error(_NO_CHAIN)
        return found

    # ---- changing rules ---------------------------------------------------------------------------

    def compile(self, table: str, chain: str, rule: Rule, op: str = "RULE_APPEND") -> list[Check]:
        """Validate `rule` for this chain as the kernel's checkentry would and compile it once."""
        tbl = self.table(table)
        target_chain = None if rule.target is not None else rule.verdict
        if target_chain and target_chain not in ("ACCEPT", "DROP", "RETURN"):
            found = tbl.chains.get(target_chain)
            if found is None:
                raise _error(f"{PROG}: Chain '{target_chain}' does not exist", 2)
            if found.builtin:
                raise self._refused(op, chain, "Operation not supported")
        ch = tbl.chains.get(chain)
        if ch is not None and ch.builtin:
            for ext in (*rule.matches, *((rule.target,) if rule.target is not None else ())):
                if not ext.check_hooks(chain) or (ext.tables is not None and table not in ext.tables):
                    raise self._refused(op, chain)
        elif rule.target is not None and rule.target.tables is not None and table not in rule.target.tables:
            raise self._refused(op, chain)
        checks = list(_base_checks(rule))
        for match in rule.matches:
            checks.extend(match.checks(self.state))
        return checks

    @staticmethod
    def _refused(op: str, chain: str, errno: str = "Invalid argument") -> IptablesError:
        return _error(f"{PROG}:  {op} failed ({errno}): rule in chain {chain}", 4)

    def _entry(self, table: str, chain: str, rule: Rule, op: str, counters: tuple[int, int] | None) -> RuleEntry:
        self.chain(table, chain)
        try:
            checks = self.compile(table, chain, rule, op)
        except Refused as exc:
            raise self._refused(op, chain, exc.errno) from None
        pkts, bytes_ = counters or (0, 0)
        return RuleEntry(rule, checks, pkts, bytes_)

    def append(self, table: str, chain: str, rule: Rule, counters: tuple[int, int] | None = None) -> None:
        """iptables -A."""
        entry = self._entry(table, chain, rule, "RULE_APPEND", counters)
        self.chain(table, chain).entries.append(entry)
        self.tables[table].touched = True

    def insert(self, table: str, chain: str, index: int, rule: Rule, counters: tuple[int, int] | None = None) -> None:
        """iptables -I CHAIN [index] (1-based)."""
        entries = self.chain(table, chain).entries
        if index > len(entries) + 1:
            raise _error("iptables: Index of insertion too big.")
        entries.insert(index - 1, self._entry(table, chain, rule, "RULE_INSERT", counters))
        self.tables[table].touched = True

    def replace(self, table: str, chain: str, index: int, rule: Rule, counters: tuple[int, int] | None = None) -> None:
        """iptables -R CHAIN index."""
        entries = self.chain(table, chain).entries
        if index > len(entries):
            raise _error(_NO_CHAIN)
        entries[index - 1] = self._entry(table, chain, rule, "RULE_REPLACE", counters)

    def find(self, table: str, chain: str, rule: Rule) -> int:
        """1-based index of the first rule equal to `rule` (by canonical text), or 0."""
        text = rule.spec
        for index, entry in enumerate(self.chain(table, chain).entries, 1):
            if entry.text == text:
                return index
        return 0

    def delete(self, table: str, chain: str, rule: Rule | None = None, index: int | None = None) -> None:
        """iptables -D CHAIN rule-spec / -D CHAIN index."""
        entries = self.chain(table, chain).entries
        if rule is not None:
            index = self.find(table, chain, rule)
            if not index:
                raise _error("iptables: Bad rule (does a matching rule exist in that chain?).")
        assert index is not None
        if index > len(entries):
            raise _error("iptables: Index of deletion too big.")
        del entries[index - 1]

    def flush(self, table: str, chain: str | None = None) -> None:
        """iptables -F [CHAIN]."""
        for ch in [self.chain(table, chain)] if chain else self.table(table).chains.values():
            ch.entries.clear()

    def zero(self, table: str, chain: str | None = None, index: int | None = None) -> None:
        """iptables -Z [CHAIN [index]]: rule counters and, for whole chains, policy counters."""
        for ch in [self.chain(table, chain)] if chain else self.table(table).chains.values():
            if index is not None:
                if index > len(ch.entries):
                    raise _error(_NO_CHAIN)
                ch.entries[index - 1].pkts = ch.entries[index - 1].bytes = 0
                continue
            ch.pkts = ch.bytes = 0
            if ch.builtin and (ch.entries or ch.counting):
                ch.counting = True
            for entry in ch.entries:
                entry.pkts = entry.bytes = 0

    def new_chain(self, table: str, name: str) -> None:
        """iptables -N NAME."""
        tbl = self.table(table)
        check_chain_name(name)
        if name in tbl.chains:
            raise _error("iptables: Chain already exists.")
        tbl.chains[name] = Chain(name, False)
        tbl.touched = True

    def delete_chain(self, table: str, name: str | None = None) -> None:
        """iptables -X [NAME]: empty, unreferenced user chains only (all of them without NAME)."""
        tbl = self.table(table)
        if name is None:
            for ch in [c for c in tbl.chains.values() if not c.builtin]:
                if tbl.references(ch.name) == 0:
                    del tbl.chains[ch.name]
            return
        ch = tbl.chains.get(name)
        if ch is None or ch.builtin:
            raise _error(_NO_CHAIN)
        if ch.entries or tbl.references(name):
            raise _error(f"{PROG}:  CHAIN_DEL failed (Device or resource busy): chain {name}", 4)
        del tbl.chains[name]

    def rename_chain(self, table: str, old: str, new: str) -> None:
        """iptables -E OLD NEW (rules jumping to OLD follow it)."""
        tbl = self.table(table)
        ch = tbl.chains.get(old)
        if ch is None or ch.builtin:
            raise _error(_NO_CHAIN)
        check_chain_name(new)
        if new in tbl.chains:
            raise _error("iptables: File exists.")
        del tbl.chains[old]
        ch.name = new
        tbl.chains[new] = ch
        for c in tbl.chains.values():
            for entry in c.entries:
                if entry.rule.target is None and entry.rule.verdict == old:
                    from dataclasses import replace

                    entry.rule = replace(entry.rule, verdict=new)
                    entry.text = entry.rule.spec
                    entry._evals.clear()

    def set_policy(self, table: str, chain: str, policy: str, counters: tuple[int, int] | None = None) -> None:
        """iptables -P CHAIN ACCEPT|DROP."""
        ch = self.table(table).chains.get(chain)
        if ch is None or not ch.builtin:
            raise _error("iptables: Bad built-in chain name.")
        if policy not in ("ACCEPT", "DROP"):
            raise _error("iptables: Bad policy name. Run `dmesg' for more information.")
        ch.policy = policy
        ch.counting = True
        if counters is not None:
            ch.pkts, ch.bytes = counters
        self.tables[table].touched = True

    # ---- traversal --------------------------------------------------------------------------------

    def traverse(self, table: str, chain: str, pkt: Packet, ctx: MatchContext) -> TableVerdict:
        """Run `pkt` through built-in `chain` of `table`, updating counters; see the module doc."""
        tbl = self.tables[table]
        base = tbl.chains[chain]
        run = Run(pkt, ctx, chain)
        evaluations: list[RuleEval] = []
        stack: list[tuple[Chain, int]] = []
        current, index = base, 0
        verdict: str | None = None
        decided: tuple[str, int | None, str | None] = (chain, None, None)
        length = pkt.length
        while verdict is None:
            entries = current.entries
            if index >= len(entries):
                if stack and not current.builtin:
                    current, index = stack.pop()
                    continue
                break  # end of the base chain, or of a goto'd chain with no caller: the policy
            entry = entries[index]
            index += 1
            failed = -1
            packet = run.pkt
            for position, (test, _) in enumerate(entry.checks):
                if not test(packet, ctx):
                    failed = position
                    break
            evaluations.append(entry.evaluation(current.name, index, failed))
            if failed >= 0:
                continue
            entry.pkts += 1
            entry.bytes += length
            rule = entry.rule
            if rule.target is not None:
                result = rule.target.fire(run)
                if result is not None:
                    verdict, decided = result, (current.name, index, evaluations[-1].rule)
                continue
            target = rule.verdict
            if target in ("ACCEPT", "DROP"):
                verdict, decided = target, (current.name, index, evaluations[-1].rule)
            elif target == "RETURN":
                if not stack:
                    break
                current, index = stack.pop()
            elif target:
                if not rule.goto:
                    stack.append((current, index))
                current, index = tbl.chains[target], 0
        if verdict is None:
            if base.counting:
                base.pkts += 1
                base.bytes += length
            verdict = base.policy or "ACCEPT"
            decided = (chain, None, None)
        return TableVerdict(
            verdict=verdict,
            packet=run.pkt,
            evaluations=tuple(evaluations),
            decided_chain=decided[0],
            decided_index=decided[1],
            decided_rule=decided[2],
            reject=run.reject,
            nat=run.nat,
            notrack=run.notrack,
            ct_mark=run.ct_mark if run.ct_mark_set else None,
            logs=tuple(run.logs),
        )

    def chain_view(self, table: str, chain: str, evaluations: tuple[RuleEval, ...] = ()) -> ChainView:
        """The chain as it stands (counters now) with each row's result for these evaluations."""
        tbl = self.tables[table]
        base = tbl.chains[chain]
        results: dict[tuple[str, int], RuleEval] = {(e.chain, e.index): e for e in evaluations}
        visited = [name for name in dict.fromkeys(e.chain for e in evaluations) if name != chain]

        def rows(ch: Chain) -> tuple[RuleRow, ...]:
            out = []
            for index, entry in enumerate(ch.entries, 1):
                found = results.get((ch.name, index))
                result = "not reached" if found is None else ("match" if found.matched else "no match")
                out.append(
                    RuleRow(
                        index,
                        f"-A {ch.name} {entry.text}".rstrip(),
                        entry.rule.target_name,
                        entry.pkts,
                        entry.bytes,
                        result,
                        found.failed_match if found else None,
                    )
                )
            return tuple(out)

        extra = tuple((name, rows(tbl.chains[name])) for name in visited if name in tbl.chains)
        return ChainView(table, chain, base.policy, base.pkts, base.bytes, rows(base), extra)


def check_chain_name(name: str) -> None:
    """Refuse chain names iptables refuses (too long, option-like, a target's name)."""
    from .extension import TARGETS

    if len(name) >= 29:
        raise _error(f"{PROG}: chain name `{name}' too long (must be under 29 chars)", 2)
    if not name or name.startswith("-") or name == "!":
        raise _error(f"{PROG}: chain name not allowed to start with `-'", 2)
    if name in TARGETS or name in ("ACCEPT", "DROP", "RETURN", "QUEUE"):
        raise _error(f"{PROG}: chain name `{name}' is reserved for a target", 2)


def _base_checks(rule: Rule) -> list[Check]:
    """Predicates for the ipt_ip part: addresses, interfaces, protocol, fragment."""
    checks: list[Check] = []
    if rule.src_mask or rule.src_inv:
        a, m, inv = rule.src, rule.src_mask, rule.src_inv
        from .values import format_address_mask

        checks.append(
            (
                (lambda p, c, a=a, m=m, inv=inv: ((p.src & m) == a) != inv),
                f"{'! ' if inv else ''}-s {format_address_mask(a, m)}",
            )
        )
    if rule.dst_mask or rule.dst_inv:
        da, dm, dinv = rule.dst, rule.dst_mask, rule.dst_inv
        from .values import format_address_mask

        checks.append(
            (
                (lambda p, c, da=da, dm=dm, dinv=dinv: ((p.dst & dm) == da) != dinv),
                f"{'! ' if dinv else ''}-d {format_address_mask(da, dm)}",
            )
        )
    for key, flag, inv in (("iif", "-i", rule.iif_inv), ("oif", "-o", rule.oif_inv)):
        name = getattr(rule, key)
        if not name:
            continue
        label = f"{'! ' if inv else ''}{flag} {name}"
        if name.endswith("+"):
            stem = name[:-1]
            fn = lambda p, c, s=stem, k=key, i=inv: ((getattr(p, k) or "").startswith(s)) != i
        else:
            fn = lambda p, c, n=name, k=key, i=inv: (getattr(p, k) == n) != i
        checks.append((fn, label))
    if rule.proto or rule.proto_inv:
        pr, pinv = rule.proto, rule.proto_inv
        from .values import proto_save_name

        checks.append(
            (
                (lambda p, c, pr=pr, pinv=pinv: (p.proto == pr) != pinv),
                f"{'! ' if pinv else ''}-p {proto_save_name(pr)}",
            )
        )
    if rule.fragment is not None:
        # The packet record has no fragments: every packet is a first (or only) fragment.
        frag = rule.fragment
        checks.append(((lambda p, c: not frag), "-f" if frag else "! -f"))
    return checks
