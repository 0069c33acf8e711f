"""`ethtool -k DEV` (ethtool 6.1): the device's offload features, `name: on|off [fixed]`.

The model receives every frame through GRO and sends without segmentation offloads it would need to
simulate, so the values are those of the driver's defaults; `[fixed]` marks what the driver does not
let `ethtool -K` change. Changing features (`-K`) is not simulated.
"""

from __future__ import annotations

from ..kernel.interfaces import Interface

# (name, on, fixed, indented child of the line before it)
_NIC = (
    ("rx-checksumming", True, True, False),
    ("tx-checksumming", True, False, False),
    ("tx-checksum-ipv4", False, True, True),
    ("tx-checksum-ip-generic", True, False, True),
    ("tx-checksum-ipv6", False, True, True),
    ("tx-checksum-fcoe-crc", False, True, True),
    ("tx-checksum-sctp", False, True, True),
    ("scatter-gather", True, False, False),
    ("tx-scatter-gather", True, False, True),
    ("tx-scatter-gather-fraglist", False, True, True),
    ("tcp-segmentation-offload", True, False, False),
    ("tx-tcp-segmentation", True, False, True),
    ("tx-tcp-ecn-segmentation", True, False, True),
    ("tx-tcp-mangleid-segmentation", False, False, True),
    ("tx-tcp6-segmentation", True, False, True),
    ("generic-segmentation-offload", True, False, False),
    ("generic-receive-offload", True, False, False),
    ("large-receive-offload", False, True, False),
    ("rx-vlan-offload", False, True, False),
    ("tx-vlan-offload", False, True, False),
    ("ntuple-filters", False, True, False),
    ("receive-hashing", False, True, False),
    ("highdma", True, True, False),
    ("rx-vlan-filter", True, True, False),
    ("vlan-challenged", False, True, False),
    ("tx-lockless", False, True, False),
    ("netns-local", False, True, False),
    ("tx-gso-robust", True, True, False),
    ("tx-fcoe-segmentation", False, True, False),
    ("tx-gre-segmentation", False, True, False),
    ("tx-udp_tnl-segmentation", False, True, False),
    ("tx-gso-partial", False, True, False),
    ("tx-udp-segmentation", False, True, False),
    ("tx-nocache-copy", False, False, False),
    ("loopback", False, True, False),
    ("rx-fcs", False, True, False),
    ("rx-all", False, True, False),
    ("rx-gro-hw", False, True, False),
    ("l2-fwd-offload", False, True, False),
    ("hw-tc-offload", False, True, False),
    ("rx-udp_tunnel-port-offload", False, True, False),
    ("rx-gro-list", False, False, False),
    ("macsec-hw-offload", False, True, False),
    ("rx-udp-gro-forwarding", False, False, False),
)
_LOOPBACK_ON = frozenset(
    {
        "rx-checksumming",
        "tx-checksumming",
        "tx-checksum-ip-generic",
        "scatter-gather",
        "tx-scatter-gather",
        "tx-scatter-gather-fraglist",
        "tcp-segmentation-offload",
        "tx-tcp-segmentation",
        "tx-tcp-ecn-segmentation",
        "tx-tcp-mangleid-segmentation",
        "tx-tcp6-segmentation",
        "generic-segmentation-offload",
        "generic-receive-offload",
        "highdma",
        "tx-lockless",
        "netns-local",
        "loopback",
        "tx-udp-segmentation",
    }
)


def features(iface: Interface) -> str:
    """The `ethtool -k` listing for `iface`."""
    lines = [f"Features for {iface.name}:"]
    for name, on, fixed, child in _NIC:
        if iface.is_loopback:
            on, fixed = (
                name in _LOOPBACK_ON,
                name not in ("generic-receive-offload", "tx-nocache-copy", "rx-gro-list", "rx-udp-gro-forwarding"),
            )
        state = ("on" if on else "off") + (" [fixed]" if fixed else "")
        lines.append(f"{chr(9) if child else ''}{name}: {state}")
    return "\n".join(lines)
