"""`tc class add|change|replace|del|show` for HTB classes (and the one class TBF shows), printed as
iproute2 6.1 does, in the kernel's hash order."""

from __future__ import annotations

from ...kernel.host import Host
from ...kernel.tc.model import DeviceTc, TcClass, TcStats, major
from ...kernel.tc.shaping import drain, ticks
from ..base import CommandError, CommandResult
from .devices import device
from .units import (
    count,
    format_handle,
    format_rate,
    format_size,
    parse_classid,
    parse_handle,
    parse_rate,
    parse_size,
    shown_burst,
)

DEFAULT_MTU = 1600
"""tc's `mtu` for HTB: the burst it computes when none is given is rate/HZ + mtu (HZ from
/proc/net/psched is 10^9 on a high-resolution kernel, so 1600 bytes for any rate below 1.6 Gbit)."""
PSCHED_HZ = 1_000_000_000
NO_ENTRY = "RTNETLINK answers: No such file or directory"


def stats_lines(stats: TcStats, backlog: tuple[int, int]) -> str:
    """The two counter lines `tc -s` prints under a qdisc or class."""
    return (f"\n Sent {stats.bytes} bytes {stats.packets} pkt (dropped {stats.drops}, overlimits {stats.overlimits} "
            f"requeues {stats.requeues}) \n backlog {backlog[0]}b {backlog[1]}p requeues {stats.requeues}")


def ordered(tc: DeviceTc) -> list[TcClass]:
    """Classes in the order the kernel dumps them: by bucket of its class hash (id folded with
    itself shifted by 8 and 4, 16 buckets), the newest first within a bucket."""
    def bucket(classid: int) -> int:
        folded = classid ^ (classid >> 8)
        folded ^= folded >> 4
        return folded & 15
    created = list(tc.classes)
    return sorted(tc.classes.values(), key=lambda c: (bucket(c.classid), -created.index(c.classid)))


def class_line(tc: DeviceTc, cls: TcClass, with_dev: str) -> str:
    """One `class htb` line."""
    where = "root" if major(cls.parent) and cls.parent not in tc.classes else f"parent {format_handle(cls.parent)}"
    line = f"class htb {format_handle(cls.classid)} {with_dev}{where} "
    leaf = not tc.children(cls.classid)
    if cls.leaf is not None and cls.leaf.handle:
        line += f"leaf {format_handle(cls.leaf.handle)} "
    if leaf:
        line += f"prio {cls.prio} "
    return line + (f"rate {format_rate(cls.rate)} ceil {format_rate(cls.ceil)} "
                   f"burst {format_size(shown_burst(cls.burst, cls.rate))} "
                   f"cburst {format_size(shown_burst(cls.cburst, cls.ceil))} ")


def show(host: Host, words: list[str], stats: bool) -> CommandResult:
    """`tc [-s] class show dev DEV [parent P | classid C]`."""
    dev, parent, classid = None, None, None
    it = iter(words)
    for word in it:
        value = next(it, None) if word in ("dev", "parent", "classid") else None
        if value is None:
            raise CommandError(f'What is "{word}"?' if word not in ("dev", "parent", "classid") else
                               'Command line is not complete. Try option "help"', 1)
        if word == "dev":
            dev = value
        elif word == "parent":
            parent = parse_classid(value) if not value.endswith(":") else parse_handle(value)
        else:
            classid = parse_classid(value)
    tc = device(host, dev).tc
    drain(tc, host.clock)
    blocks: list[str] = []
    if tc.root is not None and tc.root.kind == "tbf":
        handle = format_handle(tc.root.handle)
        blocks.append(f"class tbf {handle}1 parent {handle} " + ("\n" if stats else ""))
    for cls in ordered(tc):
        if parent is not None and cls.parent != parent or classid is not None and cls.classid != classid:
            continue
        line = class_line(tc, cls, "")
        if stats:
            backlog = cls.leaf.backlog() if cls.leaf is not None and not tc.children(cls.classid) else (0, 0)
            line += stats_lines(cls.stats, backlog)
            line += f"\n lended: {cls.stats.lended} borrowed: {cls.stats.borrowed} giants: 0"
            line += (f"\n tokens: {ticks(cls.tokens, cls.rate, cls.burst)} "
                     f"ctokens: {ticks(cls.ctokens, cls.ceil, cls.cburst)}\n")
        blocks.append(line)
    return CommandResult("\n".join(blocks))


def modify(host: Host, verb: str, words: list[str]) -> CommandResult:
    """`tc class add|change|replace|del dev DEV [parent P] classid C htb rate R [ceil R] [burst B]
    [cburst B] [prio N] [quantum N]`."""
    dev, parent, classid = None, None, None
    rest = list(words)
    params: list[str] = []
    while rest:
        word = rest.pop(0)
        if word in ("dev", "parent", "classid") and rest:
            value = rest.pop(0)
            if word == "dev":
                dev = value
                continue
            parsed = parse_handle(value) if value.endswith(":") or ":" not in value else parse_classid(value)
            if parsed is None:
                raise CommandError(f'Invalid {"parent" if word == "parent" else "class"} ID "{value}"', 1)
            if word == "parent":
                parent = parsed
            else:
                classid = parsed
        elif word == "root":
            parent = 0
        else:
            params = [word, *rest]
            break
    tc = device(host, dev).tc
    drain(tc, host.clock)
    root = tc.root
    if root is None or root.kind != "htb":
        if root is not None and params[:1] and params[0] != "htb":
            raise CommandError(f"tc: classes of '{root.kind}' are not simulated here (only htb classes)", 1)
        raise CommandError(NO_ENTRY, 2)
    if verb == "del":
        if classid is None or classid not in tc.classes:
            raise CommandError(NO_ENTRY, 2)
        if tc.children(classid) or any(f.flowid == classid for f in tc.filters):
            raise CommandError("RTNETLINK answers: Device or resource busy", 2)
        del tc.classes[classid]
        return CommandResult(changed=True)
    if classid is None:
        raise CommandError("RTNETLINK answers: Invalid argument", 2)
    if major(classid) == 0:
        classid |= root.handle
    if params[:1] != ["htb"]:
        raise CommandError(f'tc: class kind "{params[0] if params else ""}" is not simulated here (htb classes)', 1)
    values = _htb_class_params(params[1:])
    existing = tc.classes.get(classid)
    if verb == "add" and existing is not None:
        raise CommandError("RTNETLINK answers: File exists", 2)
    if verb == "change" and existing is None:
        raise CommandError(NO_ENTRY, 2)
    rate = values["rate"]
    ceil = values.get("ceil", rate)
    burst = values.get("burst", rate // PSCHED_HZ + DEFAULT_MTU)
    cburst = values.get("cburst", ceil // PSCHED_HZ + DEFAULT_MTU)
    if existing is not None:
        existing.rate, existing.ceil, existing.burst, existing.cburst = rate, ceil, burst, cburst
        existing.prio = values.get("prio", existing.prio)
        existing.tokens = existing.ctokens = None
        return CommandResult(changed=True)
    if parent is None or major(parent) != major(root.handle):
        parent = root.handle
    tc.classes[classid] = TcClass(classid, parent, rate, ceil, burst, cburst, values.get("prio", 0),
                                  values.get("quantum", 0))
    return CommandResult(changed=True)


def _htb_class_params(params: list[str]) -> dict[str, int]:
    values: dict[str, int] = {}
    it = iter(params)
    for word in it:
        value = next(it, "")
        if word in ("rate", "ceil"):
            number = parse_rate(value)
        elif word in ("burst", "cburst", "buffer", "cbuffer", "maxburst", "minburst"):
            word = {"buffer": "burst", "maxburst": "burst", "minburst": "burst", "cbuffer": "cburst"}.get(word, word)
            number = parse_size(value)
        elif word in ("prio", "quantum"):
            number = count(value)
        elif word in ("mtu", "mpu", "overhead", "linklayer"):
            raise CommandError(f"tc: htb '{word}' is not simulated here (rate, ceil, burst, cburst, prio, quantum)",
                               1)
        else:
            raise CommandError(f'What is "{word}"?', 1)
        if number is None:
            raise CommandError(f'Illegal "{word}"', 1)
        values[word] = number
    if "rate" not in values:
        raise CommandError('"rate" is required.', 1)
    return values
