"""The pipeline, declared as data: every stage a packet can pass, in the kernel's order.

The engine (`netstack_tui.kernel.stack`) emits steps whose `stage` is one of these ids, and the TUI
draws its pipeline from this same table, so the picture is the graph the engine walks.

Ordering follows the kernel, not folklore: on the way in, generic XDP runs after GRO, in
__netif_receive_skb_core(); on the way out, POSTROUTING runs in ip_output() / ip_finish_output()
*before* the packet reaches the egress qdisc in __dev_queue_xmit().
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Path(StrEnum):
    """Which part of the journey a stage belongs to."""

    RX = "rx"
    """Driver and early receive: wire to sk_buff."""
    PREROUTING = "prerouting"
    LOCAL_IN = "local_in"
    FORWARD = "forward"
    LOCAL_OUT = "local_out"
    POSTROUTING = "postrouting"
    TX = "tx"
    BRIDGE = "bridge"
    """Netfilter hooks br_netfilter runs for a frame the bridge forwards (port to port)."""


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of the path."""

    id: str
    group: str
    """Heading the pipeline view groups stages under (`NIC`, `PREROUTING`, `INPUT`, ...)."""
    label: str
    """Short label for the pipeline view."""
    function: str
    """The kernel function the stage models."""
    path: Path
    hook: str | None = None
    """Netfilter hook name, for netfilter stages."""
    table: str | None = None
    """iptables table, for netfilter table stages."""
    priority: int | None = None
    """Netfilter hook priority (NF_IP_PRI_*)."""


def _nf(hook: str, table: str, priority: int, path: Path) -> Stage:
    return Stage(f"{hook.lower()}.{table}", hook, table, "nf_hook_slow", path, hook, table, priority)


BRIDGED_PREFIX = "bridge."
"""Stage ids of the hooks br_netfilter runs for bridged frames: `bridge.prerouting.raw`, ..."""

# The bridge hook that calls each IPv4 hook (net/bridge/br_netfilter_hooks.c).
_BR_CALLER = {"PREROUTING": "br_nf_pre_routing", "FORWARD": "br_nf_forward_ip", "POSTROUTING": "br_nf_post_routing"}


def _br(hook: str, table: str | None, priority: int, label: str | None = None) -> Stage:
    """A netfilter stage as br_netfilter runs it for a bridged frame (same table, same priority)."""
    table_id = table or ("conntrack" if priority == -200 else "confirm")
    function = {"conntrack": "nf_conntrack_in", "confirm": "nf_conntrack_confirm"}.get(table_id, "nf_hook_slow")
    return Stage(f"{BRIDGED_PREFIX}{hook.lower()}.{table_id}", hook, label or f"{table_id} (bridged)",
                 f"{_BR_CALLER[hook]} → {function}", Path.BRIDGE, hook, table, priority)


# Netfilter priorities, include/uapi/linux/netfilter_ipv4.h
NF_IP_PRI_RAW = -300
NF_IP_PRI_CONNTRACK = -200
NF_IP_PRI_MANGLE = -150
NF_IP_PRI_NAT_DST = -100
NF_IP_PRI_FILTER = 0
NF_IP_PRI_SECURITY = 50
# iptables-nft registers its security chains at 150, not at NF_IP_PRI_SECURITY: after nat INPUT.
# (Measured: `nft list ruleset` shows `type filter hook input priority 150` for table ip security.)
IPTABLES_NFT_SECURITY = 150
NF_IP_PRI_NAT_SRC = 100
NF_IP_PRI_CONNTRACK_CONFIRM = 2**31 - 1

STAGES: tuple[Stage, ...] = (
    # A frame from a veth's peer skips the NIC entirely: the sending side hands over its skb.
    Stage("veth", "link", "veth: from the peer", "veth_xmit → __netif_rx", Path.RX),
    Stage("nic", "NIC", "NIC", "NIC hardware (MAC filter, offloads)", Path.RX),
    Stage("dma", "NIC", "DMA → RX ring", "NIC DMA engine (RX descriptor ring)", Path.RX),
    Stage("napi", "NIC", "IRQ → NAPI poll", "napi_poll", Path.RX),
    Stage("xdp", "NIC", "XDP (native)", "bpf_prog_run_xdp", Path.RX),
    Stage("skb", "skb", "sk_buff alloc", "napi_build_skb", Path.RX),
    Stage("gro", "skb", "GRO", "napi_gro_receive", Path.RX),
    # Generic XDP runs in __netif_receive_skb_core(), which GRO's netif_receive_skb() leads to:
    # after GRO, before the packet taps and tc ingress.
    Stage("xdp_generic", "skb", "XDP (generic)", "do_xdp_generic", Path.RX),
    Stage("tc_ingress", "skb", "tc ingress", "sch_handle_ingress", Path.RX),
    # br_netfilter's PREROUTING runs from the bridge's own PREROUTING hook, in br_handle_frame(),
    # before br_handle_frame_finish() learns the source MAC and picks the port.
    _br("PREROUTING", "raw", NF_IP_PRI_RAW),
    _br("PREROUTING", None, NF_IP_PRI_CONNTRACK, "conntrack (bridged)"),
    _br("PREROUTING", "mangle", NF_IP_PRI_MANGLE),
    _br("PREROUTING", "nat", NF_IP_PRI_NAT_DST),
    # The bridge is the port's rx_handler, after tc ingress: up to its host, or out another port.
    Stage("bridge", "skb", "bridge", "br_handle_frame", Path.RX),
    # A frame sent out of another port: br_forward() → the bridge's FORWARD and POST_ROUTING hooks.
    _br("FORWARD", "mangle", NF_IP_PRI_MANGLE),
    _br("FORWARD", "filter", NF_IP_PRI_FILTER),
    _br("FORWARD", "security", IPTABLES_NFT_SECURITY),
    _br("POSTROUTING", "mangle", NF_IP_PRI_MANGLE),
    _br("POSTROUTING", "nat", NF_IP_PRI_NAT_SRC),
    _br("POSTROUTING", None, NF_IP_PRI_CONNTRACK_CONFIRM, "conntrack confirm (bridged)"),
    Stage("ip_rcv", "IP", "ip_rcv checks", "ip_rcv", Path.RX),
    _nf("PREROUTING", "raw", NF_IP_PRI_RAW, Path.PREROUTING),
    Stage("prerouting.conntrack", "PREROUTING", "conntrack", "nf_conntrack_in", Path.PREROUTING,
          "PREROUTING", None, NF_IP_PRI_CONNTRACK),
    _nf("PREROUTING", "mangle", NF_IP_PRI_MANGLE, Path.PREROUTING),
    _nf("PREROUTING", "nat", NF_IP_PRI_NAT_DST, Path.PREROUTING),
    Stage("route_input", "routing", "routing decision", "ip_route_input_noref", Path.PREROUTING),
    _nf("INPUT", "mangle", NF_IP_PRI_MANGLE, Path.LOCAL_IN),
    _nf("INPUT", "filter", NF_IP_PRI_FILTER, Path.LOCAL_IN),
    _nf("INPUT", "nat", NF_IP_PRI_NAT_SRC, Path.LOCAL_IN),
    _nf("INPUT", "security", IPTABLES_NFT_SECURITY, Path.LOCAL_IN),
    Stage("input.confirm", "INPUT", "conntrack confirm", "nf_conntrack_confirm", Path.LOCAL_IN,
          "INPUT", None, NF_IP_PRI_CONNTRACK_CONFIRM),
    Stage("socket", "socket", "socket lookup", "__inet_lookup_skb", Path.LOCAL_IN),
    Stage("app", "socket", "application", "tcp_v4_rcv / udp_rcv", Path.LOCAL_IN),
    Stage("ip_forward", "FORWARD", "ip_forward", "ip_forward", Path.FORWARD),
    _nf("FORWARD", "mangle", NF_IP_PRI_MANGLE, Path.FORWARD),
    _nf("FORWARD", "filter", NF_IP_PRI_FILTER, Path.FORWARD),
    _nf("FORWARD", "security", IPTABLES_NFT_SECURITY, Path.FORWARD),
    Stage("send", "OUTPUT", "app / stack sends", "ip_queue_xmit / ip_send_reply", Path.LOCAL_OUT),
    Stage("route_output", "OUTPUT", "routing (output)", "ip_route_output_key", Path.LOCAL_OUT),
    _nf("OUTPUT", "raw", NF_IP_PRI_RAW, Path.LOCAL_OUT),
    Stage("output.conntrack", "OUTPUT", "conntrack", "nf_conntrack_in", Path.LOCAL_OUT,
          "OUTPUT", None, NF_IP_PRI_CONNTRACK),
    _nf("OUTPUT", "mangle", NF_IP_PRI_MANGLE, Path.LOCAL_OUT),
    _nf("OUTPUT", "nat", NF_IP_PRI_NAT_DST, Path.LOCAL_OUT),
    _nf("OUTPUT", "filter", NF_IP_PRI_FILTER, Path.LOCAL_OUT),
    _nf("OUTPUT", "security", IPTABLES_NFT_SECURITY, Path.LOCAL_OUT),
    Stage("reroute", "OUTPUT", "reroute", "ip_route_me_harder", Path.LOCAL_OUT),
    _nf("POSTROUTING", "mangle", NF_IP_PRI_MANGLE, Path.POSTROUTING),
    _nf("POSTROUTING", "nat", NF_IP_PRI_NAT_SRC, Path.POSTROUTING),
    Stage("postrouting.confirm", "POSTROUTING", "conntrack confirm", "nf_conntrack_confirm",
          Path.POSTROUTING, "POSTROUTING", None, NF_IP_PRI_CONNTRACK_CONFIRM),
    Stage("neigh", "TX", "neighbour (ARP)", "neigh_resolve_output", Path.TX),
    Stage("qdisc", "TX", "egress qdisc", "__dev_queue_xmit", Path.TX),
    Stage("tx", "TX", "driver TX ring", "ndo_start_xmit", Path.TX),
)

STAGE_BY_ID: dict[str, Stage] = {stage.id: stage for stage in STAGES}

# Base chains each hook has in each iptables table, in the order iptables lists them.
TABLE_CHAINS: dict[str, tuple[str, ...]] = {
    "raw": ("PREROUTING", "OUTPUT"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "security": ("INPUT", "FORWARD", "OUTPUT"),
}


def stage(stage_id: str) -> Stage:
    """The stage with this id; KeyError names it when unknown."""
    return STAGE_BY_ID[stage_id]
