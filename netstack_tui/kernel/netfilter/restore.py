"""iptables-restore: load a saved ruleset, each `*table ... COMMIT` block atomically.

As with the nf_tables backend, a block that fails leaves its table untouched while blocks
committed before it stay; errors read as the real tool's (`Error occurred at line: N`).
Lines are split as add_param_to_argv() does: on spaces, tabs and newlines only (so a CR from a
DOS file stays part of the word and breaks it, as on a real host), with double quotes grouping.
"""

from __future__ import annotations

import re
from collections import Counter

from .command import execute
from .family import current
from .jumps import TOO_MANY_LINKS, first_failing, too_deep
from .parse import TABLES, Command, counter, parse_command
from .table import Chain, Ruleset, Table
from .values import PROG, IptablesError

RESTORE_PROG = "iptables-restore v1.8.9 (nf_tables)"
MAX_BYTES = 16 * 1024 * 1024
"""Files larger than this are refused rather than read."""
MAX_RULES = 50_000
"""Rules one restore may add: ten times the largest real ruleset we test with (4,973 rules), loaded
in ~5 s. Loading costs ~90 µs and ~3.5 KB a rule, so a 200,000-rule file would hold the shell for
~19 s and take ~700 MB; it is refused at once instead, saying why."""

_IPV6_HINTS = re.compile(
    r"(?:^|\s)(?:-p\s+(?:ipv6-icmp|icmpv6|58)\b|-m\s+(?:icmp6|hl|rt|frag|ipv6header|mh|eui64)\b"
    r"|--icmpv6-type\b|icmp6-\S+|-[sd]\s+\S*:\S*:)"
)
IPV6_MESSAGE = (
    "iptables-restore: this is an IPv6 (ip6tables) ruleset; IPv6 rulesets are not simulated by iptables-restore: "
    "load it with ip6tables-restore"
)
_RULE_OPS = {"A": "RULE_APPEND", "I": "RULE_INSERT", "R": "RULE_REPLACE"}


class _Staging(Ruleset):
    """A block's working copy: its jumps are checked once, at COMMIT, as the kernel checks a batch."""

    check_depth = False


def split_line(line: str) -> list[str]:
    """Split one rule line into argv the way iptables-restore does."""
    words: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    started = False
    for ch in line:
        if quoted:
            if escaped:
                current.append(ch)
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
            else:
                current.append(ch)
            continue
        if ch == '"':
            quoted = started = True
        elif ch in " \t\n":
            if started:
                words.append("".join(current))
                current, started = [], False
        else:
            current.append(ch)
            started = True
    if started:
        words.append("".join(current))
    return words


def _fail(message: str, line: int, status: int = 2) -> IptablesError:
    text = message.replace(PROG, RESTORE_PROG, 1)
    return IptablesError(f"{text}\nError occurred at line: {line}", status)


def _clone(table: Table, flush: bool) -> Table:
    copy = Table(table.name)
    copy.touched = table.touched
    copy.nft_handle, copy.nft_next = table.nft_handle, table.nft_next
    if flush:  # the built-in chains stay in nf_tables (with their handles); user chains go
        for name, chain in copy.chains.items():
            chain.nft_handle = table.chains[name].nft_handle
        return copy
    copy.chains = {}
    for name, chain in table.chains.items():
        copy.chains[name] = Chain(chain.name, chain.builtin, chain.policy, chain.pkts, chain.bytes, list(chain.entries),
                                      chain.counting, nft_handle=chain.nft_handle)
    return copy


def looks_ipv6(text: str) -> bool:
    """Whether the file is an ip6tables ruleset (IPv6 protocols, matches or addresses)."""
    return any(_IPV6_HINTS.search(line) for line in text.splitlines() if not line.startswith("#"))


def restore(ruleset: Ruleset, text: str, *, noflush: bool = False, counters: bool = False) -> None:
    """Apply an iptables-save text to `ruleset`; raise IptablesError as iptables-restore fails."""
    if current().version == 4 and looks_ipv6(text):
        raise IptablesError(IPV6_MESSAGE, 1)
    rules = text.count("\n-A ") + text.count("\n-I ") + text.startswith(("-A ", "-I "))
    if rules > MAX_RULES:
        raise IptablesError(f"iptables-restore: {rules:,} rules: this simulator loads at most {MAX_RULES:,} in one "
                            "restore (about 5 s); load the ruleset in parts", 1)
    staging: Ruleset | None = None
    table_name = ""
    rule_lines: list[tuple[int, str, str]] = []  # (line, operation, chain) of each rule the block adds
    jumps: list[tuple[int, str, str]] = []  # (position in rule_lines, chain, target) of each jump it adds
    missing: str | None = None  # the first "Chain 'X' does not exist", reported at COMMIT
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    number = 0
    for number, line in enumerate(lines, 1):
        if not line or line.startswith("#"):
            continue
        if staging is None:
            if line.startswith("*"):
                table_name = line[1:].rstrip(" \t")
                if table_name not in TABLES:
                    raise _fail(
                        f"{RESTORE_PROG}: iptables-restore: line {number} table name '{table_name}' invalid", number
                    )
                staging = _Staging()
                rule_lines, jumps = [], []
                missing = None
                staging.state = ruleset.state
                staging.tables = {table_name: _clone(ruleset.tables[table_name], flush=not noflush)}
                continue
            raise IptablesError(f"iptables-restore: line {number} failed", 1)
        if line != "COMMIT" and line.rstrip(" \t") == "COMMIT":
            # The real tool compares the whole line: `COMMIT ` is a command it cannot parse.
            raise IptablesError(f"Bad argument `COMMIT'\nError occurred at line: {number}", 2)
        if line == "COMMIT":
            if missing is not None:
                # iptables-nft resolves jump targets when the batch is committed.
                raise _fail(missing, number)
            if staging.too_deep(table_name):
                raise _links_refused(staging.tables[table_name], rule_lines, jumps)
            ruleset.tables[table_name] = staging.tables[table_name]
            ruleset.changed()
            staging = None
            continue
        if line.startswith(":"):
            _chain_line(staging, table_name, line, number, counters)
            continue
        try:
            cmd = _rule_line(staging, table_name, line, number, counters)
        except IptablesError as exc:
            first = exc.message.split("\nError occurred at line:")[0]
            if exc.status != 2 or not first.endswith("does not exist") or missing is not None:
                raise
            missing = first
            continue
        if cmd.op in _RULE_OPS and cmd.chain is not None:
            for rule in cmd.rules:
                rule_lines.append((number, _RULE_OPS[cmd.op], cmd.chain))
                if rule.target is None and rule.verdict not in ("", "ACCEPT", "DROP", "RETURN"):
                    jumps.append((len(rule_lines) - 1, cmd.chain, rule.verdict))
    if staging is not None:
        raise IptablesError(f"iptables-restore: COMMIT expected at line {number + 1}", 1)


def _chain_line(staging: Ruleset, table: str, line: str, number: int, counters: bool) -> None:
    words = line[1:].split()
    if len(words) < 2:
        raise IptablesError(f"iptables-restore: line {number} failed", 1)
    name, policy = words[0], words[1]
    tbl = staging.tables[table]
    tbl.touched = True
    packets = None
    if counters and len(words) > 2:
        match = re.fullmatch(r"\[([0-9]+):([0-9]+)\]", words[2])
        if match:
            packets = (counter(match.group(1)), counter(match.group(2)))
    if name in tbl.chains and tbl.chains[name].builtin:
        if policy != "-":
            try:
                staging.set_policy(table, name, policy, packets)
            except IptablesError as exc:
                raise _fail(
                    f"{RESTORE_PROG}: Can't set policy `{policy}' on `{name}' line {number}: {exc.message}", number, 1
                ) from None
        return
    if name in tbl.chains:
        tbl.chains[name].entries.clear()
        return
    try:
        staging.new_chain(table, name)
    except IptablesError as exc:
        raise _fail(exc.message, number, exc.status) from None


def _rule_line(staging: Ruleset, table: str, line: str, number: int, counters: bool) -> Command:
    argv = split_line(line)
    preset = None
    if argv and re.fullmatch(r"\[[0-9]+:[0-9]+\]", argv[0]):
        packets, _, bytes_ = argv.pop(0)[1:-1].partition(":")
        preset = (counter(packets), counter(bytes_))
    try:
        cmd = parse_command(argv)
        if cmd.table != "filter" and "-t" in argv:
            raise IptablesError(
                f"{RESTORE_PROG}: The -t option (seen in line {number}) cannot be used in iptables-restore."
            )
        cmd.table = table
        if counters and preset is not None and cmd.counters is None:
            cmd.counters = preset
        execute(staging, cmd)
    except IptablesError as exc:
        if exc.status == 4 and exc.message.startswith(f"{PROG}:  "):
            # The kernel refused the rule: the real tool names the line in the kernel's own words.
            raise IptablesError(f"{RESTORE_PROG}: \nline {number}: {exc.message[len(PROG) + 3:]}", 4) from None
        raise _fail(exc.message, number, exc.status if exc.status != 1 else 1) from None
    return cmd


def _links_refused(table: Table, rule_lines: list[tuple[int, str, str]],
                   jumps: list[tuple[int, str, str]]) -> IptablesError:
    """The error for a block whose jumps loop or nest too deep, listing the lines the kernel names.

    Refused at the end of the batch, the kernel replays it checking the table after every rule:
    the first jump that makes the table too deep fails, and so does every rule added after it.
    That jump is found by bisection over the block's jumps (each probe one linear walk).
    """
    chains = table.chains
    present = Counter((name, e.rule.verdict) for name, ch in chains.items() for e in ch.entries
                      if e.rule.target is None and e.rule.verdict in chains and not chains[e.rule.verdict].builtin)
    present.subtract(Counter((chain, target) for _, chain, target in jumps))
    before = {edge for edge, count in present.items() if count > 0}  # jumps the table had already

    def fails_with(count: int) -> bool:
        edges = before | {(chain, target) for _, chain, target in jumps[:count]}
        graph: dict[str, list[str]] = {}
        for chain, target in edges:
            graph.setdefault(chain, []).append(target)
        return too_deep([name for name, ch in chains.items() if ch.builtin], lambda name: graph.get(name, ()))

    first = jumps[first_failing(len(jumps), fails_with) - 1][0] if jumps else 0
    lines = [f"line {number}: {op} failed ({TOO_MANY_LINKS}): rule in chain {chain}"
             for number, op, chain in rule_lines[first:]]
    return IptablesError("\n".join([f"{RESTORE_PROG}: ", *lines]), 4)
