"""What a run of a case produced, on either side, and the first difference between two runs.

Counters come from ``iptables-save -c`` (parsed by `parse_iptables_save`, the same parser for the
kernel's output and the simulator's). Packets are in the project's notation, so the two sides are
compared as text.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

# {table: {chain: {"policy": (pkts, bytes) | None, "rules": [(pkts, bytes, rule_text)]}}}
Counters = dict[str, dict[str, dict[str, Any]]]

_COUNTED_RULE = re.compile(r"^\[(\d+):(\d+)\]\s+(-A\s+\S+.*)$")
_CHAIN = re.compile(r"^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?\s*$")


def parse_iptables_save(text: str) -> Counters:
    """Parse ``iptables-save -c`` output into per table/chain policy and rule counters.

    User chains have ``policy`` None. Rules keep their ``-A CHAIN ...`` text as printed.
    """
    tables: Counters = {}
    table: dict[str, dict[str, Any]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            table = tables.setdefault(line[1:].strip(), {})
        elif line == "COMMIT":
            table = None
        elif table is None:
            continue
        elif line.startswith(":"):
            match = _CHAIN.match(line)
            if match:
                name, policy, pkts, nbytes = match.groups()
                counters = (int(pkts or 0), int(nbytes or 0)) if policy != "-" else None
                table[name] = {"policy": counters, "policy_target": policy, "rules": []}
        else:
            match = _COUNTED_RULE.match(line)
            if match:
                pkts, nbytes, rule = match.groups()
            elif line.startswith("-A "):
                pkts, nbytes, rule = "0", "0", line
            else:
                continue
            chain = rule.split()[1]
            table.setdefault(chain, {"policy": None, "policy_target": "-", "rules": []})
            table[chain]["rules"].append((int(pkts), int(nbytes), rule))
    return tables


@dataclass
class Observation:
    """One side's result for one case."""

    counters: Counters = field(default_factory=dict)
    replies: list[str] = field(default_factory=list)
    """Every IPv4 packet that arrived at s, in order, in notation (h's replies and forwarded ones)."""
    reply_details: list[dict[str, Any]] = field(default_factory=list)
    """Per reply: ``ip_len`` (IP total length) and, for ICMP, ``icmp_type``/``icmp_code``."""
    delivered: list[str] = field(default_factory=list)
    """What the listeners received: accepted TCP connections and UDP datagrams."""
    forwarded: list[str] = field(default_factory=list)
    """Every IPv4 packet that arrived at r (router topology), in order."""
    forwarded_details: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Free text: what the harness did (handshake numbers used, timing), for the report."""
    raw_save: str = ""
    """The iptables-save -c text as printed."""

    def counter(self, key: str) -> tuple[int, int] | None:
        """``filter INPUT 2`` / ``filter INPUT policy`` → (pkts, bytes), or None if absent."""
        table, chain, which = key.split()
        entry = self.counters.get(table, {}).get(chain)
        if entry is None:
            return None
        if which == "policy":
            return tuple(entry["policy"]) if entry["policy"] is not None else None
        index = int(which) - 1
        if index >= len(entry["rules"]):
            return None
        pkts, nbytes, _ = entry["rules"][index]
        return (pkts, nbytes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("raw_save")
        return json.loads(json.dumps(data))

    def pretty(self) -> str:
        """Readable multi-line form, for a failing test's output."""
        lines = []
        for table, chains in self.counters.items():
            for chain, entry in chains.items():
                pol = entry["policy"]
                head = f"  {table} {chain}"
                head += f" policy {entry['policy_target']} [{pol[0]}:{pol[1]}]" if pol is not None else " (user chain)"
                lines.append(head)
                for index, (pkts, nbytes, rule) in enumerate(entry["rules"], 1):
                    lines.append(f"    {index}: [{pkts}:{nbytes}] {rule}")
        lines.append("  replies at s:")
        lines += [f"    {text}  {det}"
                  for text, det in zip(self.replies, self.reply_details + [{}] * len(self.replies), strict=False)]
        lines.append("  delivered to listeners:")
        lines += [f"    {text}" for text in self.delivered]
        lines.append("  arrived at r:")
        lines += [f"    {text}" for text in self.forwarded]
        if self.notes:
            lines.append("  notes:")
            lines += [f"    {note}" for note in self.notes]
        return "\n".join(lines)


def _fmt(counts: tuple[int, int] | None) -> str:
    return "absent" if counts is None else f"[{counts[0]}:{counts[1]}]"


def diff_counters(real: Counters, sim: Counters, tables: tuple[str, ...] | None = None) -> str | None:
    """First counter difference, tables in ``tables`` (default: those the kernel printed)."""
    for table in tables if tables is not None else tuple(real):
        rchains, schains = real.get(table, {}), sim.get(table, {})
        for chain in list(rchains) + [c for c in schains if c not in rchains]:
            rc, sc = rchains.get(chain), schains.get(chain)
            if rc is None or sc is None:
                return f"{table} {chain}: chain {'missing in kernel' if rc is None else 'missing in sim'}"
            if rc["policy"] is not None and tuple(rc["policy"]) != tuple(sc["policy"] or (0, 0)):
                return (f"{table} {chain} policy {rc['policy_target']}: kernel {_fmt(tuple(rc['policy']))} "
                        f"sim {_fmt(tuple(sc['policy']) if sc['policy'] is not None else None)}")
            for index in range(max(len(rc["rules"]), len(sc["rules"]))):
                rr = rc["rules"][index] if index < len(rc["rules"]) else None
                sr = sc["rules"][index] if index < len(sc["rules"]) else None
                if rr is None or sr is None:
                    text = (rr or sr)[2]
                    return f"{table} {chain} rule {index + 1} ({text}): only in {'kernel' if sr is None else 'sim'}"
                if (rr[0], rr[1]) != (sr[0], sr[1]):
                    return f"{table} {chain} rule {index + 1} ({rr[2]}): kernel [{rr[0]}:{rr[1]}] sim [{sr[0]}:{sr[1]}]"
    return None


def diff_rule_text(real: Counters, sim: Counters, tables: tuple[str, ...] | None = None) -> str | None:
    """First rule whose iptables-save text differs (formatting fidelity, checked after behaviour)."""
    for table in tables if tables is not None else tuple(real):
        for chain, rc in real.get(table, {}).items():
            sc = sim.get(table, {}).get(chain)
            if sc is None:
                continue
            for index, (rr, sr) in enumerate(zip(rc["rules"], sc["rules"], strict=False), 1):
                if rr[2] != sr[2]:
                    return f"{table} {chain} rule {index} text: kernel {rr[2]!r} sim {sr[2]!r}"
    return None


def _diff_list(what: str, real: list[str], sim: list[str]) -> str | None:
    if real == sim:
        return None
    for index, (a, b) in enumerate(zip(real, sim, strict=False)):
        if a != b:
            return f"{what} differ at #{index + 1}: kernel {a!r} sim {b!r} (kernel {real} sim {sim})"
    return f"{what} differ: kernel {real} sim {sim}"


def diff(real: Observation, sim: Observation, tables: tuple[str, ...] | None = None,
         *, rule_text: bool = True) -> str | None:
    """A readable description of the first difference between the kernel's run and the sim's, or None.

    Order: counters (per table, chain, rule), replies at s, their IP lengths, listener deliveries,
    packets at r, then (if ``rule_text``) the iptables-save rule text.
    """
    checks = [
        lambda: diff_counters(real.counters, sim.counters, tables),
        lambda: _diff_list("replies", real.replies, sim.replies),
        lambda: _diff_list("reply IP lengths", [str(d.get("ip_len")) for d in real.reply_details],
                           [str(d.get("ip_len")) for d in sim.reply_details])
        if sim.reply_details and all("ip_len" in d for d in sim.reply_details) else None,
        lambda: _diff_list("delivered", real.delivered, sim.delivered),
        lambda: _diff_list("forwarded (arrived at r)", real.forwarded, sim.forwarded),
        lambda: diff_rule_text(real.counters, sim.counters, tables) if rule_text else None,
    ]
    for check in checks:
        found = check()
        if found:
            return found
    return None
