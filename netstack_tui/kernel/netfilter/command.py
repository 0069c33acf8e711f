"""Carry out one parsed iptables command against a Ruleset and return what iptables prints.

Shared by the `iptables` shell command and iptables-restore (whose rule lines are iptables
argument lists), so both refuse and print the same things.
"""

from __future__ import annotations

from .parse import Command, parse_command
from .save import list_rules, list_table
from .table import Ruleset
from .values import PROG, IptablesError, Refused, problem

VERSION_TEXT = "iptables v1.8.9 (nf_tables)\n"
_NOT_FOUND = "iptables: Bad rule (does a matching rule exist in that chain?)."


def run_iptables(ruleset: Ruleset, argv: list[str]) -> str:
    """Parse and execute iptables arguments (without the program name); return the output.

    Raises IptablesError with iptables' message and exit status when the real tool would fail.
    """
    cmd = parse_command(argv)
    if cmd.version:
        return VERSION_TEXT
    if cmd.ipv6:
        raise problem("This is the IPv4 version of iptables.")
    return execute(ruleset, cmd)


def execute(ruleset: Ruleset, cmd: Command) -> str:
    """Apply a parsed Command."""
    table, chain = cmd.table, cmd.chain
    ruleset.table(table)
    op = cmd.op
    if not op:
        raise problem("no command specified")
    if op in "LSFZNXEP" and cmd.has_rule:
        raise problem(f"Illegal option `-{_first_rule_option(cmd)}' with this command")
    assert chain is not None or op in "LSFZX"
    if cmd.refused is not None and op in "ACDIR":
        ruleset.chain(table, chain)  # type: ignore[arg-type]
        if op in "CD":
            # iptables-nft compares -C/-D against the rules it lists; one the kernel would refuse
            # was never added, so it is simply not found (measured on 1.8.9).
            raise IptablesError(_NOT_FOUND, 1)
        name = {"A": "RULE_APPEND", "C": "RULE_CHECK", "D": "RULE_DELETE", "I": "RULE_INSERT", "R": "RULE_REPLACE"}[op]
        raise IptablesError(f"{PROG}:  {name} failed ({cmd.refused}): rule in chain {chain}", 4)
    if op == "A":
        for rule in cmd.rules:
            ruleset.append(table, chain, rule, cmd.counters)  # type: ignore[arg-type]
    elif op == "I":
        # Each expanded rule (`-s a,b`) goes in at the same position, so the last ends up first,
        # as iptables 1.8.9 inserts them.
        index = cmd.rulenum or 1
        for rule in cmd.rules:
            ruleset.insert(table, chain, index, rule, cmd.counters)  # type: ignore[arg-type]
    elif op == "R":
        if len(cmd.rules) != 1:
            raise problem("-R requires a single source and destination")
        ruleset.replace(table, chain, cmd.rulenum or 0, cmd.rules[0], cmd.counters)  # type: ignore[arg-type]
    elif op == "D":
        if cmd.rulenum is not None and cmd.has_rule:
            raise problem(f"Bad argument `{cmd.rulenum}'")
        if cmd.rulenum is not None:
            ruleset.delete(table, chain, index=cmd.rulenum)  # type: ignore[arg-type]
        for rule in cmd.rules:
            ruleset.chain(table, chain)  # type: ignore[arg-type]
            try:
                ruleset.compile(table, chain, rule, "RULE_DELETE")  # type: ignore[arg-type]
            except Refused:
                raise IptablesError(_NOT_FOUND, 1) from None
            except IptablesError as exc:
                # A rule the kernel refuses (status 4) cannot be in the chain to delete.
                if exc.status != 4:
                    raise
                raise IptablesError(_NOT_FOUND, 1) from None
            ruleset.delete(table, chain, rule=rule)  # type: ignore[arg-type]
    elif op == "C":
        for rule in cmd.rules:
            if not ruleset.find(table, chain, rule):  # type: ignore[arg-type]
                raise IptablesError(_NOT_FOUND, 1)
    elif op == "P":
        ruleset.set_policy(table, chain, cmd.arg or "", cmd.counters)  # type: ignore[arg-type]
    elif op == "N":
        ruleset.new_chain(table, chain)  # type: ignore[arg-type]
    elif op == "X":
        ruleset.delete_chain(table, chain)
    elif op == "E":
        ruleset.rename_chain(table, chain, cmd.arg or "")  # type: ignore[arg-type]
    elif op == "F":
        ruleset.flush(table, chain)
    elif op == "Z":
        ruleset.zero(table, chain, cmd.rulenum)
    elif op == "L":
        text = list_table(
            ruleset,
            table,
            chain,
            verbose=cmd.verbose,
            numeric=cmd.numeric,
            exact=cmd.exact,
            line_numbers=cmd.line_numbers,
        )
        if cmd.zero_too:
            ruleset.zero(table, chain)
        return text
    elif op == "S":
        if chain is not None:
            ruleset.chain(table, chain)
        text = list_rules(ruleset, table, chain, cmd.rulenum, cmd.verbose)
        if cmd.zero_too:
            ruleset.zero(table, chain)
        return text
    return ""


def _first_rule_option(cmd: Command) -> str:
    return "p" if cmd.rules and cmd.rules[0].proto else "j"


__all__ = ["PROG", "execute", "run_iptables"]
