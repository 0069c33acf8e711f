"""`nstat` (iproute2 6.x): the kernel's SNMP and extended counters, `Name  value  rate` under `#kernel`.

The counter names are the ones nstat lists on kernel 6.18 (netstack_tui/data/nstat_counters.txt), plus
the IcmpMsg ones for each ICMP type seen, as the kernel adds them. The values are the namespace's
counters, bumped where the kernel bumps them (`kernel.mib`: IP, ICMP, TCP, the listener's drops and the
retransmission timers); counters the model does not keep are 0. Each run reads absolute values: the
history file nstat uses for increments is not simulated, so `nstat` and `nstat -a` print the same.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

from ..kernel.host import Host
from .base import CommandResult, ShellContext, short_flags

NAMES_FILE = Path(__file__).resolve().parent.parent / "data" / "nstat_counters.txt"
_USAGE = "Usage: nstat [OPTION] [ PATTERN [ PATTERN ] ]"


@cache
def counter_names() -> tuple[str, ...]:
    """Every counter nstat -az prints, in its order."""
    return tuple(line.strip() for line in NAMES_FILE.read_text(encoding="utf-8").splitlines() if line.strip())


def counters(host: Host) -> dict[str, int]:
    """The counters the model keeps (see the module docstring)."""
    return dict(host.mib.counts)


def names(host: Host) -> list[str]:
    """nstat's order: the fixed counters, with IcmpMsgInTypeN / OutTypeN (those counted so far, by
    type) after the Icmp ones, as the kernel's IcmpMsg line comes after its Icmp line."""
    seen = host.mib.counts
    icmp_msg = [f"IcmpMsg{way}Type{t}" for way in ("In", "Out") for t in range(256) if f"IcmpMsg{way}Type{t}" in seen]
    fixed = list(counter_names())
    last_icmp = max(i for i, name in enumerate(fixed) if name.startswith("Icmp") and not name.startswith("Icmp6"))
    return fixed[:last_icmp + 1] + icmp_msg + fixed[last_icmp + 1:]



def nstat(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`nstat [-a] [-z] [-s] [-r] [-n] [PATTERN...]`."""
    flags: set[str] = set()
    patterns: list[str] = []
    for word in argv[1:]:
        long = {"--ignore": "a", "--zeros": "z", "--nooutput": "n", "--reset": "r", "--noupdate": "s"}.get(word)
        if long is not None:
            flags.add(long)
        elif word.startswith("-") and len(word) > 1:
            flags.update(short_flags(word, "azsrn", "nstat: invalid option -- '{letter}'\n" + _USAGE, 255))
        else:
            patterns.append(word)
    if "n" in flags:
        return CommandResult()
    values = counters(ctx.host)
    lines = ["#kernel"]
    for name in names(ctx.host):
        if patterns and not any(fnmatchcase(name, p) for p in patterns):
            continue
        value = values.get(name, 0)
        if value or "z" in flags:
            lines.append(f"{name:<32}{value:<16}{0.0:6.1f}")
    return CommandResult("\n".join(lines))


COMMANDS = {"nstat": nstat}
