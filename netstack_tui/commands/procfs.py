"""/proc files about the receive path: /proc/interrupts and /proc/net/softnet_stat, and the MIB
counters: /proc/net/snmp and /proc/net/netstat (kernel 6.18 layouts).

The simulated host has one CPU. The model runs one NAPI poll per received frame, so each frame the
NIC placed in its RX ring counts one interrupt on the device's RX queue vector (and each frame sent
one on its TX vector); counters the model does not keep print 0.
"""

from __future__ import annotations

from ..kernel.host import Host
from ..kernel.interfaces import DRIVER_INFO, Interface
from .nstat import counter_names

_FIRST_IRQ = 24
_ARCH_LINES = (
    ("NMI", "Non-maskable interrupts"),
    ("LOC", "Local timer interrupts"),
    ("RES", "Rescheduling interrupts"),
    ("CAL", "Function call interrupts"),
    ("TLB", "TLB shootdowns"),
)


def read_proc(host: Host, path: str) -> str | None:
    """The text of a /proc file this module knows, or None."""
    if path == "/proc/interrupts":
        return interrupts(host)
    if path == "/proc/net/softnet_stat":
        return softnet_stat(host)
    if path == "/proc/net/snmp":
        return snmp(host)
    if path == "/proc/net/netstat":
        return netstat(host)
    return None


def _group(prefix: str, *, not_prefixes: tuple[str, ...] = ()) -> list[str]:
    """The column names of one /proc line: nstat's names with this prefix, the prefix taken off."""
    return [name[len(prefix):] for name in counter_names()
            if name.startswith(prefix) and not name.startswith(not_prefixes)]


def _pair(title: str, columns: list[str], values: list[int]) -> list[str]:
    """A header line and a value line, as the kernel prints each protocol."""
    return [f"{title}: " + " ".join(columns), f"{title}: " + " ".join(str(v) for v in values)]


def current_established(host: Host) -> int:
    """TcpCurrEstab: a gauge, the connections in ESTABLISHED or CLOSE-WAIT now (accepted or not)."""
    table = host.sockets
    total = sum(1 for s in table.sockets if s.proto == "tcp" and s.state in ("ESTAB", "CLOSE-WAIT"))
    for sock in table.sockets:
        if sock.state == "LISTEN":
            total += sum(1 for c in sock.accept_queue if c.state in ("ESTAB", "CLOSE-WAIT"))
    return total


def snmp(host: Host) -> str:
    """`cat /proc/net/snmp`: Ip, Icmp, IcmpMsg (the types seen, once any is), Tcp, Udp, UdpLite."""
    mib = host.mib
    lines: list[str] = []
    ip = _group("Ip", not_prefixes=("IpExt", "Ip6"))
    forwarding = 1 if host.sysctl.int("net.ipv4.ip_forward") else 2
    lines += _pair("Ip", ["Forwarding", "DefaultTTL", *ip],
                   [forwarding, host.sysctl.int("net.ipv4.ip_default_ttl"), *(mib.get("Ip" + c) for c in ip)])
    icmp = _group("Icmp", not_prefixes=("Icmp6", "IcmpMsg"))
    lines += _pair("Icmp", icmp, [mib.get("Icmp" + c) for c in icmp])
    types = [f"{way}Type{t}" for way in ("In", "Out") for t in range(256) if f"IcmpMsg{way}Type{t}" in mib.counts]
    if types:
        lines += _pair("IcmpMsg", types, [mib.get("IcmpMsg" + c) for c in types])
    tcp = _group("Tcp", not_prefixes=("TcpExt",))
    at = tcp.index("EstabResets") + 1
    columns = ["RtoAlgorithm", "RtoMin", "RtoMax", "MaxConn", *tcp[:at], "CurrEstab", *tcp[at:]]
    values = [1, 200, 120000, -1, *(mib.get("Tcp" + c) for c in tcp[:at]), current_established(host),
              *(mib.get("Tcp" + c) for c in tcp[at:])]
    lines += _pair("Tcp", columns, values)
    for title, skip in (("Udp", ("UdpLite", "Udp6")), ("UdpLite", ("UdpLite6",))):
        columns = _group(title, not_prefixes=skip)
        lines += _pair(title, columns, [mib.get(title + c) for c in columns])
    return "\n".join(lines)


def netstat(host: Host) -> str:
    """`cat /proc/net/netstat`: the TcpExt, IpExt and MPTcpExt lines."""
    lines: list[str] = []
    for title in ("TcpExt", "IpExt", "MPTcpExt"):
        columns = _group(title)
        lines += _pair(title, columns, [host.mib.get(title + c) for c in columns])
    return "\n".join(lines)


def _vectors(iface: Interface, number: int) -> list[tuple[int, str, int]]:
    """(hardware irq, action name, count) for each MSI-X vector of a NIC."""
    s = iface.stats
    if iface.driver == "virtio_net":
        return [
            (0, f"virtio{number}-config", 0),
            (1, f"virtio{number}-input.0", s.rx_packets),
            (2, f"virtio{number}-output.0", s.tx_packets),
        ]
    bus = DRIVER_INFO.get(iface.driver, ("", "0000:00:00.0"))[1]
    if iface.driver == "mlx5_core":
        return [(0, f"mlx5_async0@pci:{bus}", 0), (1, f"mlx5_comp0@pci:{bus}", s.rx_packets + s.tx_packets)]
    prefix = f"{iface.driver}-" if iface.driver in ("i40e", "ice") else ""
    return [(0, f"{prefix}{iface.name}-TxRx-0", s.rx_packets + s.tx_packets)]


def interrupts(host: Host) -> str:
    """`cat /proc/interrupts`: a CPU header, one line per NIC vector, then the architecture's lines."""
    lines = [" " * 11 + f"{'CPU0':<11}"]
    irq = _FIRST_IRQ
    nics = [i for i in host.interfaces.values() if i.kind == "ether"]
    for number, iface in enumerate(nics):
        bus = DRIVER_INFO.get(iface.driver, ("", "0000:00:00.0"))[1] or "0000:00:00.0"
        for hwirq, name, count in _vectors(iface, number):
            lines.append(f"{irq:>3}: {count:>10} PCI-MSIX-{bus} {hwirq:>3}-{'edge':<8}  {name}")
            irq += 1
    lines += [f"{short}: {0:>10}   {text}" for short, text in _ARCH_LINES]
    lines += [f"ERR: {0:>10}", f"MIS: {0:>10}"]
    return "\n".join(lines)


def softnet_stat(host: Host) -> str:
    """`cat /proc/net/softnet_stat`: per CPU, 15 hex columns (processed, dropped, time_squeeze, five
    unused, the old cpu_collision, received_rps, flow_limit_count, backlog length, CPU index, input
    and process queue lengths). `dropped` counts only frames refused by a full per-CPU backlog
    (netdev_max_backlog: RPS, netif_rx), which is not modelled, so it stays 0; a full RX ring is the
    driver's rx_missed, not this column. time_squeeze counts softirq rounds cut short by the budget."""
    processed = squeezed = 0
    for iface in host.interfaces.values():
        processed += iface.stats.rx_packets
        squeezed += iface.stats.napi_squeeze
        if iface.xdp_mode in ("native", "offload"):
            processed -= iface.stats.xdp_drop  # dropped before an sk_buff existed: never processed
    columns = [max(processed, 0), 0, squeezed] + [0] * 12
    return " ".join(f"{value:08x}" for value in columns)
