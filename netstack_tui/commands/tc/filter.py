"""`tc filter add|del|show` with the u32 classifier and the gact, mirred and police actions, and the
bpf classifier (`bpf_filter`).

u32 lines and mirred actions were recorded from iproute2 6.1 on veths. That kernel had no
act_gact or act_police module, so those two action layouts follow iproute2's print code unrecorded.
Redirects go to `ifb` devices only: that is how a learner shapes what arrives (the ifb device's
root qdisc queues the packet, then hands it back to the receive path).
"""

from __future__ import annotations

from ...kernel.addr import AddressError, parse_ipv4
from ...kernel.host import Host
from ...kernel.interfaces import Interface
from ...kernel.tc.model import INGRESS_HANDLE, TC_H_MIN_EGRESS, TC_H_MIN_INGRESS, Action, DeviceTc, Filter, U32Key
from ..base import CommandError, CommandResult
from ..numbers import number
from . import bpf_filter
from .devices import device
from .units import format_handle, format_rate, format_size, parse_classid, parse_handle, parse_rate, parse_size

PARENT_MISSING = "Error: Parent Qdisc doesn't exists.\nWe have an error talking to the kernel"
OTHER_CLASSIFIERS = frozenset({"matchall", "flower", "bpf", "fw", "basic", "route", "cgroup", "flow", "tcindex"})
IP_FIELDS = {"src": (12, 32), "dst": (16, 32), "protocol": (9, 8), "tos": (1, 8), "dsfield": (1, 8),
             "sport": (20, 16), "dport": (22, 16), "icmp_type": (20, 8), "icmp_code": (21, 8), "ihl": (0, 8)}
"""u32 `match ip FIELD`: byte offset in the IP header and width in bits (transport fields assume a
20-byte IP header, as u32's `ip` keys do)."""
L4_FIELDS = {"src": (0, 16), "dst": (2, 16)}
GACT = ("drop", "pass", "ok", "shot", "continue", "reclassify", "pipe")


def _parent_of(tc: DeviceTc, words: list[str]) -> tuple[int | None, list[str], str]:
    """The filter's parent from `parent P`, `root`, `ingress` or `egress`; the words left; how it
    was named (`show` leaves `parent` out of its lines when the user gave one)."""
    rest, parent, named = [], None, ""
    it = iter(words)
    for word in it:
        if word == "u32" or word in OTHER_CLASSIFIERS:  # the classifier's own words (mirred's "egress") follow
            rest += [word, *it]
            break
        if word == "parent":
            value = next(it, "")
            parent = parse_handle(value) if ":" not in value.rstrip(":") or value.endswith(":0") or \
                value.endswith(":") else parse_classid(value)
            if parent is None:
                raise CommandError(f'Invalid parent ID "{value}"', 1)
            named = "parent"
        elif word == "root":
            parent, named = (tc.root.handle if tc.root is not None else 0), "root"
        elif word in ("ingress", "egress"):
            if tc.ingress is None or tc.ingress.kind != "clsact" and word == "egress":
                raise CommandError(PARENT_MISSING, 2)
            minor = TC_H_MIN_INGRESS if word == "ingress" else TC_H_MIN_EGRESS
            parent = INGRESS_HANDLE if tc.ingress.kind == "ingress" else INGRESS_HANDLE | minor
            named = word
        else:
            rest.append(word)
    return parent, rest, named


def _known_parent(tc: DeviceTc, parent: int) -> bool:
    if parent >> 16 == 0xFFFF:
        return tc.ingress is not None
    root = tc.root
    if root is None:
        return False
    return parent == root.handle or parent in tc.classes


def _device(host: Host, words: list[str]) -> tuple[Interface, list[str]]:
    head = words[:next((i for i, w in enumerate(words) if w == "u32" or w in OTHER_CLASSIFIERS), len(words))]
    if "dev" not in head or head.index("dev") + 1 >= len(words):
        raise CommandError('Cannot find device ""', 1)
    i = head.index("dev")
    return device(host, words[i + 1]), words[:i] + words[i + 2:]


# ---- add / del ------------------------------------------------------------------------------------

def modify(host: Host, verb: str, words: list[str]) -> CommandResult:
    """`tc filter add|replace dev DEV PARENT protocol ip prio N u32 match ... [flowid C] [action ...]`,
    `tc filter del dev DEV PARENT [prio N]`."""
    iface, words = _device(host, words)
    tc = iface.tc
    parent, words, _ = _parent_of(tc, words)
    if parent is None:
        parent = tc.root.handle if tc.root is not None else 0
    protocol, pref = "all", 0
    it = iter(words)
    rest: list[str] = []
    for word in it:
        if word == "protocol":
            protocol = next(it, "")
            if protocol not in ("ip", "all"):
                raise CommandError(f"tc: filter protocol '{protocol}' is not simulated here (ip, all)", 1)
        elif word in ("prio", "pref", "priority", "preference"):
            value = next(it, "")
            pref = number(value, 1, 0xFFFF, f'Illegal "{word}"')
        else:
            rest = [word, *it]
            break
    if verb == "del":
        before = len(tc.filters)
        tc.filters = [f for f in tc.filters if not (f.parent == parent and (pref == 0 or f.pref == pref))]
        if len(tc.filters) == before:
            raise CommandError("Error: Filter with specified priority/protocol not found." if pref else
                               "Error: Cannot find specified filter chain.", 2)
        return CommandResult(changed=True)
    if not _known_parent(tc, parent):
        raise CommandError(PARENT_MISSING, 2)
    if not rest:
        raise CommandError('Unknown filter "", hence option "" is unparsable', 1)
    if rest[0] == "bpf":
        bpf_filter.add(host, tc, parent, protocol, pref, rest[1:])
        return CommandResult(changed=True)
    if rest[0] in OTHER_CLASSIFIERS:
        raise CommandError(f"tc: the '{rest[0]}' classifier is not simulated here (only u32 and bpf)", 1)
    if rest[0] != "u32":
        raise CommandError(f'Unknown filter "{rest[0]}", hence option "{" ".join(rest[1:2])}" is unparsable', 1)
    keys, flowid, actions = _u32(host, tc, rest[1:], parent)
    if pref == 0:  # the kernel numbers unprioritised filters down from 49152
        pref = min((f.pref - 1 for f in tc.filters if f.parent == parent), default=49152)
    same_pref = [f for f in tc.filters if f.parent == parent and f.pref == pref]
    if same_pref:
        ht = same_pref[0].handle >> 12
        node = max(f.handle & 0xFFF for f in same_pref) + 1
    else:
        hts = [f.handle >> 12 for f in tc.filters if f.parent == parent]
        ht, node = (max(hts) + 1 if hts else 0x800), 0x800
    tc.filters.append(Filter(parent, protocol, pref, keys, flowid, actions, ht << 12 | node))
    return CommandResult(changed=True)


def _u32(host: Host, tc: DeviceTc, words: list[str], parent: int) -> tuple[list[U32Key], int | None, list[Action]]:
    keys: list[U32Key] = []
    flowid: int | None = None
    actions: list[Action] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "match":
            used = _match(words[i + 1:], keys)
            i += 1 + used
        elif word in ("flowid", "classid") and i + 1 < len(words):
            flowid = parse_classid(words[i + 1])
            if flowid is None:
                raise CommandError(f'Illegal "{word}"', 1)
            i += 2
        elif word in ("action", "police"):
            used, action = _action(host, words[i:], parent)
            action.index = 1 + max((a.index for iface in host.interfaces.values() for f in iface.tc.filters
                                    for a in f.actions if a.kind == action.kind), default=0) + \
                sum(1 for a in actions if a.kind == action.kind)
            actions.append(action)
            i += used
        else:
            raise CommandError(f'What is "{word}"?', 1)
    if not keys:
        keys.append(U32Key(0, 0, 0))  # `match u32 0 0`: everything
    return keys, flowid, actions


def _match(words: list[str], keys: list[U32Key]) -> int:
    """Parse one `match` selector into `keys`; the number of words it used."""
    if len(words) < 2:
        raise CommandError('Illegal "match"', 1)
    layer, field = words[0], words[1]
    if layer == "u32" and len(words) >= 5 and words[3] == "at":
        try:
            value, mask = int(words[1], 0), int(words[2], 0)
            at = words[4]
            nexthdr = at.startswith("nexthdr+")
            offset = int(at.removeprefix("nexthdr+"), 0)
        except ValueError:
            raise CommandError('Illegal "match"', 1) from None
        _add_key(keys, U32Key(value & mask, mask, offset, nexthdr))
        return 5
    if layer == "ip" and field in ("src", "dst") and len(words) >= 3:
        addr, _, plen = words[2].partition("/")
        try:
            value = parse_ipv4(addr)
            length = int(plen) if plen else 32
        except (AddressError, ValueError):
            raise CommandError('Illegal "match"', 1) from None
        mask = (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
        _add_key(keys, U32Key(value & mask, mask, IP_FIELDS[field][0]))
        return 3
    fields = IP_FIELDS if layer == "ip" else L4_FIELDS if layer in ("tcp", "udp") else None
    if fields is None or field not in fields or len(words) < 4:
        raise CommandError('Illegal "match"', 1)
    try:
        value, mask = int(words[2], 0), int(words[3], 0)
    except ValueError:
        raise CommandError('Illegal "match"', 1) from None
    byte, bits = fields[field]
    word_at = byte & ~3
    shift = 32 - bits - (byte & 3) * 8
    width = (1 << bits) - 1
    _add_key(keys, U32Key((value & mask & width) << shift, (mask & width) << shift, word_at, layer != "ip"))
    return 4


def _add_key(keys: list[U32Key], key: U32Key) -> None:
    """u32 folds keys on the same word into one (sport and dport become one key at 20)."""
    for old in keys:
        if old.offset == key.offset and old.nexthdr == key.nexthdr and not old.mask & key.mask:
            old.value |= key.value
            old.mask |= key.mask
            return
    keys.append(key)


def _action(host: Host, words: list[str], parent: int) -> tuple[int, Action]:
    """`action gact-word`, `action mirred egress redirect|mirror dev D`, `police rate R burst B [drop]`."""
    if words[0] == "police" or words[1:2] == ["police"]:
        start = 1 if words[0] == "police" else 2
        action = Action("police", verdict="reclassify")
        i = start
        while i < len(words) and words[i] not in ("action", "flowid", "classid", "match"):
            word, value = words[i], words[i + 1] if i + 1 < len(words) else ""
            if word == "rate" and parse_rate(value):
                action.rate = parse_rate(value) or 0
                i += 2
            elif word in ("burst", "buffer", "maxburst") and parse_size(value):
                action.burst = parse_size(value) or 0
                i += 2
            elif word in ("drop", "shot", "pass", "ok", "continue", "reclassify"):
                action.verdict = word
                i += 1
            elif word == "conform-exceed" and value:
                action.verdict = value.split("/")[0]
                i += 2
            else:
                raise CommandError(f"tc: police '{word}' is not simulated here (rate, burst, conform-exceed)", 1)
        if not action.rate or not action.burst:
            raise CommandError('police: "rate" and "burst" are required here', 1)
        return i, action
    kind = words[1] if len(words) > 1 else ""
    if kind in GACT or kind == "gact" and len(words) > 2:
        verdict = words[2] if kind == "gact" else kind
        return (3 if kind == "gact" else 2), Action("gact", verdict="drop" if verdict == "shot" else verdict)
    if kind == "mirred":
        if len(words) < 6 or words[2] not in ("egress", "ingress") or words[3] not in ("redirect", "mirror") \
                or words[4] != "dev":
            raise CommandError('Illegal "mirred" action: use "mirred egress redirect|mirror dev DEV"', 1)
        target = host.interfaces.get(words[5])
        if target is None:
            raise CommandError(f'Cannot find device "{words[5]}"', 1)
        if words[3] == "mirror" or words[2] == "ingress":
            raise CommandError("tc: mirred mirror and ingress redirect are not simulated here "
                               "(egress redirect to an ifb device is)", 1)
        if target.kind != "ifb" or parent >> 16 != 0xFFFF or parent & 0xFFFF == TC_H_MIN_EGRESS:
            raise CommandError("tc: mirred redirect is simulated only from the ingress hook to an ifb device "
                               "(ip link add ifb0 type ifb)", 1)
        return 6, Action("mirred", verdict="stolen", device=target.name, direction=words[2])
    raise CommandError(f'tc: action "{kind}" is not simulated here (gact drop/pass, mirred, police)', 1)


# ---- show -----------------------------------------------------------------------------------------

def show(host: Host, words: list[str], stats: bool) -> CommandResult:
    """`tc [-s] filter show dev DEV [parent P | ingress | egress]`."""
    iface, words = _device(host, words)
    tc = iface.tc
    parent, rest, named = _parent_of(tc, words)
    if rest:
        raise CommandError(f'What is "{rest[0]}"?', 1)
    if parent is None:
        parent = tc.root.handle if tc.root is not None else 0
    chosen = sorted((f for f in tc.filters if f.parent == parent), key=lambda f: (f.pref, f.handle))
    prefix = "filter " if named else f"filter parent {format_handle(parent)} "
    lines: list[str] = []
    seen: set[int] = set()
    for flt in chosen:
        if flt.bpf is not None:
            lines += bpf_filter.lines(flt, prefix, flt.pref not in seen)
            seen.add(flt.pref)
            continue
        head = f"{prefix}protocol {flt.protocol} pref {flt.pref} u32 chain 0 "
        ht = flt.handle >> 12
        if flt.pref not in seen:
            seen.add(flt.pref)
            lines += [head, f"{head}fh {ht:x}: ht divisor 1 "]
        node = flt.handle & 0xFFF
        if flt.flowid is not None:
            flow = f"*flowid {format_handle(flt.flowid)} "
        else:
            flow = "terminal flowid " if flt.actions else ""
        lines.append(f"{head}fh {ht:x}::{node:x} order {node} key ht {ht:x} bkt 0 {flow}not_in_hw ")
        lines += [f"  match {k.value:08x}/{k.mask:08x} at {'nexthdr+' if k.nexthdr else ''}{k.offset}"
                  for k in flt.keys]
        for order, action in enumerate(flt.actions, 1):
            lines += _action_lines(action, order, stats, host.clock)
    return CommandResult("\n".join(lines))


def _action_lines(action: Action, order: int, stats: bool, now: float) -> list[str]:
    s = action.stats
    counters = ["\tAction statistics:",
                f"\tSent {s.bytes} bytes {s.packets} pkt (dropped {s.drops}, overlimits {s.overlimits} requeues 0) ",
                "\tbacklog 0b 0p requeues 0"]
    timing = " installed 0 sec used 0 sec" if stats else ""
    if action.kind == "mirred":
        lines = [f"\taction order {order}: mirred (Egress Redirect to device {action.device}) stolen",
                 f"\tindex {action.index} ref 1 bind 1{timing}"]
    elif action.kind == "gact":
        lines = [f"\taction order {order}: gact action {action.verdict}", "\t random type none pass val 0",
                 f"\t index {action.index} ref 1 bind 1{timing}"]
    else:
        lines = [f"\taction order {order}:  police {action.index:#x} rate {format_rate(action.rate)} "
                 f"burst {format_size(action.burst)} mtu 2Kb action {action.verdict} overhead 0b ",
                 f"\tref 1 bind 1{timing}"]
    return lines + (counters if stats else []) + [""]
