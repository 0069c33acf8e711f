"""Running one nft base chain for one packet (nft_do_chain), and the chain as a viewer draws it.

Expressions run left to right; a comparison that fails moves on to the next rule; `jump` pushes a
return point and `goto` does not; `return` (or the end of a regular chain) pops one; with none left
the base chain's policy decides. An accept ends this base chain only: the packet goes on to the
next hook entry, which may be another nft chain or an iptables table.
"""

from __future__ import annotations

from ..netfilter.api import MatchContext, NatAction, TableVerdict
from ..netfilter.jumps import JUMP_STACK_SIZE
from ..netfilter.logline import log_line
from ..packet import Packet
from ..trace import ChainView, RuleEval, RuleRow
from .exprs import Cmp, Counter, Limit, Log, Nat, Notrack, Reject, SetMark, Verdict, VMap
from .model import Chain, Rule, Table


def label(table: Table) -> str:
    """How steps name an nft table: `nft inet filter`."""
    return f"nft {table.family} {table.name}"


def rule_eval(chain: str, index: int, rule: Rule, failed: str | None) -> RuleEval:
    """One tested rule, its text as `nft list` prints it."""
    return RuleEval(chain, index, rule.text(), failed is None, failed, rule.verdict)


def _failed_text(e: Cmp | Limit) -> str:
    if isinstance(e, Cmp) and e.sel.never is not None:
        return f"{e.text()} ({e.sel.never})"
    return e.text()


def traverse(table: Table, chain: Chain, pkt: Packet, ctx: MatchContext) -> TableVerdict:
    """Run `pkt` through base chain `chain`, updating counters and limits; see the module doc."""
    assert chain.base is not None
    evaluations: list[RuleEval] = []
    logs: list[str] = []
    stack: list[tuple[Chain, int, int]] = []
    depth = 0  # jumps and gotos below the base chain: bounded as nft_do_chain's jump stack is
    current, index = chain, 0
    verdict: str | None = None
    decided: tuple[str, int | None, str | None] = (chain.name, None, None)
    reject: str | None = None
    nat: NatAction | None = None
    notrack = False
    ct_mark: int | None = None
    length = pkt.length
    hook = ctx.hook.value
    while verdict is None:
        if index >= len(current.rules):
            if stack:
                current, index, depth = stack.pop()
                continue
            break
        rule = current.rules[index]
        index += 1
        failed: str | None = None
        jump: Verdict | None = None
        for e in rule.exprs:
            if isinstance(e, VMap):
                mapped = e.lookup(pkt, ctx)
                if mapped is None:
                    failed = e.text()
                    break
                e = mapped  # the verdict the key maps to acts as the rule's own verdict
            if isinstance(e, Cmp):
                if not e.matches(pkt, ctx):
                    failed = _failed_text(e)
                    break
            elif isinstance(e, Limit):
                if not e.matches(ctx.now):
                    failed = e.text()
                    break
            elif isinstance(e, Counter):
                e.packets += 1
                e.bytes += length
            elif isinstance(e, Log):
                in_dev = pkt.iif if hook in ("PREROUTING", "INPUT", "FORWARD") else None
                out_dev = pkt.oif if hook in ("FORWARD", "OUTPUT", "POSTROUTING") else None
                logs.append(log_line(pkt, e.prefix, 0, in_dev, out_dev, uid=ctx.owner_uid))
            elif isinstance(e, SetMark):
                if e.target == "meta mark":
                    pkt = pkt.replace(mark=e.value)
                else:
                    ct_mark = e.value
            elif isinstance(e, Notrack):
                notrack = True
            elif isinstance(e, Reject):
                verdict, reject = "DROP", e.with_type
                break
            elif isinstance(e, Nat):
                verdict, nat = "ACCEPT", _nat_action(e)
                break
            elif isinstance(e, Verdict):
                if e.kind in ("accept", "drop"):
                    verdict = e.kind.upper()
                elif e.kind != "continue":
                    jump = e
                break
        evaluations.append(rule_eval(current.name, index, rule, failed))
        if failed is not None:
            continue
        if verdict is not None:
            decided = (current.name, index, evaluations[-1].rule)
        elif jump is not None:
            if jump.kind == "return":
                if not stack:
                    break
                current, index, depth = stack.pop()
            else:
                depth += 1
                if depth >= JUMP_STACK_SIZE:  # only a ruleset that bypassed `check_links` gets here
                    verdict, decided = "DROP", (current.name, index, evaluations[-1].rule)
                    continue
                if jump.kind == "jump":
                    stack.append((current, index, depth - 1))
                current, index = table.chains[jump.chain or ""], 0
    if verdict is None:
        verdict = chain.base.policy.upper()
    return TableVerdict(verdict, pkt, tuple(evaluations), decided[0], decided[1], decided[2], reject=reject,
                        nat=nat, notrack=notrack, ct_mark=ct_mark, logs=tuple(logs))


def _nat_action(e: Nat) -> NatAction:
    return NatAction(e.kind.upper(), e.addr_lo, e.addr_hi if e.addr_hi is not None else e.addr_lo,
                     e.port_lo, e.port_hi if e.port_hi is not None else e.port_lo)


def chain_view(table: Table, chain: Chain, evaluations: tuple[RuleEval, ...] = ()) -> ChainView:
    """The chain as it stands (counters now), each row marked with this packet's result."""
    results = {(e.chain, e.index): e for e in evaluations}
    visited = [name for name in dict.fromkeys(e.chain for e in evaluations) if name != chain.name]

    def rows(ch: Chain) -> tuple[RuleRow, ...]:
        out = []
        for index, rule in enumerate(ch.rules, 1):
            found = results.get((ch.name, index))
            result = "not reached" if found is None else ("match" if found.matched else "no match")
            counter = rule.counter
            out.append(RuleRow(index, rule.text(), rule.verdict, counter.packets if counter else 0,
                               counter.bytes if counter else 0, result, found.failed_match if found else None))
        return tuple(out)

    extra = tuple((name, rows(table.chains[name])) for name in visited if name in table.chains)
    policy = chain.base.policy.upper() if chain.base is not None else None
    return ChainView(label(table), chain.name, policy, 0, 0, rows(chain), extra)
