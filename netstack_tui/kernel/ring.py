"""RX ring occupancy under a burst: frames arrive back to back at line rate, NAPI drains them in
polls of the NAPI weight within softirq rounds bounded by net.core.netdev_budget and
netdev_budget_usecs, and a frame that finds every descriptor in use is missed.

The model is deterministic and counts time in picoseconds on the burst's own clock (the host's
clock stands still during a flood, as it does for every packet):

- the wire delivers one frame every (frame + FCS, padded to 64, + 20 bytes of preamble and
  inter-frame gap) × 8 bits at `LINE_RATE_GBPS`;
- the CPU spends `FRAME_COST_PS` on each frame it takes from the ring (one core, a modest full
  receive path: about 2 Mpps, in line with the figures in `kernel.cost`);
- net_rx_action() polls the device with the weight (64) until the round has taken netdev_budget
  frames or run netdev_budget_usecs; a round that stops with a full last poll counts a
  time_squeeze and the rest waits `SQUEEZE_PAUSE_PS` for ksoftirqd.

The simulator runs each frame through the stack as it lands; the ring only decides which frames
land. With the clock standing still, processing a frame at its arrival or at its poll changes no
outcome. Outside a burst (`send`, a plain `flood`), frames come spaced out and the ring is empty
before each one.
"""

from __future__ import annotations

from .interfaces import Interface, RxBurst
from .sysctl import Sysctls

LINE_RATE_GBPS = 10
"""Line rate of every simulated NIC."""
FRAME_COST_PS = 500_000
"""CPU time per frame taken from the ring (500 ns)."""
SQUEEZE_PAUSE_PS = 20_000_000
"""A squeezed round's hand-over to ksoftirqd (20 µs; in the kernel it depends on the scheduler)."""
NAPI_WEIGHT = 64
"""Frames one poll of a device may take (NAPI_POLL_WEIGHT)."""
MIN_FRAME = 64
WIRE_OVERHEAD = 20 + 4
"""Preamble, start delimiter and inter-frame gap (20 bytes), plus the FCS (4) not in `frame`."""


def wire_time_ps(frame: int) -> int:
    """Picoseconds one frame of `frame` bytes (Ethernet header included, FCS not) takes on the wire."""
    bits = (max(frame + 4, MIN_FRAME) + 20) * 8
    return bits * 1000 // LINE_RATE_GBPS


def round_limit(sysctl: Sysctls) -> tuple[int, int]:
    """(netdev_budget, the frames netdev_budget_usecs allows at `FRAME_COST_PS`)."""
    budget = max(int(sysctl.get("net.core.netdev_budget")), 1)
    usecs = max(int(sysctl.get("net.core.netdev_budget_usecs")), 0)
    return budget, max(usecs * 1_000_000 // FRAME_COST_PS, 1)


def arrive(iface: Interface, burst: RxBurst, frame: int, limits: tuple[int, int]) -> bool:
    """The next frame of a burst reaches `iface`: NAPI first drains what the CPU had time for while the
    frame was on the wire, then the frame takes a descriptor. False: the ring was full (missed)."""
    burst.credit_ps += wire_time_ps(frame)
    budget, by_time = limits
    while iface.rx_ring_used > 0 and burst.credit_ps >= FRAME_COST_PS:
        burst.credit_ps -= FRAME_COST_PS
        iface.rx_ring_used -= 1
        burst.poll_done += 1
        if iface.rx_ring_used == 0:
            # The poll took fewer frames than its weight: napi_complete(), the round is over.
            burst.poll_done = burst.round_done = 0
            break
        if burst.poll_done == NAPI_WEIGHT:
            burst.poll_done = 0
            burst.round_done += NAPI_WEIGHT
            # net_rx_action() checks budget and time only between polls, so a round can overshoot.
            if burst.round_done >= budget or burst.round_done >= by_time:
                burst.round_done = 0
                iface.stats.napi_squeeze += 1
                burst.credit_ps -= SQUEEZE_PAUSE_PS
    if iface.rx_ring_used == 0:
        burst.credit_ps = 0  # an idle CPU's time is not saved for later
    if iface.rx_ring_used >= iface.rx_ring:
        return False
    iface.rx_ring_used += 1
    return True


def start_burst(iface: Interface) -> None:
    """Frames begin to arrive back to back on `iface`."""
    iface.burst = RxBurst()
    iface.rx_ring_used = 0


def end_burst(iface: Interface) -> None:
    """The burst is over: NAPI empties the ring (those frames already went through the stack)."""
    iface.burst = None
    iface.rx_ring_used = 0
