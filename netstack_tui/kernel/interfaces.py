"""Network interfaces: addresses, link state, driver, RX ring, attached XDP program, counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

from .tc.model import DeviceTc

if TYPE_CHECKING:
    from .bpf.loader import LoadedProgram  # the compiler is imported only when a program is loaded

# Drivers with native XDP (ndo_bpf / XDP_SETUP_PROG) in mainline; the others only get
# generic XDP, which runs after the sk_buff is built.
NATIVE_XDP_DRIVERS = frozenset({
    "mlx5_core", "mlx4_en", "i40e", "ice", "ixgbe", "igb", "igc", "bnxt_en", "virtio_net", "veth",
    "nfp", "ena", "tun", "qede", "thunder_nicvf", "stmmac", "dpaa2-eth", "sfc",
})
# Drivers whose hardware can run the program itself (xdpoffload).
OFFLOAD_XDP_DRIVERS = frozenset({"nfp"})

DRIVER_INFO = {
    "virtio_net": ("1.0.0", "0000:00:03.0"),
    "mlx5_core": ("6.18.0", "0000:3b:00.0"),
    "i40e": ("6.18.0", "0000:3b:00.0"),
    "ixgbe": ("6.18.0", "0000:3b:00.0"),
    "r8169": ("6.18.0", "0000:02:00.0"),
    "e1000e": ("6.18.0", "0000:00:1f.6"),
    "veth": ("1.0", ""),
    "dummy": ("", ""),
}


@dataclass(frozen=True, slots=True)
class Address:
    """An IPv4 address on an interface, as `ip addr` lists it."""

    addr: int
    prefixlen: int
    broadcast: int | None = None
    scope: str = "global"
    label: str | None = None


@dataclass(frozen=True, slots=True)
class XdpProgram:
    """An XDP program: a built-in declarative one, or one a learner wrote (`kind` `bpf`, with `code`).

    `kind` is one of: `pass`, `drop`, `drop_src` (drop packets from `sources`), `ratelimit`
    (pass `rate` packets per second, drop the rest), `tx` (bounce back), `redirect`, `bpf`.
    The simulator does not run BPF bytecode: a learner's program is interpreted (`kernel.bpf`).
    """

    name: str
    kind: str
    sources: tuple[tuple[int, int], ...] = ()
    """(network, prefixlen) pairs for `drop_src`."""
    rate: int = 0
    prog_id: int = 0
    code: LoadedProgram | None = None
    """The compiled, verified program and its maps (`kind` `bpf` only)."""
    loaded_at: float = 0.0
    """Simulated clock when it was loaded (`bpftool prog show`'s loaded_at)."""


@dataclass(slots=True)
class InterfaceStats:
    """Counters `ip -s link` and `ethtool -S` show (the RX ring slot a trace shows is derived
    from them; nothing else on the packet path reads them)."""

    ACCUMULATORS: ClassVar = ("rx_packets", "rx_bytes", "rx_errors", "rx_dropped", "rx_missed", "rx_mcast",
                              "tx_packets", "tx_bytes", "tx_errors", "tx_dropped", "xdp_drop", "xdp_pass",
                              "napi_squeeze")

    rx_packets: int = 0
    rx_bytes: int = 0
    rx_errors: int = 0
    rx_dropped: int = 0
    rx_missed: int = 0
    rx_mcast: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0
    tx_errors: int = 0
    tx_dropped: int = 0
    xdp_drop: int = 0
    xdp_pass: int = 0
    napi_squeeze: int = 0
    """Softirq rounds that ended with this device's frames still waiting (net_rx_action's time_squeeze;
    per CPU in the kernel, and with one simulated CPU `/proc/net/softnet_stat` sums it over devices)."""


@dataclass(slots=True)
class RxBurst:
    """NAPI's position in a burst of frames arriving back to back on a NIC (`flood --burst`); see
    `kernel.ring`. Every field is state, not a counter: while it changes, a flood walks packet by packet."""

    credit_ps: int = 0
    """CPU time NAPI has had since the frames now waiting began to wait, not yet spent on them
    (negative: still owed to a hand-over to ksoftirqd)."""
    poll_done: int = 0
    """Frames taken in the current poll (at most the NAPI weight, 64)."""
    round_done: int = 0
    """Frames taken in the current softirq round (bounded by netdev_budget and netdev_budget_usecs)."""


class Namespace(Protocol):
    """What a cable knows of the namespace at its far end (a `kernel.host.Host`; `host.far_host`
    gives it back as one)."""

    name: str
    interfaces: dict[str, Interface]


@dataclass(slots=True, eq=False)
class Cable:
    """Where a device's frames go: device `dev` of the namespace `host`. A veth pair is two devices
    whose cables point at each other; the uplink joins the root namespace's `eth0` to the Internet's."""

    host: Namespace
    dev: str

    def far(self) -> Interface | None:
        """The device at the other end, if it still exists."""
        return self.host.interfaces.get(self.dev)


@dataclass(slots=True)
class Interface:
    """A network device of a host."""

    name: str
    index: int
    mac: str
    kind: str = "ether"
    """`loopback`, `ether` (a NIC), `veth`, `dummy`, `bridge`."""
    mtu: int = 1500
    up: bool = True
    driver: str = "virtio_net"
    rx_ring: int = 256
    """RX descriptors (ethtool -g); DMA drops frames when all are in use."""
    rx_ring_used: int = 0
    """Descriptors holding frames NAPI has not polled yet."""
    burst: RxBurst | None = None
    """Set while a burst arrives at line rate (the ring can fill); None: frames come spaced out and
    NAPI empties the ring before the next one."""
    qdisc: str = "fq_codel"
    txqueuelen: int = 1000
    addresses: list[Address] = field(default_factory=list)
    xdp: XdpProgram | None = None
    xdp_mode: str | None = None
    """`native`, `generic` or `offload` while a program is attached."""
    peer: str | None = None
    """The other end of a veth pair (`ip link` prints `eth0@peer`)."""
    stats: InterfaceStats = field(default_factory=InterfaceStats)
    promisc: bool = False
    cable: Cable | None = None
    """The other end of this device's link (None: a NIC on the unsimulated wire, lo, a dummy)."""
    master: str | None = None
    """The bridge this device is a port of (`ip link set DEV master BR`)."""
    tc: DeviceTc = field(default_factory=DeviceTc)
    """Qdiscs, classes and filters `tc` attached (none: `qdisc` is the device's default)."""
    features: dict[str, bool] = field(default_factory=dict)
    """Offload features `ethtool -K` changed (kernel names, e.g. `tx-tcp-segmentation`); the rest
    are the driver's defaults (`kernel.offload`)."""

    @property
    def carrier(self) -> bool:
        """Whether the link is up at both ends (a veth whose peer is down has NO-CARRIER)."""
        if self.cable is None:
            return True
        far = self.cable.far()
        return far is not None and far.up

    @property
    def native_xdp(self) -> bool:
        """Whether the driver can run XDP before the sk_buff exists."""
        return self.driver in NATIVE_XDP_DRIVERS

    @property
    def is_loopback(self) -> bool:
        """The `lo` device."""
        return self.kind == "loopback"

    def flags(self) -> str:
        """The `<...>` flag list `ip link` prints."""
        if self.is_loopback:
            names = ["LOOPBACK"]
        else:
            names = ["BROADCAST", "MULTICAST"]
        if self.promisc:
            names.append("PROMISC")
        if self.up:
            names += ["UP", "LOWER_UP"]
        return ",".join(names)

    def state(self) -> str:
        """Operational state as `ip link` prints it."""
        if not self.up:
            return "DOWN"
        return "UNKNOWN" if self.is_loopback or self.kind == "dummy" else "UP"
