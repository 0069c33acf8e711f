"""`ip -d` (`-details`): what iproute2 6.x adds to a link's `link/...` line and the line after it.

Layouts copied from `ip -d link show` on kernel 6.18: promiscuity, allmulti, the MTU range, the
device kind's own line (veth, bridge, dummy), addrgenmode, queue counts and GSO/GRO limits; a
virtio NIC also names its parent bus.
"""

from __future__ import annotations

from ...kernel.interfaces import Interface

_GSO = "gso_max_size 65536 gso_max_segs 65535 tso_max_size {tso} tso_max_segs 65535 gro_max_size 65536 "
_BRIDGE = (
    "bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 "
    "vlan_filtering 0 bridge_id {id} designated_root {id} root_port 0 root_path_cost 0 topology_change 0 "
    "topology_change_detected 0 hello_timer    0.00 tcn_timer    0.00 topology_change_timer    0.00 "
    "gc_timer    0.00 group_fwd_mask 0 group_address 01:80:c2:00:00:00 mcast_snooping 1 "
    "no_linklocal_learn 0 mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0 mcast_querier 0 "
    "mcast_hash_elasticity 16 mcast_hash_max 4096 mcast_last_member_count 2 mcast_startup_query_count 2 "
    "mcast_last_member_interval 100 mcast_membership_interval 26000 mcast_querier_interval 25500 "
    "mcast_query_interval 12500 mcast_query_response_interval 1000 mcast_startup_query_interval 3124 "
    "mcast_stats_enabled 0 mcast_igmp_version 2 mcast_mld_version 1 nf_call_iptables 0 nf_call_ip6tables 0 "
    "nf_call_arptables 0 "
)


def detail_suffix(iface: Interface) -> str:
    """Appended to the `link/...` line: promiscuity, allmulti and the MTU range."""
    low, high = (0, 0) if iface.kind in ("loopback", "dummy") else (68, 65535)
    return f" promiscuity {1 if iface.promisc else 0}  allmulti 0 minmtu {low} maxmtu {high} "


def detail_tail(iface: Interface, nic_number: int) -> str:
    """The rest: on the `link/...` line itself for devices without a kind, else a line of its own."""
    queues = 2 if iface.kind == "veth" else 1
    tso = 65536 if iface.kind in ("ether", "bridge") else 524280
    common = f"addrgenmode eui64 numtxqueues {queues} numrxqueues {queues} " + _GSO.format(tso=tso)
    if iface.kind == "veth":
        return "\n    veth " + common
    if iface.kind == "dummy":
        return "\n    dummy " + common
    if iface.kind == "bridge":
        bridge_id = "8000." + ":".join(f"{int(b, 16):x}" for b in iface.mac.split(":"))
        return "\n    " + _BRIDGE.format(id=bridge_id) + common
    if iface.kind == "ether" and iface.driver == "virtio_net":
        return common + f"parentbus virtio parentdev virtio{nic_number} "
    return common
