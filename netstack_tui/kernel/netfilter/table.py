"""Tables, chains, counters, and the traversal: one `Ruleset` per host.

`Ruleset.traverse` walks a base chain as ipt_do_table() does: rules in order, a jump pushes a
return point, a goto does not, RETURN or the end of a user chain pops one (or, with none left,
lands on the base chain's policy), and only the matching rules' counters move.
"""

from __future__ import annotations

import copy
import functools
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from typing import ClassVar, cast

from ..generation import next_generation
from ..packet import Packet
from ..trace import ChainView, RuleEval, RuleRow
from .api import MatchContext, TableVerdict
from .extension import Check
from .jumps import JUMP_STACK_SIZE, TOO_MANY_LINKS, too_deep
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

PURE_MATCHES = frozenset({
    "tcp", "udp", "icmp", "multiport", "iprange", "mac", "ttl", "length", "tos", "pkttype", "comment",
    "addrtype", "owner", "state", "conntrack", "mark", "connmark", "policy",
})
"""Matches whose test only reads the packet and its context. A rule may be skipped on its port only
when every match before the port test is one of these (limit and recent change state when tested)."""

_INDEX_KEYS_MAX = 4096


def _error(text: str, status: int = 1) -> IptablesError:
    return IptablesError(text, status)


class RuleEntry:
    """A rule in a chain with its counters and its compiled predicates."""

    __slots__ = ("rule", "pkts", "bytes", "checks", "tests", "text", "handle", "_evals", "_evals_at", "_ports")
    ACCUMULATORS: ClassVar = ("pkts", "bytes")
    """Fields that only count (see `kernel.steady`); nothing on the packet path reads them."""
    CACHES: ClassVar = ("_evals", "_evals_at", "_ports")
    IMMUTABLE: ClassVar = ("rule", "checks", "tests", "text")
    """Never changed after compilation (tests/netfilter checks the predicates hold no state)."""

    def __init__(self, rule: Rule, checks: list[Check], pkts: int = 0, bytes_: int = 0) -> None:
        self.rule = rule
        self.checks = checks
        self.tests = tuple(test for test, _ in checks)
        """The predicates alone, for the batch path (which needs no failure text)."""
        self.pkts = pkts
        self.bytes = bytes_
        self.text = rule.spec
        self.handle = 0
        """The rule's nf_tables handle (`nft -a` shows it); 0 until `nftables.xtview.claim` numbers it."""
        self._evals: dict[int, RuleEval] = {}
        self._evals_at: tuple[str, int] = ("", 0)
        self._ports = _port_filter(rule)

    def __deepcopy__(self, memo: dict[int, object]) -> RuleEntry:
        """A copy with its own counters that shares the rule and its compiled predicates: both are
        immutable (the state some matches keep lives in `RulesetState`; tests/netfilter checks
        every upstream case for it), and copying them made a session's snapshot of a
        5,000-rule host cost a quarter of a second."""
        new = RuleEntry.__new__(RuleEntry)
        new.rule, new.checks, new.tests, new.text = self.rule, self.checks, self.tests, self.text
        new.pkts, new.bytes, new.handle = self.pkts, self.bytes, self.handle
        new._evals, new._evals_at, new._ports = {}, ("", 0), self._ports
        memo[id(self)] = new
        return new

    def may_match(self, proto: int, dport: int) -> bool:
        """False when the rule's protocol or destination-port test must fail for this packet, and
        every test before that one is free of side effects (so not running the rule changes nothing)."""
        rule = self.rule
        if rule.proto and not rule.proto_inv and rule.proto != proto:
            return False
        ports = self._ports
        if ports is None:
            return True
        ranges, invert = ports
        return any(lo <= dport <= hi for lo, hi in ranges) != invert

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
    cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    """Derived data (rule texts for views, the proto/port index), stamped with the ruleset
    generation it was built at; see `Ruleset.generation`."""
    nft_handle: int = 0
    """The chain's nf_tables handle; 0 while iptables-nft has not created it in the kernel (it
    creates a built-in chain on first use, so `nft list` does not show an untouched one)."""
    ACCUMULATORS: ClassVar = ("pkts", "bytes")
    CACHES: ClassVar = ("cache",)

    def __deepcopy__(self, memo: dict[int, object]) -> Chain:
        """A copy of the rules and counters; the derived cache starts empty (it is rebuilt on use)."""
        new = Chain(self.name, self.builtin, self.policy, self.pkts, self.bytes,
                    [copy.deepcopy(entry, memo) for entry in self.entries], self.counting,
                    nft_handle=self.nft_handle)
        memo[id(self)] = new
        return new

    def derived(self, generation: int) -> dict[str, object]:
        """The cache, emptied first when the rules changed since it was filled."""
        cache = self.cache
        if cache.get("generation") != generation:
            cache.clear()
            cache["generation"] = generation
        return cache

    def shape(self, generation: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Each rule's `-A CHAIN ...` text and target name (what views show), shared by every view."""
        cache = self.derived(generation)
        found = cache.get("shape")
        if found is None:
            name = self.name
            found = (
                tuple(f"-A {name} {e.text}".rstrip() for e in self.entries),
                tuple(e.rule.target_name for e in self.entries),
            )
            cache["shape"] = found
        return found  # type: ignore[return-value]

    def evaluations(self, generation: int) -> list[dict[int, RuleEval]]:
        """Per rule, the RuleEval of each outcome seen so far (-1: matched, else the failed test),
        so a traversal reuses one record per rule and outcome instead of building one per packet."""
        cache = self.derived(generation)
        found = cache.get("evaluations")
        if found is None:
            found = cache["evaluations"] = [{} for _ in self.entries]
        return found  # type: ignore[return-value]

    def candidates(self, generation: int, proto: int, dport: int) -> tuple[int, ...]:
        """0-based positions of the rules a packet of `proto` to `dport` may match, in order."""
        cache = self.derived(generation)
        index = cast("dict[tuple[int, int], tuple[int, ...]] | None", cache.get("index"))
        if index is None or len(index) > _INDEX_KEYS_MAX:
            index = {}
            cache["index"] = index
        key = (proto, dport)
        found = index.get(key)
        if found is None:
            found = index[key] = tuple(i for i, e in enumerate(self.entries) if e.may_match(proto, dport))
        return found


@dataclass(slots=True)
class Table:
    """One of raw/mangle/nat/filter/security; `touched` says whether iptables-save lists it."""

    name: str
    chains: dict[str, Chain] = field(default_factory=dict)
    touched: bool = False
    nft_handle: int = 0
    """The table's nf_tables handle, from the namespace's table counter it shares with nft's own
    tables; 0 until `nftables.xtview.claim` numbers it."""
    nft_next: int = 0
    """The last chain or rule handle given out in this table (one counter per table, as nft has)."""

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

    check_depth: ClassVar[bool] = True
    """Whether each new jump is checked at once; iptables-restore's staging copy checks at COMMIT,
    as the kernel validates a batch when it ends."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {name: Table(name) for name in TABLES}
        self.state = RulesetState()
        self.generation = next_generation()
        """Changes whenever rules, chains or policies do (never for counters): caches key on it."""

    def changed(self) -> None:
        """Note that rules, chains or policies changed (every mutator calls this)."""
        self.generation = next_generation()

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
                # nf_tables has no jump to a base chain. Measured on 6.18: from a base chain the
                # kernel answers ENOENT, from a user chain EOPNOTSUPP.
                source = tbl.chains.get(chain)
                from_base = source is not None and source.builtin
                raise self._refused(op, chain, "No such file or directory" if from_base else "Operation not supported")
        ch = tbl.chains.get(chain)
        if ch is not None and ch.builtin:
            for ext in (*rule.matches, *((rule.target,) if rule.target is not None else ())):
                if not ext.check_hooks(chain) or (ext.tables is not None and table not in ext.tables):
                    raise self._refused(op, chain)
        elif rule.target is not None and rule.target.tables is not None and table not in rule.target.tables:
            raise self._refused(op, chain)
        for ext in (*rule.matches, *((rule.target,) if rule.target is not None else ())):
            ext.checkentry(self.state)
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
        self.changed()
        entry = self._entry(table, chain, rule, "RULE_APPEND", counters)
        entries = self.chain(table, chain).entries
        entries.append(entry)
        if self._links_too_deep(table, entry):
            entries.pop()
            raise self._refused("RULE_APPEND", chain, TOO_MANY_LINKS)
        self.tables[table].touched = True

    def insert(self, table: str, chain: str, index: int, rule: Rule, counters: tuple[int, int] | None = None) -> None:
        """iptables -I CHAIN [index] (1-based)."""
        self.changed()
        entries = self.chain(table, chain).entries
        if index > len(entries) + 1:
            raise _error("iptables: Index of insertion too big.")
        entry = self._entry(table, chain, rule, "RULE_INSERT", counters)
        entries.insert(index - 1, entry)
        if self._links_too_deep(table, entry):
            del entries[index - 1]
            raise self._refused("RULE_INSERT", chain, TOO_MANY_LINKS)
        self.tables[table].touched = True

    def replace(self, table: str, chain: str, index: int, rule: Rule, counters: tuple[int, int] | None = None) -> None:
        """iptables -R CHAIN index."""
        self.changed()
        entries = self.chain(table, chain).entries
        if index > len(entries):
            raise _error(_NO_CHAIN)
        entry = self._entry(table, chain, rule, "RULE_REPLACE", counters)
        old = entries[index - 1]
        entry.handle = old.handle  # NFT_MSG_NEWRULE with NLM_F_REPLACE keeps it
        entries[index - 1] = entry
        if self._links_too_deep(table, entry):
            entries[index - 1] = old
            raise self._refused("RULE_REPLACE", chain, TOO_MANY_LINKS)

    def _links_too_deep(self, table: str, entry: RuleEntry) -> bool:
        """Whether `entry`, now in place, is a jump that makes `table` loop or nest too deep."""
        rule = entry.rule
        if not self.check_depth or rule.target is not None or rule.verdict in ("", "ACCEPT", "DROP", "RETURN"):
            return False  # a rule that jumps nowhere cannot make any path deeper
        return self.too_deep(table)

    def too_deep(self, table: str) -> bool:
        """Whether some path of jumps from a built-in chain of `table` loops or nests past the kernel's
        jump stack (`jumps.too_deep`): nf_tables refuses the change that makes it so."""
        chains = self.tables[table].chains

        def targets(name: str) -> list[str]:
            return [e.rule.verdict for e in chains[name].entries
                    if e.rule.target is None and e.rule.verdict in chains and not chains[e.rule.verdict].builtin]

        return too_deep([name for name, ch in chains.items() if ch.builtin], targets)

    def find(self, table: str, chain: str, rule: Rule) -> int:
        """1-based index of the first rule equal to `rule` (by canonical text), or 0."""
        text = rule.spec
        for index, entry in enumerate(self.chain(table, chain).entries, 1):
            if entry.text == text:
                return index
        return 0

    def delete(self, table: str, chain: str, rule: Rule | None = None, index: int | None = None) -> None:
        """iptables -D CHAIN rule-spec / -D CHAIN index."""
        self.changed()
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
        self.changed()
        for ch in [self.chain(table, chain)] if chain else self.table(table).chains.values():
            ch.entries.clear()

    def zero(self, table: str, chain: str | None = None, index: int | None = None) -> None:
        """iptables -Z [CHAIN [index]]: rule counters and, for whole chains, policy counters."""
        self.changed()
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
        self.changed()
        tbl = self.table(table)
        check_chain_name(name)
        if name in tbl.chains:
            raise _error("iptables: Chain already exists.")
        tbl.chains[name] = Chain(name, False)
        tbl.touched = True

    def delete_chain(self, table: str, name: str | None = None) -> None:
        """iptables -X [NAME]: empty, unreferenced user chains only (all of them without NAME)."""
        self.changed()
        tbl = self.table(table)
        if name is None:
            for unused in [c for c in tbl.chains.values() if not c.builtin]:
                if tbl.references(unused.name) == 0:
                    del tbl.chains[unused.name]
            return
        ch = tbl.chains.get(name)
        if ch is None or ch.builtin:
            raise _error(_NO_CHAIN)
        if ch.entries or tbl.references(name):
            raise _error(f"{PROG}:  CHAIN_DEL failed (Device or resource busy): chain {name}", 4)
        del tbl.chains[name]

    def rename_chain(self, table: str, old: str, new: str) -> None:
        """iptables -E OLD NEW (rules jumping to OLD follow it)."""
        self.changed()
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
        self.changed()
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

    def traverse(self, table: str, chain: str, pkt: Packet, ctx: MatchContext, *, record: bool = True) -> TableVerdict:
        """Run `pkt` through built-in `chain` of `table`, updating counters; see the module doc.

        With `record` every rule tested is reported (with its first failing match). Without it
        (batch runs) nothing is reported and rules whose protocol or destination port cannot match
        are not tested at all: the verdict, counters and effects are the same either way.
        """
        tbl = self.tables[table]
        base = tbl.chains[chain]
        if ctx.rules is not self.state:
            ctx = replace(ctx, rules=self.state)
        run = Run(pkt, ctx, chain)
        if not record:
            return self._traverse_batch(tbl, base, run)
        evaluations: list[RuleEval] = []
        visited: list[str] = []
        append = evaluations.append
        stack: list[tuple[Chain, int, int]] = []
        depth = 0  # jumps and gotos below the base chain: the kernel's jump stack bounds it
        current, index = base, 0
        verdict: str | None = None
        decided: tuple[str, int | None, str | None] = (chain, None, None)
        length = pkt.length
        generation = self.generation
        while verdict is None:
            entries = current.entries
            name = current.name
            count = len(entries)
            known = current.evaluations(generation)
            packet = run.pkt
            entry = None
            while index < count:
                entry = entries[index]
                index += 1
                failed = -1
                position = 0
                for test in entry.tests:
                    if not test(packet, ctx):
                        failed = position
                        break
                    position += 1
                outcomes = known[index - 1]
                found = outcomes.get(failed)
                if found is None:
                    found = outcomes[failed] = entry.evaluation(name, index, failed)
                append(found)
                if failed < 0:
                    break
                entry = None
            if entry is None:
                if stack and not current.builtin:
                    current, index, depth = stack.pop()
                    continue
                break  # end of the base chain, or of a goto'd chain with no caller: the policy
            entry.pkts += 1
            entry.bytes += length
            rule = entry.rule
            if rule.target is not None:
                result = rule.target.fire(run)
                if result is not None:
                    verdict, decided = result, (name, index, evaluations[-1].rule)
                continue
            target = rule.verdict
            if target in ("ACCEPT", "DROP"):
                verdict, decided = target, (name, index, evaluations[-1].rule)
            elif target == "RETURN":
                if not stack:
                    break
                current, index, depth = stack.pop()
            elif target:
                depth += 1
                if depth >= JUMP_STACK_SIZE:  # only a ruleset that bypassed `too_deep` gets here
                    verdict, decided = "DROP", (name, index, evaluations[-1].rule)
                    continue
                if not rule.goto:
                    stack.append((current, index, depth - 1))
                current, index = tbl.chains[target], 0
                if current.entries and target not in visited and target != chain:
                    visited.append(target)  # as the evaluations list them: an empty chain tests nothing
        outcome = self._verdict(base, chain, run, verdict, decided, tuple(evaluations), length)
        return replace(outcome, visited=tuple(visited)) if visited else outcome

    def _traverse_batch(self, tbl: Table, base: Chain, run: Run) -> TableVerdict:
        """`traverse` without reporting, testing only the rules the proto/port index leaves."""
        ctx = run.ctx
        proto, dport = run.pkt.proto, run.pkt.dport
        generation = self.generation
        length = run.pkt.length
        stack: list[tuple[Chain, int, int]] = []
        depth = 0  # jumps and gotos below the base chain: the kernel's jump stack bounds it
        current, index = base, 0
        verdict: str | None = None
        decided: tuple[str, int | None, str | None] = (base.name, None, None)
        while verdict is None:
            entries = current.entries
            candidates = current.candidates(generation, proto, dport)
            k = bisect_left(candidates, index) if index else 0
            count = len(candidates)
            packet = run.pkt
            entry = None
            while k < count:
                index = candidates[k] + 1
                k += 1
                entry = entries[index - 1]
                for test in entry.tests:
                    if not test(packet, ctx):
                        break
                else:
                    break
                entry = None
            if entry is None:
                if stack and not current.builtin:
                    current, index, depth = stack.pop()
                    continue
                break
            entry.pkts += 1
            entry.bytes += length
            rule = entry.rule
            if rule.target is not None:
                result = rule.target.fire(run)
                if result is not None:
                    verdict, decided = result, (current.name, index, None)
                    break
                if run.pkt is not packet and (run.pkt.proto, run.pkt.dport) != (proto, dport):
                    proto, dport = run.pkt.proto, run.pkt.dport
                continue
            target = rule.verdict
            if target in ("ACCEPT", "DROP"):
                verdict, decided = target, (current.name, index, None)
            elif target == "RETURN":
                if not stack:
                    break
                current, index, depth = stack.pop()
            elif target:
                depth += 1
                if depth >= JUMP_STACK_SIZE:
                    verdict, decided = "DROP", (current.name, index, None)
                    continue
                if not rule.goto:
                    stack.append((current, index, depth - 1))
                current, index = tbl.chains[target], 0
        return self._verdict(base, base.name, run, verdict, decided, (), length)

    @staticmethod
    def _verdict(base: Chain, chain: str, run: Run, verdict: str | None,
                 decided: tuple[str, int | None, str | None], evaluations: tuple[RuleEval, ...],
                 length: int) -> TableVerdict:
        if verdict is None:
            if base.counting:
                base.pkts += 1
                base.bytes += length
            verdict = base.policy or "ACCEPT"
            decided = (chain, None, None)
        return TableVerdict(
            verdict=verdict,
            packet=run.pkt,
            evaluations=evaluations,
            decided_chain=decided[0],
            decided_index=decided[1],
            decided_rule=decided[2],
            reject=run.reject,
            nat=run.nat,
            notrack=run.notrack,
            ct_mark=run.ct_mark if run.ct_mark_set else None,
            logs=tuple(run.logs),
        )

    def chain_view(self, table: str, chain: str, evaluations: tuple[RuleEval, ...] = (),
                   visited: tuple[str, ...] | None = None) -> ChainView:
        """The chain as it stands (counters now) with each row's result for these evaluations.

        Only the counters are copied now; the rows are built from that copy (and rule texts shared
        by every view of an unchanged chain) when a viewer first reads them.
        """
        tbl = self.tables[table]
        base = tbl.chains[chain]
        generation = self.generation
        if visited is None:
            visited = tuple(name for name in dict.fromkeys(e.chain for e in evaluations) if name != chain)

        def snapshot(ch: Chain) -> tuple[str, tuple[str, ...], tuple[str, ...], list[int], list[int]]:
            texts, targets = ch.shape(generation)
            entries = ch.entries
            return ch.name, texts, targets, [e.pkts for e in entries], [e.bytes for e in entries]

        parts = [snapshot(base)] + [snapshot(tbl.chains[name]) for name in visited if name in tbl.chains]
        return ChainView(table, chain, base.policy, base.pkts, base.bytes,
                         lazy=functools.partial(_chain_rows, tuple(parts), evaluations))

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

        def src_check(p: Packet, c: MatchContext, a: int = a, m: int = m, inv: bool = inv) -> bool:
            return ((p.src & m) == a) != inv

        checks.append((src_check, f"{'! ' if inv else ''}-s {format_address_mask(a, m)}"))
    if rule.dst_mask or rule.dst_inv:
        da, dm, dinv = rule.dst, rule.dst_mask, rule.dst_inv
        from .values import format_address_mask

        def dst_check(p: Packet, c: MatchContext, da: int = da, dm: int = dm, dinv: bool = dinv) -> bool:
            return ((p.dst & dm) == da) != dinv

        checks.append((dst_check, f"{'! ' if dinv else ''}-d {format_address_mask(da, dm)}"))
    for key, flag, inv in (("iif", "-i", rule.iif_inv), ("oif", "-o", rule.oif_inv)):
        name = getattr(rule, key)
        if not name:
            continue
        label = f"{'! ' if inv else ''}{flag} {name}"
        if name.endswith("+"):
            stem = name[:-1]

            def wildcard_check(p: Packet, c: MatchContext, s: str = stem, k: str = key, i: bool = inv) -> bool:
                value: str | None = getattr(p, k)
                return (value or "").startswith(s) != i

            checks.append((wildcard_check, label))
        else:

            def exact_check(p: Packet, c: MatchContext, n: str = name, k: str = key, i: bool = inv) -> bool:
                value: str | None = getattr(p, k)
                return (value == n) != i

            checks.append((exact_check, label))
    if rule.proto or rule.proto_inv:
        pr, pinv = rule.proto, rule.proto_inv
        from .values import proto_save_name

        def proto_check(p: Packet, c: MatchContext, pr: int = pr, pinv: bool = pinv) -> bool:
            return (p.proto == pr) != pinv

        checks.append((proto_check, f"{'! ' if pinv else ''}-p {proto_save_name(pr)}"))
    if rule.fragment is not None:
        # The packet record has no fragments: every packet is a first (or only) fragment.
        frag = rule.fragment
        checks.append(((lambda p, c: not frag), "-f" if frag else "! -f"))
    return checks


def _chain_rows(parts: tuple[tuple[str, tuple[str, ...], tuple[str, ...], list[int], list[int]], ...],
                evaluations: tuple[RuleEval, ...]
                ) -> tuple[tuple[RuleRow, ...], tuple[tuple[str, tuple[RuleRow, ...]], ...]]:
    """A view's rows, from the counters copied at its step and the evaluations of its packet."""
    results: dict[tuple[str, int], RuleEval] = {(e.chain, e.index): e for e in evaluations}

    def rows(name: str, texts: tuple[str, ...], targets: tuple[str, ...], pkts: list[int],
             bytes_: list[int]) -> tuple[RuleRow, ...]:
        out = []
        for index in range(1, len(texts) + 1):
            found = results.get((name, index))
            result = "not reached" if found is None else ("match" if found.matched else "no match")
            out.append(RuleRow(index, texts[index - 1], targets[index - 1], pkts[index - 1], bytes_[index - 1],
                               result, found.failed_match if found else None))
        return tuple(out)

    first, *rest = parts
    return rows(*first), tuple((part[0], rows(*part)) for part in rest)


def _port_filter(rule: Rule) -> tuple[tuple[tuple[int, int], ...], bool] | None:
    """The rule's destination-port test as (ranges, inverted), if one can be used to skip it."""
    from .matches import MultiportMatch, PortsMatch

    for match in rule.matches:
        if isinstance(match, PortsMatch) and (match.dport != (0, 65535) or match.dport_inv):
            if match.combined_ports and match.dport_inv:
                return None  # the destination port alone cannot rule the packet out
            return (match.dport,), match.dport_inv
        if isinstance(match, MultiportMatch) and match.which == "dports":
            return match.ranges, match.invert
        if match.name not in PURE_MATCHES:
            return None
    return None
