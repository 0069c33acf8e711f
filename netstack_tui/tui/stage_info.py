"""Per-stage teaching data: which analogy fits a stage, and the real commands that show the same thing.

Pure data and small functions over a `Step`; the explanation pane and the help screen read them.
"""

from __future__ import annotations

import re

from ..kernel.addr import format_ipv4
from ..kernel.stages import STAGE_BY_ID
from ..kernel.trace import Step, Trace
from ..kernel.world import ROOT_NAME

ANALOGY_BY_STAGE: dict[str, str] = {
    "nic": "path",
    "dma": "ring",
    "napi": "ring",
    "xdp": "xdp",
    "xdp_generic": "xdp",
    "skb": "skb",
    "gro": "skb",
    "tc_ingress": "path",
    "veth": "veth",
    "bridge": "bridge",
    "neigh": "neigh",
    "ip_rcv": "path",
    "route_input": "routing",
    "route_output": "routing",
    "reroute": "routing",
    "ip_forward": "routing",
    "socket": "socket",
    "app": "socket",
    "send": "socket",
    "qdisc": "egress",
    "tx": "egress",
    "prerouting.conntrack": "conntrack",
    "output.conntrack": "conntrack",
    "input.confirm": "conntrack",
    "postrouting.confirm": "conntrack",
}
"""Stage id → analogy name (`ui.analogy.<name>` in the catalogs); netfilter tables use `netfilter`."""

GROUP_KEYS: tuple[str, ...] = (
    "link",
    "NIC",
    "skb",
    "IP",
    "PREROUTING",
    "routing",
    "INPUT",
    "socket",
    "FORWARD",
    "OUTPUT",
    "POSTROUTING",
    "TX",
)
"""Pipeline groups in the kernel's order; each has a glossary entry `ui.group.<name>`."""


def analogy_key(step: Step) -> str | None:
    """The catalog key of the analogy that fits this step's stage, if any."""
    name = ANALOGY_BY_STAGE.get(step.stage)
    if name is None:
        stage = STAGE_BY_ID.get(step.stage)
        if stage is not None and stage.table is not None:
            name = "nat" if stage.table == "nat" else "netfilter"
    return f"ui.analogy.{name}" if name else None


SOFTWARE_DRIVERS = frozenset({"loopback", "dummy", "veth", "bridge"})
"""Devices without an RX ring: `ethtool -g` and the NIC's drop counters do not apply to them."""


def _has_rx_ring(trace: Trace, dev: str) -> bool:
    """Whether the device the packet arrived on is a NIC with a ring (its driver, from the nic step)."""
    for step in trace.steps:
        if step.stage == "nic" and step.param.get("dev") == dev:
            return step.param.get("driver") not in SOFTWARE_DRIVERS
    return dev != "lo"


def _fd_count(step: Step) -> list[str]:
    """How many descriptors the step's app holds, when the step names the app."""
    app = step.param.get("app", "-")
    return [] if app == "-" else [f"ls -l /proc/$(pidof -s {app})/fd | wc -l"]


def real_commands(step: Step, trace: Trace) -> list[str]:
    """Commands that show, on a real machine, what this step shows here (run inside the step's
    namespace when that is not the root one)."""
    commands = _commands(step, trace)
    if step.host == ROOT_NAME:
        return commands
    # A container's namespace is not in /run/netns: Docker reaches it by the container's id.
    enter = "docker exec" if _CONTAINER_ID.fullmatch(step.host) else "ip netns exec"
    return [f"{enter} {step.host} {command}" for command in commands]


_CONTAINER_ID = re.compile(r"[0-9a-f]{12}")
"""How traces name a container's namespace: its short id."""


def _commands(step: Step, trace: Trace) -> list[str]:
    pkt = step.packet
    dev = pkt.iif or pkt.oif or trace.packet.iif or "eth0"
    stage = STAGE_BY_ID.get(step.stage)
    if stage is not None and stage.table is not None:
        chain = step.chain or (stage.hook or "INPUT")
        table = "" if stage.table == "filter" else f"-t {stage.table} "
        return [f"iptables {table}-L {chain} -v -n --line-numbers", f"nft list chain ip {stage.table} {chain}"]
    src, dst = format_ipv4(pkt.src), format_ipv4(pkt.dst)
    by_stage: dict[str, list[str]] = {
        "nic": [f"ip -s link show {dev}", f"ethtool -i {dev}"] if dev != "lo" else [f"ip -s link show {dev}"],
        "dma": ([f"ethtool -g {dev}", f"ethtool -S {dev} | grep -E 'rx_(missed|fifo|dropped)'"]
                if _has_rx_ring(trace, dev) else [f"ip -s link show {dev}"]),
        "napi": ["cat /proc/interrupts", "cat /proc/net/softnet_stat"],
        "xdp": [f"ip link show {dev}", "bpftool net show"],
        "xdp_generic": [f"ip link show {dev}", "bpftool net show"],
        "skb": ["perf trace -e skb:kfree_skb", "dropwatch -l kas"],
        "gro": [f"ethtool -k {dev} | grep generic-receive-offload"],
        "tc_ingress": [f"tc qdisc show dev {dev} ingress", f"tcpdump -ni {dev}"],
        "ip_rcv": ["nstat -az IpInHdrErrors IpInReceives", "netstat -s | grep -i 'ip:' -A 10"],
        "prerouting.conntrack": [f"conntrack -L -s {src}", "conntrack -S"],
        "output.conntrack": [f"conntrack -L -d {dst}", "conntrack -S"],
        "input.confirm": ["conntrack -L", "sysctl net.netfilter.nf_conntrack_count"],
        "postrouting.confirm": ["conntrack -L", "sysctl net.netfilter.nf_conntrack_count"],
        "route_input": [f"ip route get {dst} from {src} iif {dev}", "ip rule show"],
        "route_output": [f"ip route get {dst}", "ip route show table all"],
        "reroute": [f"ip route get {dst} mark {pkt.mark:#x}"],
        "ip_forward": ["sysctl net.ipv4.ip_forward", "nstat -az IpForwDatagrams"],
        "socket": ["ss -ltn", f"ss -tn state syn-recv '( sport = :{pkt.dport} )'"],
        "app": ["ss -ltnp", *_fd_count(step)],
        "send": ["ss -tnp", f"ip route get {dst}"],
        "qdisc": [f"tc -s qdisc show dev {pkt.oif or dev}"],
        "tx": [f"ip -s link show {pkt.oif or dev}", f"tcpdump -ni {pkt.oif or dev}"],
        "neigh": [f"ip neigh show dev {pkt.oif or dev}", "ip neigh"],
        "veth": [f"ip -d link show {dev}", "ip netns list"],
        "bridge": [f"bridge fdb show br {step.param.get('bridge', 'br0')}", "bridge link"],
    }
    return by_stage.get(step.stage, [])
