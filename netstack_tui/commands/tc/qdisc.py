"""`tc qdisc add|replace|change|del|show`: attach a root qdisc, a leaf qdisc under an HTB class, or
the ingress/clsact qdisc; print them as iproute2 6.1 does.

Layouts recorded from the real tool on veths (tests/tc/real_outputs.py). `refcnt` is 1 + the
device's TX queues: every modelled device has one queue (a real veth gets one per CPU, and shows
refcnt 3 on a 2-CPU machine). netem's line follows iproute2's print code; the kernel this was
recorded on had no sch_netem or sch_fq_codel module, so those two layouts are not recorded.
"""

from __future__ import annotations

from ...kernel.host import Host
from ...kernel.interfaces import Interface
from ...kernel.numbers import NumberError, parse_float, parse_int
from ...kernel.tc.model import INGRESS_HANDLE, TC_H_INGRESS, TC_H_ROOT, DeviceTc, Qdisc, TcStats
from ...kernel.tc.shaping import drain
from ..base import CommandError, CommandResult
from ..userland import userland
from .devices import device
from .klass import ordered, stats_lines
from .units import (
    count,
    format_handle,
    format_rate,
    format_size,
    format_time,
    parse_classid,
    parse_handle,
    parse_rate,
    parse_size,
    parse_time,
)

FQ_CODEL = "limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64 "
FQ_CODEL_STATS = "\n  maxpacket 0 drop_overlimit 0 new_flow_count 0 ecn_mark 0\n  new_flows_len 0 old_flows_len 0"
"""fq_codel's own -s lines: zero here, as no queue builds without a shaper (see kernel.tc.shaping)."""
PRIOMAP = "bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1"
ROOT_KINDS = ("fq_codel", "pfifo_fast", "pfifo", "bfifo", "noqueue", "htb", "tbf", "netem")
LEAF_KINDS = ("fq_codel", "pfifo_fast", "pfifo", "bfifo", "netem")
KNOWN_QDISCS = frozenset({"fq", "sfq", "hfsc", "prio", "cake", "red", "choke", "codel", "drr", "qfq", "mq",
                          "mqprio", "multiq", "pie", "fq_pie", "hhf", "sfb", "gred", "cbs", "etf", "taprio",
                          "ets", "skbprio", "plug", "pfifo_head_drop"})
"""Real qdiscs this shell does not model (one line says so)."""
NO_QUEUE_KINDS = ("veth", "dummy", "bridge")
TBF_USAGE = ("Usage: ... tbf limit BYTES burst BYTES[/BYTES] rate KBPS [ mtu BYTES[/BYTES] ]\n"
             "\t[ peakrate KBPS ] [ latency TIME ] [ overhead BYTES ] [ linklayer TYPE ]")


def default_qdisc(iface: Interface) -> str:
    """What a device gets without tc: noqueue for software devices, else the default_qdisc
    (fq_codel, as systemd sets net.core.default_qdisc; a modelled NIC has one TX queue, so no mq)."""
    return "noqueue" if iface.is_loopback or iface.kind in NO_QUEUE_KINDS else "fq_codel"


# ---- printing -------------------------------------------------------------------------------------

def _params(q: Qdisc, iface: Interface) -> str:
    o = q.options
    if q.kind == "fq_codel":
        return FQ_CODEL if "limit" not in o else FQ_CODEL.replace("limit 10240p", f"limit {o['limit']}p")
    if q.kind == "pfifo_fast":
        return PRIOMAP
    if q.kind in ("pfifo", "bfifo"):
        return f"limit {q.limit}{'b' if q.kind == 'bfifo' else 'p'}"
    if q.kind == "htb":
        default = o.get("default", 0)
        return (f"r2q {o.get('r2q', 10)} default {f'{default:#x}' if default else 0} "
                f"direct_packets_stat {o.get('direct_packets_stat', 0)} direct_qlen {iface.txqueuelen}")
    if q.kind == "tbf":
        latency = (o["limit"] - o["burst"]) / o["rate"] * 1_000_000
        return f"rate {format_rate(o['rate'])} burst {format_size(o['burst'])} lat {format_time(latency)} "
    if q.kind == "netem":
        text = f"limit {q.limit}"
        if o.get("delay_us"):
            text += f" delay {format_time(o['delay_us'])}"
        if o.get("loss_ppm"):
            text += f" loss {o['loss_ppm'] / 10_000:g}%"
        return text
    return ""


def qdisc_lines(iface: Interface, with_dev: bool, stats: bool, only: str | None = None) -> list[str]:
    """Every qdisc of a device, root first, then the leaves under HTB classes, then ingress/clsact."""
    tc = iface.tc
    dev = f"dev {iface.name} " if with_dev else ""
    lines: list[str] = []
    if only in (None, "root"):
        root = tc.root or Qdisc(iface.qdisc, 0, TC_H_ROOT, stats=tc.default_stats)
        line = f"qdisc {root.kind} {format_handle(root.handle) if root.handle else '0:'} {dev}root refcnt 2 "
        line += _params(root, iface)
        if stats:
            counted = root.stats if root.kind != "noqueue" else TcStats()
            line += stats_lines(counted, _backlog(tc))
            if root.kind == "fq_codel":
                line += FQ_CODEL_STATS
        lines.append(line)
        for cls in ordered(tc):
            leaf = cls.leaf
            if leaf is None or not leaf.handle:
                continue
            line = f"qdisc {leaf.kind} {format_handle(leaf.handle)} {dev}parent {format_handle(cls.classid)} "
            line += _params(leaf, iface)
            if stats:
                line += stats_lines(leaf.stats, leaf.backlog())
            lines.append(line)
    if tc.ingress is not None and only in (None, "ingress"):
        q = tc.ingress
        line = f"qdisc {q.kind} ffff: {dev}parent ffff:fff1 " + ("---------------- " if q.kind == "ingress" else "")
        if stats:
            line += stats_lines(q.stats, (0, 0))
        lines.append(line)
    return lines


def _backlog(tc: DeviceTc) -> tuple[int, int]:
    held = [q.backlog() for q in tc.leaves()]
    return sum(b for b, _ in held), sum(p for _, p in held)


# ---- show -----------------------------------------------------------------------------------------

def show(host: Host, words: list[str], stats: bool) -> CommandResult:
    """`tc [-s] qdisc show [dev DEV] [root|ingress]`."""
    dev, only = None, None
    it = iter(words)
    for word in it:
        if word == "dev":
            dev = next(it, None)
            if dev is None:
                raise CommandError('Command line is not complete. Try option "help"', 1)
        elif word in ("root", "ingress"):
            only = word
        else:
            raise CommandError(f'What is "{word}"?', 1)
    for iface in host.interfaces.values():
        drain(iface.tc, host.clock)
    if dev is not None:
        return CommandResult("\n".join(qdisc_lines(device(host, dev), False, stats, only)))
    ordered = sorted(host.interfaces.values(), key=lambda i: i.index)
    return CommandResult("\n".join(line for i in ordered for line in qdisc_lines(i, True, stats, only)))


# ---- add / replace / change / del -----------------------------------------------------------------

def modify(host: Host, verb: str, words: list[str]) -> CommandResult:
    """`tc qdisc add|replace|change|del dev DEV (root|parent CLASSID|ingress|clsact) [handle H:] KIND ...`."""
    dev, parent, handle, rest = None, None, None, list(words)
    kind_words: list[str] = []
    while rest:
        word = rest.pop(0)
        if word == "dev" and rest:
            dev = rest.pop(0)
        elif word == "root":
            parent = TC_H_ROOT
        elif word in ("ingress", "clsact") and parent is None:
            parent, kind_words = TC_H_INGRESS, [word, *rest]
            break
        elif word == "parent" and rest:
            value = rest.pop(0)
            parent = parse_classid(value) if ":" in value and not value.endswith(":") else parse_handle(value)
            if parent is None:
                raise CommandError(f'Invalid parent ID "{value}"', 1)
        elif word == "handle" and rest:
            value = rest.pop(0)
            handle = parse_handle(value)
            if handle is None:
                raise CommandError(f'invalid qdisc ID "{value}"', 1)
        else:
            kind_words = [word, *rest]
            break
    if dev is None:
        raise CommandError('Cannot find device ""' if "dev" in words else "Error: qdisc requires a device.", 1)
    iface = device(host, dev)
    tc = iface.tc
    drain(tc, host.clock)
    if parent == TC_H_INGRESS:
        return _ingress(tc, verb, kind_words)
    if verb == "del":
        return _delete(iface, parent)
    if parent is None:
        raise CommandError('Error: parent is required ("root", "parent X:Y", "ingress" or "clsact").', 2)
    if not kind_words:
        raise CommandError('Unknown qdisc "", hence option "" is unparsable', 1)
    kind, params = kind_words[0], kind_words[1:]
    if kind in KNOWN_QDISCS:
        raise CommandError(f"tc: qdisc '{kind}' is not simulated here (only {', '.join(ROOT_KINDS)}, "
                           "and ingress/clsact)", 1)
    if kind not in ROOT_KINDS:
        raise CommandError("Error: Specified qdisc kind is unknown.", 2)
    options = parse_options(kind, params, iface)
    if parent != TC_H_ROOT:
        return _leaf(host, iface, verb, parent, handle, kind, options)
    return _root(host, iface, verb, handle, kind, options)


def _root(host: Host, iface: Interface, verb: str, handle: int | None, kind: str,
          options: dict[str, int]) -> CommandResult:
    tc = iface.tc
    current = tc.root
    if kind == "noqueue" and not (iface.is_loopback or iface.kind in NO_QUEUE_KINDS):
        raise CommandError("Error: Can't use noqueue on this device: it has a transmit queue.", 2)
    if verb == "add" and current is not None:
        if handle is not None and handle != current.handle:
            raise CommandError("Error: NLM_F_REPLACE needed to override.", 2)
        raise CommandError("Error: Exclusivity flag on, cannot modify.", 2)
    if verb == "change" and current is None:
        raise CommandError("Error: Qdisc not found. To create specify NLM_F_CREATE flag.", 2)
    if verb == "change" and current is not None and current.kind != kind:
        raise CommandError("Error: Invalid qdisc name: must match existing qdisc.", 2)
    if current is not None and current.kind == kind and handle in (None, current.handle):
        current.options.update(options)  # same qdisc: new parameters, same counters and queue
        current.bucket = None
        return CommandResult(changed=True)
    if current is not None and handle == current.handle:
        raise CommandError("Error: Invalid qdisc name: must match existing qdisc.", 2)
    tc.root = Qdisc(kind, handle if handle is not None else _auto_handle(host), TC_H_ROOT, options)
    tc.classes.clear()
    if current is not None:
        tc.filters = [f for f in tc.filters if f.parent >> 16 != current.handle >> 16 or f.parent >> 16 == 0xFFFF]
    iface.qdisc = kind
    return CommandResult(changed=True)


def _auto_handle(host: Host) -> int:
    state = userland(host)
    value = state.next_qdisc_handle
    state.next_qdisc_handle += 1
    return value << 16


def _leaf(host: Host, iface: Interface, verb: str, parent: int, handle: int | None, kind: str,
          options: dict[str, int]) -> CommandResult:
    tc = iface.tc
    cls = tc.classes.get(parent)
    if cls is None:
        raise CommandError("Error: Specified class not found.", 2)
    if kind not in LEAF_KINDS:
        raise CommandError(f"tc: qdisc '{kind}' under a class is not simulated here "
                           f"(a leaf can be {', '.join(LEAF_KINDS)})", 1)
    current = cls.leaf if cls.leaf is not None and cls.leaf.handle else None
    if verb == "add" and current is not None:
        raise CommandError("Error: Exclusivity flag on, cannot modify.", 2)
    if verb == "change" and current is None:
        raise CommandError("Error: Qdisc not found. To create specify NLM_F_CREATE flag.", 2)
    if current is not None and current.kind == kind:
        current.options.update(options)
        return CommandResult(changed=True)
    cls.leaf = Qdisc(kind, handle if handle is not None else _auto_handle(host), parent, options)
    return CommandResult(changed=True)


def _delete(iface: Interface, parent: int | None) -> CommandResult:
    tc = iface.tc
    if parent in (None, TC_H_ROOT):
        if tc.root is None:
            raise CommandError("Error: Cannot delete qdisc with handle of zero.", 2)
        handle = tc.root.handle
        tc.root = None
        tc.classes.clear()
        tc.filters = [f for f in tc.filters if f.parent >> 16 != handle >> 16]
        iface.qdisc = default_qdisc(iface)
        return CommandResult(changed=True)
    cls = tc.classes.get(parent)
    if cls is None or cls.leaf is None or not cls.leaf.handle:
        raise CommandError("Error: Cannot delete qdisc with handle of zero.", 2)
    cls.leaf = None  # back to the class's own default pfifo
    return CommandResult(changed=True)


def _ingress(tc: DeviceTc, verb: str, words: list[str]) -> CommandResult:
    kind = words[0]
    if len(words) > 1 and words[1:] != ["handle", "ffff:"]:
        raise CommandError(f'What is "{words[1]}"?', 1)
    if verb == "del":
        if tc.ingress is None or tc.ingress.kind != kind and kind != "ingress":
            raise CommandError("Error: Cannot find specified qdisc on specified device.", 2)
        tc.ingress = None
        tc.filters = [f for f in tc.filters if f.parent >> 16 != 0xFFFF]
        return CommandResult(changed=True)
    if tc.ingress is not None:
        if verb == "add" or tc.ingress.kind != kind:
            raise CommandError("Error: Exclusivity flag on, cannot modify.", 2)
        return CommandResult(changed=True)
    if verb == "change":
        raise CommandError("Error: Qdisc not found. To create specify NLM_F_CREATE flag.", 2)
    tc.ingress = Qdisc(kind, INGRESS_HANDLE, TC_H_INGRESS)
    return CommandResult(changed=True)


# ---- options --------------------------------------------------------------------------------------

def parse_options(kind: str, params: list[str], iface: Interface) -> dict[str, int]:
    """The parameters of one qdisc, with tc's own messages for what it refuses."""
    if kind in ("pfifo", "bfifo"):
        return _fifo_options(kind, params, iface)
    if kind == "htb":
        return _htb_options(params)
    if kind == "tbf":
        return _tbf_options(params)
    if kind == "netem":
        return _netem_options(params)
    if kind == "fq_codel":
        if params[:1] == ["limit"] and len(params) == 2 and count(params[1]) is not None:
            return {"limit": count(params[1]) or 0}
    if params:
        raise CommandError(f"tc: {kind} parameters ('{' '.join(params)}') are not simulated here; "
                           "the defaults are used", 1)
    return {"limit": 10240} if kind == "fq_codel" else {}


def _fifo_options(kind: str, params: list[str], iface: Interface) -> dict[str, int]:
    default = iface.txqueuelen * (iface.mtu + 14) if kind == "bfifo" else iface.txqueuelen
    options = {"limit": default}
    it = iter(params)
    for word in it:
        if word != "limit":
            raise CommandError(f'{kind}: unknown parameter "{word}"\n'
                               "Usage: ... <[p|b]fifo | pfifo_head_drop> [ limit NUMBER ]", 1)
        value = next(it, "")
        number = parse_size(value) if kind == "bfifo" else count(value)
        if number is None:
            raise CommandError(f'{kind}: Illegal value for "limit": "{value}"', 1)
        options["limit"] = number
    return options


def _htb_options(params: list[str]) -> dict[str, int]:
    options: dict[str, int] = {"r2q": 10}
    it = iter(params)
    for word in it:
        value = next(it, "") if word in ("default", "r2q", "direct_qlen") else None
        if value is None or not value:
            raise CommandError(f'What is "{word}"?\nUsage: ... qdisc add ... htb [default N] [r2q N]\n'
                               "                      [direct_qlen P] [offload]", 1)
        try:
            options[word] = parse_int(value, 0, 2**32 - 1, base=16 if word == "default" else 10)
        except NumberError:
            raise CommandError(f'Illegal "{word}"', 1) from None
    return options


def _tbf_options(params: list[str]) -> dict[str, int]:
    options: dict[str, int] = {}
    latency = None
    it = iter(params)
    for word in it:
        value = next(it, "")
        name = {"buffer": "burst", "maxburst": "burst"}.get(word, word)
        if name == "rate":
            number = parse_rate(value)
        elif name in ("burst", "limit"):
            number = parse_size(value.split("/")[0])
        elif name == "latency":
            number = parse_time(value)
            if number is not None:
                latency = number
                continue
        else:
            raise CommandError(f"tbf: '{word}' is not simulated here (rate, burst, limit, latency)", 1)
        if number is None:
            raise CommandError(f'tbf: illegal value for "{word}": "{value}"', 1)
        options[name] = number
    missing = []
    if "rate" not in options:
        missing.append('tbf: the "rate" parameter is mandatory.')
    if "burst" not in options:
        missing.append('tbf: the "burst" parameter is mandatory.')
    if latency is not None and "limit" in options:
        raise CommandError('tbf: specifying both "limit" and "/latency" is not allowed', 1)
    if latency is None and "limit" not in options:
        missing.append('tbf: either "limit" or "latency" is required.')
    if missing:
        raise CommandError("\n".join([*missing, TBF_USAGE]), 1)
    if latency is not None:
        options["limit"] = int(options["rate"] * latency / 1_000_000) + options["burst"]
    if options["rate"] <= 0:
        raise CommandError('tbf: illegal value for "rate": "0"', 1)
    return options


def _netem_options(params: list[str]) -> dict[str, int]:
    options: dict[str, int] = {"limit": 1000}
    it = iter(params)
    for word in it:
        value = next(it, "")
        if word == "delay":
            number = parse_time(value)
            key = "delay_us"
        elif word in ("loss", "drop") and value == "random":
            value, number, key = next(it, ""), None, "loss_ppm"
        elif word in ("loss", "drop"):
            number, key = None, "loss_ppm"
        elif word == "limit":
            number, key = count(value), "limit"
        else:
            raise CommandError(f"netem: '{word}' is not simulated here (delay, loss, limit)", 1)
        if key == "loss_ppm":
            try:
                number = round(parse_float(value.rstrip("%")) * 10_000)
            except NumberError:
                number = None
            if number is not None and not 0 <= number <= 1_000_000:
                number = None
        if number is None:
            raise CommandError(f'Illegal "{word}"', 1)
        options[key] = number
    return options
