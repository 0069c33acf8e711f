"""`ip link` and `ip addr` listings, laid out as iproute2 prints them."""

from __future__ import annotations

import hashlib

from ...kernel.addr import format_prefix, prefix_mask
from ...kernel.host import Host, far_host
from ...kernel.interfaces import Interface
from ..base import CommandError
from .common import Options, not_simulated
from .details import detail_suffix, detail_tail

# ---- ip link / ip addr: listing ---------------------------------------------------------------


def link_flags(host: Host, iface: Interface) -> str:
    """The `<...>` flags, including NO-CARRIER for a veth whose peer is down or a port-less bridge."""
    names = ["LOOPBACK"] if iface.is_loopback else ["BROADCAST", "MULTICAST"]
    if iface.kind == "dummy":
        names = ["BROADCAST", "NOARP"]
    if iface.promisc:
        names.append("PROMISC")
    peer_down = _peer_down(host, iface)
    carrier = not peer_down and (iface.kind != "bridge" or _bridge_carrier(host, iface))
    if iface.up:
        names += ["UP", "LOWER_UP"] if carrier else ["UP"]
        if not carrier:
            names.insert(0, "NO-CARRIER")
    if peer_down:
        names.append("M-DOWN")
    return ",".join(names)


def _peer_down(host: Host, iface: Interface) -> bool:
    """A veth whose other end is down (or gone) has no carrier."""
    if iface.cable is not None:
        far = iface.cable.far()
        return far is None or not far.up
    peer = host.interfaces.get(iface.peer) if iface.kind == "veth" and iface.peer else None
    return peer is not None and not peer.up


def _bridge_carrier(host: Host, iface: Interface) -> bool:
    """A bridge has a carrier once one of its ports is up with a carrier of its own."""
    return any(p.master == iface.name and p.up and not _peer_down(host, p) for p in host.interfaces.values())


def oper_state(host: Host, iface: Interface) -> str:
    """Operational state as `ip link` prints it."""
    if not iface.up:
        return "DOWN"
    if iface.is_loopback or iface.kind == "dummy":
        return "UNKNOWN"
    if iface.kind == "bridge":
        return "UP" if _bridge_carrier(host, iface) else "DOWN"
    return "LOWERLAYERDOWN" if _peer_down(host, iface) else "UP"


XDP_FLAG = {"native": "xdp", "generic": "xdpgeneric", "offload": "xdpoffload"}


def prog_tag(name: str) -> str:
    """A stable stand-in for the BPF program tag (the kernel hashes the instructions)."""
    return hashlib.sha1(name.encode()).hexdigest()[:16]


def ifname(iface: Interface) -> str:
    """`veth0@veth1` when the peer is in the same namespace, `veth0@if7` (its ifindex) when not."""
    if iface.cable is not None and iface.kind == "veth":
        far = iface.cable.far()
        if far is None:
            return f"{iface.name}@NONE"
        if iface.cable.host.interfaces.get(iface.name) is not iface:
            return f"{iface.name}@if{far.index}"
        return f"{iface.name}@{far.name}"
    return f"{iface.name}@{iface.peer}" if iface.peer else iface.name


def _link_netns(iface: Interface) -> str:
    """` link-netns NAME` on a veth whose peer lives in another (named) namespace, as iproute2 adds it."""
    if iface.cable is None or iface.kind != "veth":
        return ""
    there = far_host(iface.cable)
    if there.interfaces.get(iface.name) is iface:
        return ""
    world = there.world
    name = world.name_of(there) if world is not None else None
    return f" link-netns {name}" if name else " link-netnsid 0"


def _header(host: Host, iface: Interface, *, link: bool) -> str:
    xdp = ""
    if iface.xdp is not None and iface.xdp_mode:
        flag = XDP_FLAG[iface.xdp_mode]
        xdp = f" {flag}" if link else f" {flag}/id:{iface.xdp.prog_id}"
    mode = " mode DEFAULT" if link else ""
    master = f" master {iface.master}" if iface.master else ""
    return (
        f"{iface.index}: {ifname(iface)}: <{link_flags(host, iface)}> mtu {iface.mtu}{xdp} qdisc {iface.qdisc}"
        f"{master} state {oper_state(host, iface)}{mode} group default qlen {iface.txqueuelen}"
    )


def _link_line(iface: Interface) -> str:
    if iface.is_loopback:
        return f"    link/loopback {iface.mac} brd 00:00:00:00:00:00"
    return f"    link/ether {iface.mac} brd ff:ff:ff:ff:ff:ff{_link_netns(iface)}"


def _prog_line(iface: Interface) -> list[str]:
    if iface.xdp is None:
        return []
    return [f"    prog/xdp id {iface.xdp.prog_id} name {iface.xdp.name} tag {prog_tag(iface.xdp.name)} jited "]


def stats_lines(iface: Interface) -> list[str]:
    """The `ip -s link` block (print_stats64): columns sized to the widest number."""
    s = iface.stats
    rx = [s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed, s.rx_mcast]
    tx = [s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, 0, 0]
    cols = [len("*X errors:"), len("packets"), len("errors"), len("dropped"), len("carrier"), len("collsns")]
    for values in (rx, tx):
        cols = [max(c, len(str(v))) for c, v in zip(cols, values, strict=True)]
    extra = " " * (len("compressed") + 1)

    def header(tag: str, names: list[str]) -> str:
        cells = [f"{names[0]:>{cols[0] - 4}}"] + [f"{n:>{w}}" for n, w in zip(names[1:], cols[1:], strict=True)]
        return f"    {tag}: " + " ".join(cells) + extra

    def numbers(vals: list[int]) -> str:
        return "    " + "".join(f"{v:>{w}} " for v, w in zip(vals, cols, strict=True))

    return [
        header("RX", ["bytes", "packets", "errors", "dropped", "missed", "mcast"]),
        numbers(rx),
        header("TX", ["bytes", "packets", "errors", "dropped", "carrier", "collsns"]),
        numbers(tx),
    ]


def _secondary(iface: Interface, index: int) -> bool:
    address = iface.addresses[index]
    mask = prefix_mask(address.prefixlen)
    return any(
        a.prefixlen == address.prefixlen and (a.addr & mask) == (address.addr & mask) for a in iface.addresses[:index]
    )


def _inet_lines(iface: Interface) -> list[str]:
    lines = []
    for i, a in enumerate(iface.addresses):
        flags = " secondary" if _secondary(iface, i) else ""
        lines.append(f"    inet {format_prefix(a.addr, a.prefixlen)} scope {a.scope}{flags} {a.label or iface.name}")
        lines.append("       valid_lft forever preferred_lft forever")
    return lines


def _select(host: Host, args: list[str]) -> list[Interface]:
    """`[dev] NAME` and `up` selectors of `ip link show` / `ip addr show`."""
    name, only_up = None, False
    i = 0
    while i < len(args):
        word = args[i]
        if word == "dev" and i + 1 < len(args):
            name, i = args[i + 1], i + 2
            continue
        if word == "up":
            only_up = True
        elif word in ("type", "master", "group", "vrf", "scope", "to", "label", "permanent", "dynamic"):
            raise not_simulated(f"show {word}")
        elif name is None:
            name = word
        else:
            raise CommandError(f'Error: either "dev" is duplicate, or "{word}" is a garbage.', 255)
        i += 1
    if name is not None and name not in host.interfaces:
        raise CommandError(f'Device "{name}" does not exist.', 1)
    chosen = [host.interfaces[name]] if name is not None else sorted(host.interfaces.values(), key=lambda x: x.index)
    return [iface for iface in chosen if iface.up or not only_up]


def _details(host: Host, iface: Interface, opts: Options) -> str:
    """What `-d` adds after the `link/...` line's address (possibly a line of its own)."""
    if not opts.details:
        return ""
    virtio = [i for i in host.interfaces.values() if i.kind == "ether" and i.driver == "virtio_net"]
    number = virtio.index(iface) if iface in virtio else 0
    return detail_suffix(iface) + detail_tail(iface, number)


def show_links(host: Host, opts: Options, args: list[str]) -> str:
    """`ip link show`."""
    lines: list[str] = []
    for iface in _select(host, args):
        if opts.brief:
            lines.append(f"{ifname(iface):<16} {oper_state(host, iface):<14} {iface.mac} <{link_flags(host, iface)}> ")
            continue
        lines += [_header(host, iface, link=True), _link_line(iface) + _details(host, iface, opts)]
        lines += _prog_line(iface)
        if opts.stats:
            lines += stats_lines(iface)
    return "\n".join(lines)


def show_addrs(host: Host, opts: Options, args: list[str]) -> str:
    """`ip addr show`."""
    lines: list[str] = []
    for iface in _select(host, args):
        if opts.brief:
            addrs = "".join(f"{format_prefix(a.addr, a.prefixlen)} " for a in iface.addresses)
            lines.append(f"{ifname(iface):<16} {oper_state(host, iface):<14} {addrs}")
            continue
        if opts.family4 and not iface.addresses:
            continue
        lines.append(_header(host, iface, link=False))
        if not opts.family4:
            lines.append(_link_line(iface) + _details(host, iface, opts))
        lines += _inet_lines(iface)
    return "\n".join(lines)
