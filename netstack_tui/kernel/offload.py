"""NIC offloads: which a device has (`ethtool -k`, changed with `-K`), and what they do to a packet.

- Sending: TCP hands the device one large skb (`gso_size` set) when the device can segment, so a
  send of N bytes leaves the stack whole. GSO cuts it in software just before the driver
  (validate_xmit_skb(), before the packet taps: tcpdump sees the segments); TSO lets the NIC cut it
  after the taps (tcpdump sees the large skb). Neither: tcp_sendmsg() builds MSS-sized skbs itself.
  A veth never cuts what it may pass on whole: with TSO on, the peer gets the large skb.
- Receiving: segments of one flow that arrive back to back are merged by GRO (napi_gro_receive(),
  before the taps: tcpdump on the receiver sees the merged skb), or by the NIC itself with LRO.
- Checksums: with rx-checksumming on the NIC verifies TCP/UDP checksums (CHECKSUM_UNNECESSARY);
  off, the CPU does it (in GRO or in the transport's receive function). A wrong checksum is never
  marked verified, so either way the transport drops the packet: tcp_v4_rcv (TCP_CSUM,
  TcpInCsumErrors), __udp4_lib_rcv (UDP_CSUM, UdpInCsumErrors), icmp_rcv (ICMP_CSUM).

Feature layouts are `ethtool -k` (ethtool 6.1) on kernel 6.18, read from a virtio_net NIC, a veth
and lo. Other NIC drivers reuse the virtio_net layout with rx-checksumming and LRO changeable and
their VLAN/hash offloads on: modelled, not measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import mib
from .interfaces import Interface
from .journey import ETH_HLEN, Journey
from .packet import CWR, FIN, IP_HEADER_LEN, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, PSH, Packet
from .trace import Disposition, DropReason, Verdict

# `ethtool -k` lines in order (a leading tab: a sub-feature), then one code per line for each
# profile: n = on, f = off, N = on [fixed], F = off [fixed].
_LINES = (
    "rx-checksumming", "tx-checksumming", "\ttx-checksum-ipv4", "\ttx-checksum-ip-generic", "\ttx-checksum-ipv6",
    "\ttx-checksum-fcoe-crc", "\ttx-checksum-sctp", "scatter-gather", "\ttx-scatter-gather",
    "\ttx-scatter-gather-fraglist", "tcp-segmentation-offload", "\ttx-tcp-segmentation",
    "\ttx-tcp-ecn-segmentation", "\ttx-tcp-mangleid-segmentation", "\ttx-tcp6-segmentation",
    "\ttx-tcp-accecn-segmentation", "generic-segmentation-offload", "generic-receive-offload",
    "large-receive-offload", "rx-vlan-offload", "tx-vlan-offload", "ntuple-filters", "receive-hashing", "highdma",
    "rx-vlan-filter", "vlan-challenged", "tx-gso-robust", "tx-fcoe-segmentation", "tx-gre-segmentation",
    "tx-gre-csum-segmentation", "tx-ipxip4-segmentation", "tx-ipxip6-segmentation", "tx-udp_tnl-segmentation",
    "tx-udp_tnl-csum-segmentation", "tx-gso-partial", "tx-tunnel-remcsum-segmentation", "tx-sctp-segmentation",
    "tx-esp-segmentation", "tx-udp-segmentation", "tx-gso-list", "tx-nocache-copy", "loopback", "rx-fcs", "rx-all",
    "tx-vlan-stag-hw-insert", "rx-vlan-stag-hw-parse", "rx-vlan-stag-filter", "l2-fwd-offload", "hw-tc-offload",
    "esp-hw-offload", "esp-tx-csum-hw-offload", "rx-udp_tunnel-port-offload", "tls-hw-tx-offload",
    "tls-hw-rx-offload", "rx-gro-hw", "tls-hw-record", "rx-gro-list", "macsec-hw-offload", "rx-udp-gro-forwarding",
    "hsr-tag-ins-offload", "hsr-tag-rm-offload", "hsr-fwd-offload", "hsr-dup-offload",
)
_PROFILES = {
    "virtio_net": "NnFnFFFnnFnnFfnFnnFFFFFNFFNFFFFFFFFFFFFFfFFFFFFFFFFFFFNFfFfFFFF",
    "veth": "nnFnFFnnnnnnnnnnnfFnnFFnFFFFnnnnnnFFnFnnfFFFnnFFFFFFFFFFfFfFFFF",
    "loopback": "NnFNFFNnNNnnnnnnnnFFFFFNFNFFFFFFFFFFnFnnFNFFFFFFFFFFFFFFfFfFFFF",
}
# NIC drivers that let LRO and rx checksumming be changed and offload VLAN tags and hashing.
_BIG_NIC_DRIVERS = frozenset({"mlx5_core", "mlx4_en", "ixgbe", "i40e", "ice", "bnxt_en", "qede", "sfc"})
_BIG_NIC_CHANGES = {"rx-checksumming": "n", "large-receive-offload": "f", "rx-vlan-offload": "n",
                    "tx-vlan-offload": "n", "receive-hashing": "n", "ntuple-filters": "f", "rx-gro-hw": "F"}

# The features `-K` changes here: short name → (the kernel's name for it, the `-k` lines it governs).
FEATURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "rx": ("rx-checksum", ("rx-checksumming",)),
    "tx": ("tx-checksum-ip-generic", ("tx-checksumming", "tx-checksum-ip-generic", "tx-checksum-sctp")),
    "sg": ("tx-scatter-gather", ("scatter-gather", "tx-scatter-gather", "tx-scatter-gather-fraglist")),
    "tso": ("tx-tcp-segmentation", ("tx-tcp-segmentation", "tx-tcp-ecn-segmentation",
                                    "tx-tcp-mangleid-segmentation", "tx-tcp6-segmentation")),
    "gso": ("tx-generic-segmentation", ("generic-segmentation-offload",)),
    "gro": ("rx-gro", ("generic-receive-offload",)),
    "lro": ("rx-lro", ("large-receive-offload",)),
}
LONG_NAMES = {"rx-checksumming": "rx", "tx-checksumming": "tx", "scatter-gather": "sg",
              "tcp-segmentation-offload": "tso", "generic-segmentation-offload": "gso",
              "generic-receive-offload": "gro", "large-receive-offload": "lro",
              **{kernel: short for short, (kernel, _) in FEATURES.items()}}
"""The other names `ethtool -K` accepts for each short name (ethtool's long names, the kernel's)."""


def _profile(iface: Interface) -> dict[str, str]:
    if iface.is_loopback:
        key = "loopback"
    elif iface.kind == "veth":
        key = "veth"
    else:
        key = "virtio_net"
    codes = dict(zip((line.lstrip("\t") for line in _LINES), _PROFILES[key], strict=True))
    if key == "virtio_net" and iface.driver in _BIG_NIC_DRIVERS:
        codes.update(_BIG_NIC_CHANGES)
    return codes


def fixed(iface: Interface, short: str) -> bool:
    """Whether the driver refuses to change feature `short` (`[fixed]`)."""
    return _profile(iface)[FEATURES[short][1][0]].isupper()


def wanted(iface: Interface, short: str) -> bool:
    """What `ethtool -K` last asked for feature `short`, else the driver's default."""
    if short in iface.features:
        return iface.features[short]
    return _profile(iface)[FEATURES[short][1][0]] in "nN"


def active(iface: Interface, short: str) -> bool:
    """Whether feature `short` is in effect: TSO also needs scatter-gather and tx checksumming
    (netdev_fix_features() drops it otherwise, and `ethtool -k` shows it `off [requested on]`)."""
    on = wanted(iface, short)
    if short == "tso":
        return on and active(iface, "sg") and active(iface, "tx")
    if short == "gso":  # "Dropping NETIF_F_GSO since no SG feature"
        return on and active(iface, "sg")
    return on


def listing(iface: Interface) -> str:
    """`ethtool -k DEV`."""
    codes = _profile(iface)
    governed = {line: short for short, (_, lines) in FEATURES.items() for line in lines}
    out = [f"Features for {iface.name}:"]
    for raw in _LINES:
        name = raw.lstrip("\t")
        code = codes[name]
        on, suffix = code in "nN", " [fixed]" if code.isupper() else ""
        short = governed.get(name)
        # A sub-feature the driver leaves off by default (virtio's mangleid) stays off with its group.
        if short is not None and not code.isupper() and (code == "n" or name == FEATURES[short][1][0]):
            on = active(iface, short)
            if wanted(iface, short) and not on:
                suffix = " [requested on]"
        if name == "tx-tcp-accecn-segmentation" and code == "n":
            on = active(iface, "sg") and active(iface, "tx")
        if name == "tcp-segmentation-offload":
            accecn = codes["tx-tcp-accecn-segmentation"]
            with_accecn = accecn == "N" or (accecn == "n" and active(iface, "sg") and active(iface, "tx"))
            on = active(iface, "tso") or with_accecn
        if name == "tx-udp-segmentation" and not code.isupper():
            on = active(iface, "tx")
        out.append(f"{raw}: {'on' if on else 'off'}{suffix}")
    return "\n".join(out)


class FeatureError(ValueError):
    """`ethtool -K` refused the request; the message is what ethtool prints."""


def change(iface: Interface, requests: list[tuple[str, bool]]) -> str:
    """`ethtool -K DEV NAME on|off ...`: apply what the driver allows; return ethtool's report
    ("Actual changes:" when the result differs from the request), or raise FeatureError when
    nothing could be changed."""
    refused = [(s, on) for s, on in requests if fixed(iface, s) and wanted(iface, s) != on]
    if refused and len(refused) == len(requests):
        lines = [f"{FEATURES[s][0]}: {'on' if wanted(iface, s) else 'off'} [requested {'on' if on else 'off'}]"
                 for s, on in refused]
        raise FeatureError("\n".join(["Could not change any device features", "Actual changes:", *lines]))
    before_tso, before_gso = active(iface, "tso"), active(iface, "gso")
    for short, on in requests:
        if not fixed(iface, short):
            iface.features[short] = on
    report: list[str] = []
    asked = dict(requests)
    if "tso" in asked and asked["tso"] and not active(iface, "tso"):
        report += [f"{name}: off [requested on]" for name in FEATURES["tso"][1]]
    elif before_tso and not active(iface, "tso") and "tso" not in asked and asked.get("tx") is False:
        # Turning tx checksumming off takes TSO with it (sg off does too, but ethtool says nothing).
        report.append("tx-checksum-ip-generic: off")
        report += [f"{name}: off [not requested]" for name in FEATURES["tso"][1]]
    if before_gso and not active(iface, "gso") and asked.get("sg") is False and "gso" not in asked:
        report += ["tx-scatter-gather: off", "tx-scatter-gather-fraglist: off",
                   "tx-generic-segmentation: off [not requested]"]
    return "\n".join(["Actual changes:", *report]) if report else ""


# ---- segmentation ---------------------------------------------------------------------------------


def mss(iface: Interface, pkt: Packet) -> int:
    """The largest TCP payload one frame on `iface` carries: MTU minus the IP and TCP headers."""
    return max(iface.mtu - IP_HEADER_LEN - pkt.l4_header_len, 1)


def cut(pkt: Packet, size: int) -> list[Packet]:
    """tcp_gso_segment(): the segments of a large TCP skb, `size` payload bytes each (the last
    shorter); sequence numbers and IP ids count on, PSH and FIN only on the last, CWR only on the first."""
    sizes = [size] * (pkt.payload_len // size) + ([pkt.payload_len % size] if pkt.payload_len % size else [])
    out, offset = [], 0
    for i, n in enumerate(sizes):
        flags = pkt.flags
        if i < len(sizes) - 1:
            flags &= ~(PSH | FIN)
        if i:
            flags &= ~CWR
        out.append(pkt.replace(payload_len=n, seq=(pkt.seq + offset) & 0xFFFFFFFF, flags=flags,
                               ip_id=(pkt.ip_id + i) & 0xFFFF, gso_size=0, segs=1))
        offset += n
    return out


def wire_bytes(pkt: Packet) -> int:
    """Bytes on the link for a record standing for `pkt.segs` segments: each carries its own headers."""
    return pkt.length + ETH_HLEN + (pkt.segs - 1) * (IP_HEADER_LEN + pkt.l4_header_len + ETH_HLEN)


@dataclass(frozen=True, slots=True)
class Cut:
    """How a large send leaves a device."""

    how: str
    """`tso` (the NIC cuts, after the taps), `gso` (software, before them), `stack` (TCP cut it
    itself: the device can do neither), `whole` (a veth passes the large skb on as it is)."""
    tapped: tuple[Packet, ...]
    """What the packet taps (tcpdump) see leave."""
    onward: Packet
    """What reaches the other end: a train of `segs` segments, or the one large skb."""
    frames: int
    """Frames the driver counts (`ip -s link` TX packets)."""


def transmit_cut(j: Journey, iface: Interface) -> Cut | None:
    """A TCP send larger than the device's MSS: how it is cut, recorded as a `tx` step; None when
    the packet fits in one frame (or is not TCP: UDP and ICMP are not segmented here)."""
    pkt = j.flow.pkt
    if pkt.proto != IPPROTO_TCP or iface.is_loopback:
        return None
    size = mss(iface, pkt)
    if pkt.payload_len <= size:
        return None
    segments = cut(pkt, size)
    train = pkt.replace(gso_size=size, segs=len(segments))
    if active(iface, "tso"):
        whole = pkt.replace(gso_size=size, segs=1)
        veth = iface.kind == "veth"
        result = Cut("whole", (whole,), whole, 1) if veth else Cut("tso", (whole,), train, len(segments))
    elif active(iface, "gso"):
        result = Cut("gso", tuple(segments), train, len(segments))
    else:
        result = Cut("stack", tuple(segments), train, len(segments))
    if j.record:
        j.step("tx", Verdict.PASS, f"offload.{result.how}",
               params={"dev": iface.name, "len": pkt.payload_len, "mss": size, "n": len(segments),
                       "last": segments[-1].payload_len})
    return result


def arrivals(iface: Interface | None, pkt: Packet) -> list[Packet]:
    """A train of `pkt.segs` segments reaching `iface`: one merged skb when LRO or GRO merges them
    (a veth runs GRO only with `gro on`, which gives it a NAPI context), else each segment alone."""
    if pkt.segs <= 1:
        return [pkt]
    if iface is not None and (active(iface, "gro") or active(iface, "lro")) and not pkt.bad_csum:
        return [pkt]
    return cut(pkt.replace(segs=1), max(pkt.gso_size, 1))


def gro_note(iface: Interface, pkt: Packet) -> tuple[str, dict[str, object]]:
    """The `gro` step's note and params for a frame arriving on `iface`."""
    params: dict[str, object] = {"dev": iface.name, "n": pkt.segs, "len": pkt.payload_len}
    if pkt.segs > 1:
        return ("gro.lro" if active(iface, "lro") else "gro.merged"), params
    if pkt.gso_size:
        return "gro.gso_skb", params
    if pkt.bad_csum and pkt.proto in (IPPROTO_TCP, IPPROTO_UDP):
        return "gro.bad_csum", params
    if not active(iface, "gro"):
        return "gro.off", params
    if pkt.proto in (IPPROTO_TCP, IPPROTO_UDP) and not active(iface, "rx") and iface.kind == "ether":
        return "gro.sw_csum", params
    return "gro.single", params


# ---- checksums ------------------------------------------------------------------------------------

_CSUM_DROPS = {
    IPPROTO_TCP: (DropReason.TCP_CSUM, ("TcpInSegs", "TcpInCsumErrors", "TcpInErrs")),
    IPPROTO_UDP: (DropReason.UDP_CSUM, ("UdpInCsumErrors", "UdpInErrors")),
    IPPROTO_ICMP: (DropReason.ICMP_CSUM, ("IcmpInMsgs", "IcmpInCsumErrors", "IcmpInErrors")),
}


def verify_transport_checksum(j: Journey) -> None:
    """tcp_v4_rcv / __udp4_lib_rcv / icmp_rcv check the checksum the NIC could not vouch for: a
    wrong one is dropped before any socket is looked up (so a closed port sends no RST)."""
    pkt = j.flow.pkt
    if not pkt.bad_csum or pkt.proto not in _CSUM_DROPS:
        return
    reason, counters = _CSUM_DROPS[pkt.proto]
    mib.count(j.host, "IpInDelivers")  # ip_protocol_deliver_rcu() handed it to the protocol first
    for name in counters:
        mib.count(j.host, name)
    iface = j.host.interfaces.get(pkt.iif or "")
    by = "hw" if iface is not None and iface.kind == "ether" and active(iface, "rx") else "sw"
    j.step("socket", Verdict.DROP, f"csum.bad_{by}", params={"proto": pkt.proto_name, "counter": counters[-2]},
           drop_reason=reason)
    raise j.stop(Disposition.DROPPED, reason)

