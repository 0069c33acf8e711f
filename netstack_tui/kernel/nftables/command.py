"""Running nft commands and files against a host's ruleset: the command grammar and its effects.

A run is one transaction, as nft sends one netlink batch: if any command fails, nothing changes.
Table blocks expand as nft expands them: the table, then all its chains, then all their rules,
which is why a file's chains get the lowest handles.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from ..generation import next_generation
from ..netfilter.jumps import TOO_MANY_LINKS, first_failing, too_deep
from ..netfilter.table import Ruleset as XtRuleset
from ..netfilter.table import Table as XtTable
from . import xtview
from .exprs import Nat, Verdict, verdicts_of
from .lexer import Token, tokenize
from .listing import chain_lines, ruleset_text, table_text, tables_text
from .model import BaseSpec, Chain, NftRuleset, Rule, Table
from .parse import Cursor, parse_elements, parse_rule
from .sets import NamedSet, parse_type, set_lines
from .values import HOOKS, STD_PRIOS, NftError, not_simulated, parse_number, prio_name_allowed

FAMILIES = ("ip", "ip6", "inet")
OTHER_FAMILIES = ("arp", "bridge", "netdev")
NAT_HOOKS = {"snat": ("postrouting", "input"), "dnat": ("prerouting", "output"),
             "masquerade": ("postrouting",), "redirect": ("prerouting", "output")}


@dataclass(slots=True)
class Env:
    """What a run may consult outside the ruleset."""

    ifaces: Collection[str] | None = None
    """Device names (`iif`/`oif` resolve them when the rule is added)."""
    registered: Callable[[], frozenset[str]] = field(default=lambda: frozenset())
    """iptables tables (and `conntrack`) whose hooks are registered now."""
    handles: bool = False
    """`-a`: list with handles."""
    xt: XtRuleset | None = None
    """The host's iptables-nft tables, which nft lists beside its own (and may flush or delete)."""
    warnings: list[str] = field(default_factory=list)
    """What the run wrote to stderr (nft's warning about tables iptables-nft manages)."""


@dataclass(slots=True)
class _PendingRule:
    table: Table
    chain: str
    rule: Rule


class Runner:
    """Parses commands from tokens and applies them to a ruleset (a copy, committed at the end)."""

    def __init__(self, ruleset: NftRuleset, env: Env) -> None:
        self.rs = ruleset
        self.env = env
        self.output: list[str] = []
        self.xt_ops: list[Callable[[XtRuleset], None]] = []
        """Changes to the iptables-nft tables, made only when the whole transaction succeeds."""
        self.xt_gone: set[str] = set()
        """iptables-nft tables this transaction deleted (later commands no longer see them)."""
        self.marks: dict[int, int] = {}
        """Where each rule parsed in this run starts (a token index), by the rule's id."""
        self.jumps: list[tuple[Table, Rule]] = []
        """Rules with a jump or goto this run added, in order: `check_links` checks their tables."""

    # ---- iptables-nft tables ---------------------------------------------------------------------

    def managed(self, family: str, name: str) -> XtTable | None:
        """The iptables-nft table `family name`, when nf_tables holds it in this transaction."""
        table = xtview.managed(self.env.xt, family, name)
        return None if table is None or name in self.xt_gone else table

    def tables(self, family: str | None, *, rules: bool = True) -> list[Table]:
        """nft's own tables and iptables-nft's (as views), in handle order; when the listing shows
        `rules`, notes nft's warnings."""
        found = [t for t in self.rs.tables if family in (None, t.family)]
        xt = self.env.xt
        if xt is not None and family in (None, "ip"):
            for name in xt.tables:
                xt_table = self.managed("ip", name)
                if xt_table is not None:
                    found.append(xtview.view(xt_table))
        found.sort(key=lambda t: t.handle)
        for table in found if rules else ():
            self.warn(table)
        return found

    def warn(self, table: Table) -> None:
        """nft's stderr warning before listing a table that holds xt expressions."""
        xt_table = self.managed(table.family, table.name)
        if xt_table is not None and table.handle == xt_table.nft_handle:
            line = xtview.warning(xt_table)
            if line is not None and line not in self.env.warnings:
                self.env.warnings.append(line)

    def find_table(self, family: str, name: str) -> Table | None:
        """A table to list: nft's own, or an iptables-nft view."""
        table = self.rs.find(family, name)
        if table is None:
            xt_table = self.managed(family, name)
            if xt_table is not None:
                table = xtview.view(xt_table)
                self.warn(table)
        return table

    def forget(self, name: str) -> None:
        """Delete iptables-nft table `name` when the transaction commits."""
        self.xt_gone.add(name)
        self.xt_ops.append(lambda xt: xtview.reset_table(xt, name))

    # ---- grammar ---------------------------------------------------------------------------------

    def run(self, cur: Cursor) -> None:
        """Every command in the token stream."""
        while True:
            cur.skip_eols()
            if cur.peek() is None:
                return
            self.command(cur)
            t = cur.peek()
            if t is not None and t.kind != "eol":
                raise NftError(f"Error: syntax error, unexpected {t.text}, expecting end of file or newline or"
                               " semicolon")

    def command(self, cur: Cursor) -> None:
        """One command."""
        verb = cur.next("command").text
        if verb == "table":
            self.table_block(cur, create=False)
            return
        if verb == "define":
            self.define(cur)
            return
        if verb in ("include", "monitor", "describe", "export", "import", "reset", "rename"):
            raise not_simulated(verb)
        if verb not in ("add", "create", "insert", "replace", "delete", "destroy", "flush", "list"):
            raise NftError(f"Error: syntax error, unexpected {verb}")
        obj = cur.next("object").text
        handler = getattr(self, f"_{verb}_{obj}", None)
        if handler is None:
            if obj in ("counter", "quota", "limit", "flowtable", "ct", "counters", "flowtables", "meters", "meter",
                       "secmark", "synproxy"):
                raise not_simulated(f"{verb} {obj}")
            raise NftError(f"Error: syntax error, unexpected {obj}")
        handler(cur)

    def family(self, cur: Cursor, needs_more: int = 1) -> str:
        """An optional family word (`ip` when omitted)."""
        word = cur.peek_text()
        after = cur.peek(needs_more)
        if word in FAMILIES + OTHER_FAMILIES and after is not None and after.kind != "eol":
            cur.next()
            if word in OTHER_FAMILIES:
                raise not_simulated(f"family {word}")
            return word
        return "ip"

    def name(self, cur: Cursor, what: str) -> str:
        """An identifier or quoted string."""
        t = cur.next(what)
        if t.kind == "punct":
            raise NftError(f"Error: syntax error, unexpected '{t.text}'")
        return t.text

    # ---- tables ----------------------------------------------------------------------------------

    def _add_table(self, cur: Cursor) -> None:
        self.table_block(cur, create=False)

    def _create_table(self, cur: Cursor) -> None:
        self.table_block(cur, create=True)

    def table_block(self, cur: Cursor, *, create: bool) -> None:
        """`table [FAMILY] NAME [{ chain ... }]`."""
        family = self.family(cur)
        name = self.name(cur, "table name")
        xt_table = self.managed(family, name)
        if xt_table is not None:
            if create:
                raise NftError("Error: Could not process rule: File exists")
            if cur.peek_text() == "{":
                raise xtview.refuse(xt_table)
            return
        table = self.rs.add_table(family, name, create=create)
        if not cur.accept("{"):
            return
        pending: list[_PendingRule] = []
        new_sets: list[NamedSet] = []
        while True:
            cur.skip_eols()
            t = cur.next("'}'")
            if t.text == "}" and t.kind == "punct":
                break
            if t.text == "chain":
                name = self.name(cur, "chain name")
                chain = self.define_chain(table, name)
                if cur.accept("{"):
                    self.chain_body(cur, table, chain, pending)
                    self.expect_eol(cur)
            elif t.text in ("set", "map"):
                found = self.set_decl(cur, table, t.text == "map", numbered=False)
                if found is not None:
                    new_sets.append(found)
                self.expect_eol(cur)
            elif t.text == "flags":
                raise not_simulated("table flags")
            elif t.text in ("counter", "quota", "flowtable", "ct", "limit", "secmark"):
                raise not_simulated(t.text)
            elif t.text == "comment":
                cur.next("string")
            else:
                raise NftError(f"Error: syntax error, unexpected {t.text}")
        for named in new_sets:  # a block's sets are numbered after its chains, before its rules
            named.handle = table.new_handle()
        for item in pending:
            self.append_rule(item.table, item.chain, item.rule)

    @staticmethod
    def expect_eol(cur: Cursor) -> None:
        """nft 1.0.x wants a newline or `;` after a chain's statement or block before a closing `}`."""
        t = cur.peek()
        if t is not None and t.kind == "punct" and t.text == "}":
            raise NftError("Error: syntax error, unexpected '}', expecting newline or semicolon")

    # ---- define ----------------------------------------------------------------------------------

    def define(self, cur: Cursor) -> None:
        """`define NAME = VALUE`: every later `$NAME` is replaced by VALUE's tokens."""
        name = self.name(cur, "identifier")
        cur.expect("=")
        start = cur.i
        while not (cur.peek() is None or cur.peek().kind == "eol"):  # type: ignore[union-attr]
            cur.i += 1
        value = cur.tokens[start:cur.i]
        if not value:
            raise NftError("Error: syntax error, unexpected newline")
        rest: list[Token] = []
        for t in cur.tokens[cur.i:]:
            if t.kind == "word" and t.text == f"${name}":
                rest.extend(Token(v.kind, v.text, t.line) for v in value)
            else:
                rest.append(t)
        cur.tokens[cur.i:] = rest

    # ---- sets and maps ---------------------------------------------------------------------------

    def set_decl(self, cur: Cursor, table: Table, is_map: bool, *, numbered: bool = True,
                 create: bool = False) -> NamedSet | None:
        """`set NAME { type T; flags F; elements = { ... } }` (or `map NAME { type K : V; ... }`);
        returns the set when this created it."""
        name = self.name(cur, "set name")
        existing = table.sets.get(name)
        if create and existing is not None:
            raise NftError("Error: Could not process rule: File exists")
        cur.expect("{")
        key = data = None
        flags: tuple[str, ...] = ()
        elements: list[Token] | None = None
        while True:
            cur.skip_eols()
            if cur.accept("}"):
                break
            word = cur.next("set property").text
            if word == "type":
                key = parse_type(cur.next("datatype").text)
                if cur.accept(":"):
                    data_word = cur.next("datatype").text
                    data = data_word if data_word == "verdict" else parse_type(data_word)
            elif word == "flags":
                flags = (cur.next("flag").text,)
                while cur.accept(","):
                    flags += (cur.next("flag").text,)
                for flag in flags:
                    if flag not in ("interval", "constant"):
                        raise not_simulated(f"set flags {flag}")
            elif word == "elements":
                cur.expect("=")
                cur.expect("{")
                elements = []
                depth = 1
                while depth:
                    t = cur.peek()  # newlines inside the braces belong to the element list
                    if t is None:
                        raise NftError("Error: syntax error, unexpected end of file")
                    cur.i += 1
                    depth += {"{": 1, "}": -1}.get(t.text, 0) if t.kind == "punct" else 0
                    if depth:
                        elements.append(t)
                elements.append(Token("punct", "}", elements[-1].line if elements else 0))
            elif word in ("comment",):
                cur.next("string")
            elif word in ("size", "policy", "timeout", "gc-interval", "counter", "auto-merge", "typeof"):
                raise not_simulated(f"set {word}")
            else:
                raise NftError(f"Error: syntax error, unexpected {word}")
        if key is None:
            raise NftError("Error: set definition does not specify key")
        if is_map and data is None:
            raise NftError("Error: map definition does not specify mapping data type")
        if not is_map and data is not None:
            raise NftError("Error: syntax error, unexpected colon")
        created: NamedSet | None = None
        if existing is None:
            existing = created = NamedSet(name, table.new_handle() if numbered else 0, key, data, flags)
            table.sets[name] = existing
        elif (existing.type, existing.data, existing.flags) != (key, data, flags):
            raise NftError("Error: Could not process rule: File exists")
        if elements:
            self.add_elements(Cursor(elements), table, existing)
        return created

    def add_elements(self, cur: Cursor, table: Table, named: NamedSet, *, create: bool = False) -> None:
        """The `{ ... }` of an element list, added to `named`."""
        items = parse_elements(cur, named.kind, self.env.ifaces, verdicts=named.data == "verdict",
                               data_kind=named.data_kind)
        for _, value in items:
            if isinstance(value, Verdict) and value.chain is not None:
                self.check_target(table, value.chain)
        named.add(items, create=create)

    @staticmethod
    def check_target(table: Table, name: str) -> None:
        """A jump or goto target must be a regular chain of the table."""
        target = table.chains.get(name)
        if target is None:
            raise NftError("Error: Could not process rule: No such file or directory")
        if target.base is not None:
            raise NftError("Error: Could not process rule: Operation not supported")

    def set_target(self, cur: Cursor, what: str) -> tuple[Table, NamedSet]:
        """`[FAMILY] TABLE NAME` of an existing set or map."""
        family = self.family(cur, 2)
        table = self.rs.table(family, self.xt_free(family, self.name(cur, "table name")))
        found = table.sets.get(self.name(cur, f"{what} name"))
        if found is None or found.is_map != (what == "map") and what != "element":
            raise NftError("Error: No such file or directory")
        return table, found

    def _add_set(self, cur: Cursor, *, is_map: bool = False, create: bool = False) -> None:
        family = self.family(cur, 2)
        table = self.rs.table(family, self.xt_free(family, self.name(cur, "table name")))
        self.set_decl(cur, table, is_map, create=create)

    def _create_set(self, cur: Cursor) -> None:
        self._add_set(cur, create=True)

    def _add_map(self, cur: Cursor) -> None:
        self._add_set(cur, is_map=True)

    def _create_map(self, cur: Cursor) -> None:
        self._add_set(cur, is_map=True, create=True)

    def _add_element(self, cur: Cursor, *, create: bool = False) -> None:
        table, named = self.set_target(cur, "element")
        cur.expect("{")
        self.add_elements(cur, table, named, create=create)

    def _create_element(self, cur: Cursor) -> None:
        self._add_element(cur, create=True)

    def _delete_element(self, cur: Cursor) -> None:
        _, named = self.set_target(cur, "element")
        cur.expect("{")
        named.delete([e for e, _ in parse_elements(cur, named.kind, self.env.ifaces)])

    def _delete_set(self, cur: Cursor, what: str = "set") -> None:
        table, named = self.set_target(cur, what)
        if self.set_users(table, named):
            raise NftError("Error: Could not process rule: Device or resource busy")
        del table.sets[named.name]

    def _delete_map(self, cur: Cursor) -> None:
        self._delete_set(cur, "map")

    def _flush_set(self, cur: Cursor, what: str = "set") -> None:
        _, named = self.set_target(cur, what)
        named.elems.clear()
        named.values.clear()

    def _flush_map(self, cur: Cursor) -> None:
        self._flush_set(cur, "map")

    @staticmethod
    def set_users(table: Table, named: NamedSet) -> int:
        """Rules that look a set up (`@NAME`, `vmap @NAME`)."""
        return sum(1 for c in table.chains.values() for r in c.rules for e in r.exprs
                   if getattr(e, "named", None) is named)

    def _list_set(self, cur: Cursor, what: str = "set") -> None:
        family = self.family(cur, 2)
        table = self.find_table(family, self.name(cur, "table name"))
        named = table.sets.get(self.name(cur, f"{what} name")) if table is not None else None
        if table is None or named is None or named.is_map != (what == "map"):
            raise NftError("Error: No such file or directory")
        lines = [f"table {table.family} {table.name} {{", *named.lines(self.env.handles), "}"]
        self.output.append("\n".join(lines))

    def _list_map(self, cur: Cursor) -> None:
        self._list_set(cur, "map")

    def _list_sets(self, cur: Cursor, maps: bool = False) -> None:
        family = cur.next().text if cur.peek_text() in FAMILIES else None
        for table in self.tables(family, rules=False):
            text = set_lines(table, maps, self.env.handles)
            if text:
                self.output.append(text)

    def _list_maps(self, cur: Cursor) -> None:
        self._list_sets(cur, maps=True)

    # ---- chains ----------------------------------------------------------------------------------

    def define_chain(self, table: Table, name: str) -> Chain:
        """The chain, created when new."""
        chain = table.chains.get(name)
        if chain is None:
            chain = Chain(name, table.new_handle())
            table.chains[name] = chain
        return chain

    def chain_body(self, cur: Cursor, table: Table, chain: Chain, pending: list[_PendingRule] | None) -> None:
        """`{ type T hook H priority P; policy X; rules... }`."""
        rules: list[Rule] = []
        while True:
            cur.skip_eols()
            if cur.accept("}"):
                break
            word = cur.peek_text()
            if word is None:
                raise NftError("Error: syntax error, unexpected end of file")
            if word == "type":
                cur.next()
                self.base_spec(cur, table, chain)
                self.expect_eol(cur)
            elif word == "policy":
                cur.next()
                policy = cur.next("accept or drop").text
                if policy not in ("accept", "drop"):
                    raise NftError("Error: syntax error, unexpected string, expecting accept or drop or '$'")
                if chain.base is None:
                    raise NftError("Error: policy can only be set on base chains")
                chain.base.policy = policy
                self.expect_eol(cur)
            elif word in ("comment", "flags", "devices"):
                raise not_simulated(f"chain {word}")
            else:
                mark = cur.i
                rules.append(parse_rule(cur, table.family, self.env.ifaces, table.sets))
                self.marks[id(rules[-1])] = mark
                self.expect_eol(cur)
        for rule in rules:
            if pending is None:
                self.append_rule(table, chain.name, rule)
            else:
                pending.append(_PendingRule(table, chain.name, rule))

    def base_spec(self, cur: Cursor, table: Table, chain: Chain) -> None:
        """`type T hook H [device D] priority P`."""
        ctype = cur.next("chain type").text
        cur.expect("hook")
        hook = cur.next("hook").text
        if hook in ("ingress", "egress"):
            raise not_simulated(f"hook {hook}")
        if hook not in HOOKS:
            raise NftError(f"Error: unknown chain hook {hook}")
        cur.expect("priority")
        words = []
        while not cur.at_stmt_end():
            words.append(cur.next().text)
        prio = self.priority(" ".join(words), hook)
        if ctype not in ("filter", "nat", "route"):
            raise NftError(f"Error: unknown chain type {ctype}")
        if ctype == "route" and hook != "output":
            raise NftError("Error: Could not process rule: Operation not supported")
        if ctype == "nat" and table.family == "ip" and hook == "forward":
            raise NftError("Error: Could not process rule: Operation not supported")
        if chain.base is not None:
            if (chain.base.type, chain.base.hook, chain.base.priority) != (ctype, hook, prio):
                raise NftError("Error: Could not process rule: Device or resource busy")
            return
        if chain.rules or self.references(table, chain.name):
            raise NftError("Error: Could not process rule: Device or resource busy")
        self.rs.hook_seq += 1
        chain.base = BaseSpec(ctype, hook, prio)
        chain.seq = self.rs.hook_seq
        chain.registered_after = self.env.registered()

    @staticmethod
    def priority(text: str, hook: str) -> int:
        """A number, or a standard name with an optional `+ N`/`- N`."""
        m = re.fullmatch(r"\s*(-?[0-9]{1,10}|[a-z]+)\s*(?:([+-])\s*([0-9]{1,10}))?\s*", text)
        if not m:
            raise NftError("Error: syntax error, unexpected newline")
        base, sign, offset = m.groups()
        if base.lstrip("-").isdigit():
            if sign:
                raise NftError("Error: syntax error, unexpected +")
            return int(base)
        names = dict(STD_PRIOS)
        if base not in names:
            raise NftError(f"Error: '{base}' is not a valid priority.")
        if not prio_name_allowed(base, hook):
            raise NftError("Error: invalid priority expression value in this context.")
        value = names[base]
        if sign:
            value += int(offset) if sign == "+" else -int(offset)
        return value

    def _add_chain(self, cur: Cursor, create: bool = False) -> None:
        family = self.family(cur, 2)
        table = self.rs.table(family, self.xt_free(family, self.name(cur, "table name")))
        name = self.name(cur, "chain name")
        if create and name in table.chains:
            raise NftError("Error: Could not process rule: File exists")
        if len(name) > 255:
            raise NftError("Error: Could not process rule: Numerical result out of range")
        chain = self.define_chain(table, name)
        if cur.accept("{"):
            self.chain_body(cur, table, chain, None)

    def _create_chain(self, cur: Cursor) -> None:
        self._add_chain(cur, create=True)

    def references(self, table: Table, name: str) -> int:
        """Rules that jump or go to chain `name`."""
        return sum(1 for c in table.chains.values() for r in c.rules for e in verdicts_of(r.exprs)
                   if e.chain == name)

    def xt_free(self, family: str, name: str) -> str:
        """`name`, unless it is an iptables-nft table this simulator does not let nft change."""
        xt_table = self.managed(family, name)
        if xt_table is not None:
            raise xtview.refuse(xt_table)
        return name

    def _delete_chain(self, cur: Cursor) -> None:
        family = self.family(cur, 2)
        table = self.rs.table(family, self.xt_free(family, self.name(cur, "table name")))
        name = self.name(cur, "chain name")
        if name not in table.chains:
            raise NftError("Error: Could not process rule: No such file or directory")
        if self.references(table, name):
            raise NftError("Error: Could not process rule: Device or resource busy")
        del table.chains[name]

    def _flush_chain(self, cur: Cursor) -> None:
        family = self.family(cur, 2)
        table_name = self.name(cur, "table name")
        xt_table = self.managed(family, table_name)
        if xt_table is not None:
            chain_name = self.name(cur, "chain name")
            found = xt_table.chains.get(chain_name)
            if found is None or not found.nft_handle:
                raise NftError("Error: Could not process rule: No such file or directory")
            self.xt_ops.append(lambda xt: xt.flush(table_name, chain_name))
            return
        table = self.rs.table(family, table_name)
        name = self.name(cur, "chain name")
        if name not in table.chains:
            raise NftError("Error: Could not process rule: No such file or directory")
        table.chains[name].rules.clear()

    # ---- rules -----------------------------------------------------------------------------------

    def validate(self, table: Table, chain: Chain, rule: Rule) -> None:
        """What the kernel refuses when the rule is added (nft_*_validate, jump targets)."""
        for v in verdicts_of(rule.exprs):
            if v.chain is not None:
                self.check_target(table, v.chain)
        for e in rule.exprs:
            if isinstance(e, Nat) and chain.base is not None:
                if chain.base.type != "nat" or chain.base.hook not in NAT_HOOKS[e.kind]:
                    raise NftError("Error: Could not process rule: Operation not supported")

    def new_rule(self, table: Table, chain: Chain, rule: Rule) -> Rule:
        """Validate and number a rule (each anonymous set takes a handle before it)."""
        self.validate(table, chain, rule)
        self.note_jumps(table, rule)
        for _ in range(rule.uses_sets()):
            table.new_handle()
        rule.handle = table.new_handle()
        return rule

    def note_jumps(self, table: Table, rule: Rule) -> None:
        """Remember a rule that jumps or goes somewhere, for `check_links`."""
        if any(v.chain is not None for v in verdicts_of(rule.exprs)):
            self.jumps.append((table, rule))

    def check_links(self, cur: Cursor) -> None:
        """Refuse the run when a table's jumps now loop or nest too deep (`netfilter.jumps`).

        The kernel checks each table when the batch ends and, if that fails, replays the batch
        checking after every rule: the error names the first rule after which the table was too
        deep. That rule is found by bisection over the run's jumps (each probe one linear walk),
        and the cursor is put back at it so the error carries its line.
        """
        for table in {id(t): t for t, _ in self.jumps}.values():
            if not any(t is table for t in self.rs.tables):
                continue
            first = _first_too_deep(table, [rule for t, rule in self.jumps if t is table])
            if first is not None:
                cur.i = self.marks.get(id(first), cur.i)
                raise NftError(f"Error: Could not process rule: {TOO_MANY_LINKS}")

    def append_rule(self, table: Table, chain_name: str, rule: Rule) -> None:
        """Add a rule at the end of a chain."""
        chain = table.chains.get(chain_name)
        if chain is None:
            raise NftError("Error: Could not process rule: No such file or directory")
        chain.rules.append(self.new_rule(table, chain, rule))

    def rule_target(self, cur: Cursor) -> tuple[Table, Chain]:
        """`[FAMILY] TABLE CHAIN` of a rule command, with nft's 'did you mean' for a chain typo."""
        family = self.family(cur, 2)
        table = self.rs.table(family, self.xt_free(family, self.name(cur, "table name")))
        name = self.name(cur, "chain name")
        chain = table.chains.get(name)
        if chain is None:
            close = [c for c in table.chains if _similar(c, name)]
            if close:
                raise NftError(f"Error: No such file or directory; did you mean chain \u2018{close[0]}\u2019 in table"
                               f" {table.family} \u2018{table.name}\u2019?")
            raise NftError("Error: No such file or directory")
        return table, chain

    def _add_rule(self, cur: Cursor, insert: bool = False) -> None:
        table, chain = self.rule_target(cur)
        where: tuple[str, int] | None = None
        if cur.peek_text() in ("position", "handle", "index"):
            kind = cur.next().text
            where = ("index" if kind == "index" else "handle", parse_number(self.name(cur, "number")))
        mark = cur.i
        rule = parse_rule(cur, table.family, self.env.ifaces, table.sets)
        self.marks[id(rule)] = mark
        rules = chain.rules
        if where is None:
            pos = 0 if insert else len(rules)
        elif where[0] == "index":
            if where[1] >= len(rules):
                raise NftError("Error: Could not process rule: No such file or directory")
            pos = where[1] if insert else where[1] + 1
        else:
            found = [i for i, r in enumerate(rules) if r.handle == where[1]]
            if not found:
                raise NftError("Error: Could not process rule: No such file or directory")
            pos = found[0] if insert else found[0] + 1
        rules.insert(pos, self.new_rule(table, chain, rule))

    def _insert_rule(self, cur: Cursor) -> None:
        self._add_rule(cur, insert=True)

    def _handle(self, cur: Cursor, chain: Chain) -> int:
        cur.expect("handle")
        handle = parse_number(self.name(cur, "handle"))
        for index, rule in enumerate(chain.rules):
            if rule.handle == handle:
                return index
        raise NftError("Error: Could not process rule: No such file or directory")

    def _replace_rule(self, cur: Cursor) -> None:
        table, chain = self.rule_target(cur)
        index = self._handle(cur, chain)
        mark = cur.i
        rule = parse_rule(cur, table.family, self.env.ifaces, table.sets)
        self.marks[id(rule)] = mark
        self.validate(table, chain, rule)
        self.note_jumps(table, rule)
        rule.handle = chain.rules[index].handle
        chain.rules[index] = rule

    def _delete_rule(self, cur: Cursor) -> None:
        mark = cur.i
        family = self.family(cur, 2)
        table_name = self.name(cur, "table name")
        xt_table = self.managed(family, table_name)
        if xt_table is not None:
            chain_name = self.name(cur, "chain name")
            if chain_name not in xt_table.chains or not xt_table.chains[chain_name].nft_handle:
                raise NftError("Error: No such file or directory")
            cur.expect("handle")
            index = xtview.rule_index(xt_table, chain_name, parse_number(self.name(cur, "handle")))
            self.xt_ops.append(lambda xt: xt.delete(table_name, chain_name, index=index))
            return
        cur.i = mark
        _, chain = self.rule_target(cur)
        del chain.rules[self._handle(cur, chain)]

    # ---- tables: delete, flush -------------------------------------------------------------------

    def _delete_table(self, cur: Cursor) -> None:
        family = self.family(cur)
        name = self.name(cur, "table name")
        if self.managed(family, name) is not None:
            self.forget(name)
            return
        table = self.rs.find(family, name)
        if table is None:
            raise NftError("Error: Could not process rule: No such file or directory")
        self.rs.tables.remove(table)

    def _destroy_table(self, cur: Cursor) -> None:
        family = self.family(cur)
        name = self.name(cur, "table name")
        if self.managed(family, name) is not None:
            self.forget(name)
        table = self.rs.find(family, name)
        if table is not None:
            self.rs.tables.remove(table)

    def _flush_table(self, cur: Cursor) -> None:
        family = self.family(cur)
        name = self.name(cur, "table name")
        if self.managed(family, name) is not None:
            self.xt_ops.append(lambda xt: xt.flush(name))
            return
        table = self.rs.find(family, name)
        if table is None:
            raise NftError("Error: Could not process rule: No such file or directory")
        for chain in table.chains.values():
            chain.rules.clear()

    def _flush_ruleset(self, cur: Cursor) -> None:
        family = cur.next().text if cur.peek_text() in FAMILIES else None
        self.rs.tables = [t for t in self.rs.tables if family not in (None, t.family)]
        if self.env.xt is not None and family in (None, "ip"):
            for name in list(self.env.xt.tables):
                if self.managed("ip", name) is not None:
                    self.forget(name)

    # ---- listing ---------------------------------------------------------------------------------

    def _list_ruleset(self, cur: Cursor) -> None:
        family = cur.next().text if cur.peek_text() in FAMILIES else None
        text = ruleset_text(self.tables(family), self.env.handles)
        if text:
            self.output.append(text)

    def _list_tables(self, cur: Cursor) -> None:
        family = cur.next().text if cur.peek_text() in FAMILIES else None
        text = tables_text(self.tables(family, rules=False))
        if text:
            self.output.append(text)

    def _list_table(self, cur: Cursor) -> None:
        family = self.family(cur)
        table = self.find_table(family, self.name(cur, "table name"))
        if table is None:
            raise NftError("Error: No such file or directory")
        self.output.append(table_text(table, self.env.handles))

    def _list_chain(self, cur: Cursor) -> None:
        family = self.family(cur, 2)
        table = self.find_table(family, self.name(cur, "table name"))
        chain = table.chains.get(self.name(cur, "chain name")) if table is not None else None
        if table is None or chain is None:
            raise NftError("Error: No such file or directory")
        self.output.append(table_text(table, self.env.handles, [chain], table_handle=False))

    def _list_chains(self, cur: Cursor) -> None:
        family = cur.next().text if cur.peek_text() in FAMILIES else None
        for table in self.tables(family, rules=False):
            if family in (None, table.family):
                lines = [f"table {table.family} {table.name} {{"]
                for chain in table.chains.values():
                    head = chain_lines(chain, False)
                    lines.extend(head[:2] if chain.base is not None else head[:1])
                    lines.append("\t}")
                lines.append("}")
                self.output.append("\n".join(lines))


def _first_too_deep(table: Table, added: list[Rule]) -> Rule | None:
    """The first of `added` (rules with jumps, in the order the run added them) after which `table`
    loops or nests too deep, found by bisection; None when the table is fine as it stands."""
    ids = {id(rule) for rule in added}
    bases = [name for name, chain in table.chains.items() if chain.base is not None]
    present: dict[int, list[tuple[str, str]]] = {}
    before: list[tuple[str, str]] = []  # jumps of rules this run did not add
    for chain in table.chains.values():
        for rule in chain.rules:
            edges = [(chain.name, v.chain) for v in verdicts_of(rule.exprs) if v.chain]
            (present.setdefault(id(rule), []) if id(rule) in ids else before).extend(edges)

    def fails_with(count: int) -> bool:
        graph: dict[str, list[str]] = {}
        for source, target in before + [edge for rule in added[:count] for edge in present.get(id(rule), ())]:
            graph.setdefault(source, []).append(target)
        return too_deep(bases, lambda name: graph.get(name, ()))

    if not fails_with(len(added)):
        return None
    return added[first_failing(len(added), fails_with) - 1]


def _similar(a: str, b: str) -> bool:
    """A near miss nft would suggest (one edit apart, or the same letters)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1 or sorted(a) == sorted(b)
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def run_text(ruleset: NftRuleset, text: str, env: Env | None = None, *, source: str | None = None) -> str:
    """Run nft commands (a command line or a file's text) as one transaction; return what they print.

    On any error the ruleset is left untouched and NftError carries nft's one-line message (for a
    file, prefixed with `FILE:LINE:` as nft does).
    """
    env = env or Env()
    work = copy.deepcopy(ruleset)
    runner = Runner(work, env)
    cur = Cursor(tokenize(text))
    try:
        runner.run(cur)
        runner.check_links(cur)
    except NftError as exc:
        if source is not None:
            token = cur.peek() or (cur.tokens[-1] if cur.tokens else None)
            line = token.line if token is not None else 1
            raise NftError(f"{source}:{line}: {exc.message}") from None
        raise
    ruleset.__dict__.update(work.__dict__)
    ruleset.generation = next_generation()
    if env.xt is not None:
        for change in runner.xt_ops:
            change(env.xt)
    return "\n".join(runner.output)
