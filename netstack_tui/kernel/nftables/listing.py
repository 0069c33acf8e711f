"""`nft list ...` output, laid out exactly as nft 1.0.x prints it (tabs, blank lines, handles)."""

from __future__ import annotations

from .model import Chain, Table
from .values import format_priority


def chain_lines(chain: Chain, handles: bool) -> list[str]:
    """One chain: header, base line, rules, closing brace (one tab deep)."""
    head = f"\tchain {chain.name} {{" + (f" # handle {chain.handle}" if handles else "")
    lines = [head]
    base = chain.base
    if base is not None:
        prio = format_priority(base.priority, base.hook)
        lines.append(f"\t\ttype {base.type} hook {base.hook} priority {prio}; policy {base.policy};")
    for rule in chain.rules:
        lines.append("\t\t" + rule.text() + (f" # handle {rule.handle}" if handles else ""))
    lines.append("\t}")
    return lines


def table_text(table: Table, handles: bool, chains: list[Chain] | None = None, table_handle: bool = True) -> str:
    """`table FAMILY NAME { ... }` with its chains separated by blank lines."""
    head = f"table {table.family} {table.name} {{"
    if handles and table_handle:
        head += f" # handle {table.handle}"
    lines = [head]
    blocks = [] if chains is not None else [named.lines(handles) for named in table.sets.values()]
    blocks += [chain_lines(chain, handles) for chain in (chains if chains is not None else table.chains.values())]
    for index, block in enumerate(blocks):
        if index:
            lines.append("")
        lines.extend(block)
    lines.append("}")
    return "\n".join(lines)


def ruleset_text(tables: list[Table], handles: bool = False) -> str:
    """`nft list ruleset [FAMILY]` for the tables of that family, in handle order."""
    return "\n".join(table_text(t, handles) for t in tables)


def tables_text(tables: list[Table]) -> str:
    """`nft list tables [FAMILY]`."""
    return "\n".join(f"table {t.family} {t.name}" for t in tables)
