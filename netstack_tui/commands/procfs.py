"""/proc files about the receive path: /proc/interrupts and /proc/net/softnet_stat (kernel 6.18 layouts).

The simulated host has one CPU. The model runs one NAPI poll per received frame, so each frame the
NIC placed in its RX ring counts one interrupt on the device's RX queue vector (and each frame sent
one on its TX vector); counters the model does not keep print 0.
"""

from __future__ import annotations

from ..kernel.host import Host
from ..kernel.interfaces import DRIVER_INFO, Interface

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
    return None


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
    and process queue lengths)."""
    processed = 0
    for iface in host.interfaces.values():
        processed += iface.stats.rx_packets
        if iface.xdp_mode in ("native", "offload"):
            processed -= iface.stats.xdp_drop  # dropped before an sk_buff existed: never processed
    columns = [max(processed, 0)] + [0] * 14
    return " ".join(f"{value:08x}" for value in columns)
