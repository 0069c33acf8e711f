"""The SNMP and Linux MIB counters of a namespace (/proc/net/snmp, /proc/net/netstat, `nstat`).

Each counter is bumped by the stage that bumps it in the kernel, under nstat's name for it
(`IpInReceives`, `TcpExtListenOverflows`, `IcmpMsgOutType3`, ...):

* ip_rcv_core: IpInReceives; ip_error() with forwarding off: IpInAddrErrors; rp_filter:
  TcpExtIPReversePathFilter; ip_forward_finish: IpForwDatagrams; ip_local_deliver: IpInDelivers;
  __ip_local_out: IpOutRequests; ip_finish_output2: IpOutTransmits;
* icmp_rcv: IcmpInMsgs and the type's In counter; icmp_out_count (every ICMP message this host
  sends, ping's and the kernel's errors alike): IcmpOutMsgs and the type's Out counter;
* tcp_v4_rcv: TcpInSegs; segments the TCP stack sends: TcpOutSegs (retransmissions are
  TcpRetransSegs instead), its resets TcpOutRsts (not netfilter's REJECT, which bypasses TCP);
  tcp_connect: TcpActiveOpens; tcp_create_openreq_child: TcpPassiveOpens; tcp_done in SYN-SENT:
  TcpAttemptFails; a reset of an established connection: TcpEstabResets; the listener's drops:
  TcpExtListenOverflows / TcpExtListenDrops / TcpExtSyncookiesSent; the retransmission timers:
  TcpExtTCPTimeouts and TcpExtTCPSynRetrans.

Counters only grow, and nothing on the packet path reads them (so a flood's steady state may add
them up in one go: `kernel.steady`).
"""

from __future__ import annotations

from typing import Protocol

from .packet import IPPROTO_ICMP, Packet

ICMP_TYPE_NAMES = {0: "EchoReps", 3: "DestUnreachs", 4: "SrcQuenchs", 5: "Redirects", 8: "Echos",
                   11: "TimeExcds", 12: "ParmProbs", 13: "Timestamps", 14: "TimestampReps",
                   17: "AddrMasks", 18: "AddrMaskReps"}
"""The Icmp line's per-type columns (icmp_pointers[] order in /proc/net/snmp)."""


class Mib:
    """One namespace's counters, by nstat name; absent means 0."""

    ACCUMULATORS = ("counts",)
    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def get(self, name: str) -> int:
        return self.counts.get(name, 0)


class Host(Protocol):
    """A namespace, as far as counting goes (`kernel.host.Host`; named here without importing it,
    which imports this module)."""

    mib: Mib


def count(host: Host, name: str, n: int = 1) -> None:
    """Add `n` to counter `name` of `host`'s namespace."""
    counts = host.mib.counts
    counts[name] = counts.get(name, 0) + n


def icmp_out(host: Host, pkt: Packet) -> None:
    """icmp_out_count(): an ICMP message leaves (counted once routed, whatever OUTPUT does to it)."""
    count(host, "IcmpOutMsgs")
    _icmp_type(host, "Out", pkt.icmp_type)


def icmp_in(host: Host, pkt: Packet) -> None:
    """icmp_rcv(): an ICMP message arrived for this host."""
    count(host, "IcmpInMsgs")
    _icmp_type(host, "In", pkt.icmp_type)


def _icmp_type(host: Host, way: str, icmp_type: int) -> None:
    count(host, f"IcmpMsg{way}Type{icmp_type}")
    name = ICMP_TYPE_NAMES.get(icmp_type)
    if name is not None:
        count(host, f"Icmp{way}{name}")


def ip_out(host: Host, pkt: Packet) -> None:
    """__ip_local_out(): a packet this host generated is routed and about to enter OUTPUT."""
    count(host, "IpOutRequests")
    if pkt.proto == IPPROTO_ICMP:
        icmp_out(host, pkt)


def tcp_out(host: Host, pkt: Packet | None, *, rst: bool = False) -> None:
    """A segment the TCP stack sends (an ACK, a SYN-ACK, a FIN, a reset): TcpOutSegs, and
    TcpOutRsts for a reset."""
    if pkt is None:
        return
    count(host, "TcpOutSegs")
    if rst:
        count(host, "TcpOutRsts")
