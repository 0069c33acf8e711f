"""The RX ring under a burst (`flood --burst`, `kernel.ring`): occupancy is counted, NAPI drains it in
polls bounded by the weight and netdev_budget, a frame that finds the ring full is missed and counted
where the kernel counts it, `ethtool -G` changes the size, and the steady-state shortcut stays exact."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel import ring, stack
from netstack_tui.kernel.interfaces import Interface
from netstack_tui.kernel.trace import RingView
from tests.perf.test_batch_equivalence import _state

QUERY = "udp 198.51.100.9:5353 > 10.0.0.1:53"
"""A 42-byte frame: 64 bytes with the FCS after padding, 84 on the wire, 67.2 ns at 10 Gbit/s."""


def _shell(*extra: str) -> Shell:
    sh = Shell()
    for line in ("nic eth0 driver ixgbe", "ip addr add 10.0.0.1/24 dev eth0", "listen udp 0.0.0.0:53 --app dns",
                 *extra):
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def _softnet(sh: Shell) -> list[int]:
    return [int(col, 16) for col in sh.run("cat /proc/net/softnet_stat").output.split()]


def test_wire_time_pads_short_frames_and_adds_preamble() -> None:
    """A minimum frame takes 84 bytes of wire time (67.2 ns at 10 Gbit/s); a 1514-byte one 1538 bytes."""
    assert ring.wire_time_ps(42) == 67_200
    assert ring.wire_time_ps(1514) == 1_230_400


def test_burst_overflows_a_small_ring_by_the_hand_count() -> None:
    """2,000 back-to-back minimum frames take 2000 × 67.2 ns; the CPU drains one per 500 ns after the first
    lands, so 256 + floor(1999 × 67.2 / 500) = 524 land and 1,476 are missed, counted by the driver only."""
    sh = _shell()
    out = sh.run(f"flood {QUERY} --count 2000 --burst").output
    assert out.splitlines() == ["    1476  dropped at dma", "     524  delivered to dns (pid 101) 0.0.0.0:53"]
    stats = sh.run("ethtool -S eth0").output
    assert "rx_missed_errors: 1476" in stats and "rx_packets: 524" in stats and "rx_dropped: 0" in stats
    link = sh.run("ip -s link show eth0").output.splitlines()
    assert link[3].split() == ["22008", "524", "0", "0", "1476", "0"]
    softnet = _softnet(sh)
    assert len(softnet) == 15 and softnet[:3] == [524, 0, 0]  # a full ring is not softnet's `dropped`


def test_bigger_ring_absorbs_the_burst() -> None:
    """`ethtool -G eth0 rx 4096` (ixgbe allows 4096): the same burst all lands; `ethtool -g` shows it."""
    sh = _shell()
    assert sh.run("ethtool -G eth0 rx 4096").status == 0
    assert "Current hardware settings:\nRX:\t\t4096" in sh.run("ethtool -g eth0").output
    assert sh.run(f"flood {QUERY} --count 2000 --burst").output == "    2000  delivered to dns (pid 101) 0.0.0.0:53"
    assert "rx_missed_errors: 0" in sh.run("ethtool -S eth0").output


def test_ring_above_the_maximum_is_refused_and_changes_nothing() -> None:
    """ixgbe's maximum is 4096: a bigger request fails as the kernel answers and the ring stays 256."""
    sh = _shell()
    result = sh.run("ethtool -G eth0 rx 8192")
    assert result.status != 0 and "exceeds maximum" in result.output
    assert sh.host.interfaces["eth0"].rx_ring == 256


def test_long_burst_counts_time_squeeze_and_netdev_budget_changes_it() -> None:
    """With a 4096 ring, 5,000 frames keep NAPI busy for more than one round: a round of 320 frames
    (five polls of 64: the budget of 300 is checked between polls) ends in a time_squeeze and a pause for
    ksoftirqd. A budget of 3,000 means fewer squeezes and fewer pauses, so fewer frames are missed."""
    small = _shell("ethtool -G eth0 rx 4096")
    small.run(f"flood {QUERY} --count 5000 --burst")
    big = _shell("ethtool -G eth0 rx 4096", "sysctl -w net.core.netdev_budget=3000")
    big.run(f"flood {QUERY} --count 5000 --burst")
    squeezed_small, squeezed_big = _softnet(small)[2], _softnet(big)[2]
    missed_small = small.host.interfaces["eth0"].stats.rx_missed
    missed_big = big.host.interfaces["eth0"].stats.rx_missed
    # 5,000 × 67.2 ns = 336 µs of wire time. Budget 300: 320 frames (160 µs), a squeeze, 20 µs paused, then
    # 311 more: 631 taken, 5000 - 4096 - 631 = 273 missed. Budget 3,000: 671 taken, 233 missed.
    assert (squeezed_small, missed_small) == (1, 273)
    assert (squeezed_big, missed_big) == (0, 233)


def test_budget_usecs_bounds_a_round_too() -> None:
    """netdev_budget_usecs=100 allows 200 frames at 500 ns: rounds end after four polls (256 frames)."""
    assert ring.round_limit(_shell("sysctl -w net.core.netdev_budget_usecs=100").host.sysctl) == (300, 200)


def test_plain_flood_and_send_never_fill_the_ring() -> None:
    """Without --burst frames come spaced out: 5,000 of them all land on a 256-descriptor ring."""
    sh = _shell()
    assert sh.run(f"flood {QUERY} --count 5000").output == "    5000  delivered to dns (pid 101) 0.0.0.0:53"
    assert sh.host.interfaces["eth0"].rx_ring_used == 0 and sh.host.interfaces["eth0"].burst is None


@pytest.mark.parametrize("dev", ["lo", "veth1"])
def test_burst_needs_a_nic(dev: str) -> None:
    """A device without an RX ring refuses --burst on one line and nothing is sent."""
    sh = _shell("ip link add veth1 type veth peer name veth2")
    result = sh.run(f"flood {QUERY} iface={dev} --count 10 --burst")
    assert result.status == 1 and "\n" not in result.output and "--burst" in result.output
    assert sh.host.interfaces[dev].stats.rx_packets == 0


def test_last_packet_of_a_burst_shows_the_ring() -> None:
    """The traced last frame of an overflowing burst stops at dma with a full ring and no drop reason."""
    sh = _shell()
    result = sh.run(f"flood {QUERY} --count 400 --burst --vary none")
    steps = result.traces[0].steps
    dma = [s for s in steps if s.stage == "dma"][0]
    assert dma.note == "dma.ring_full" and result.traces[0].drop_reason is None
    assert isinstance(dma.view, RingView) and (dma.view.used, dma.view.size, dma.view.slot) == (256, 256, -1)


def test_landed_frame_of_a_burst_shows_the_waiting_frames() -> None:
    """A burst of 10 frames: the 10th lands 9 × 67.2 = 604.8 ns after the first, by when NAPI has taken one
    (500 ns each), so 9 descriptors are in use, this frame's (slot 9) among them."""
    sh = _shell()
    trace = sh.run(f"flood {QUERY} --count 10 --burst --vary none").traces[0]
    dma = [s for s in trace.steps if s.stage == "dma"][0]
    assert dma.note == "dma.slot_burst" and isinstance(dma.view, RingView)
    assert (dma.view.used, dma.view.slot) == (9, 9)
    assert sh.host.interfaces["eth0"].rx_ring_used == 0  # the burst is over: NAPI emptied the ring


def _reference(count: int, gap: int, size: int, budget: int) -> tuple[int, int]:
    """(missed, squeezes) by an absolute-time walk: arrival i at i·gap, the CPU free at `cpu`."""
    cpu = waiting = poll = spent = missed = squeezes = 0
    for i in range(1, count + 1):
        now = i * gap
        while waiting and cpu + ring.FRAME_COST_PS <= now:
            cpu += ring.FRAME_COST_PS
            waiting -= 1
            poll += 1
            if not waiting:
                poll = spent = 0
            elif poll == 64:
                poll, spent = 0, spent + 64
                if spent >= budget:
                    spent, squeezes, cpu = 0, squeezes + 1, cpu + ring.SQUEEZE_PAUSE_PS
        if not waiting:
            cpu = max(cpu, now)
        if waiting >= size:
            missed += 1
        else:
            waiting += 1
    return missed, squeezes


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3000), st.integers(1, 600), st.sampled_from((42, 200, 1514)), st.sampled_from((64, 300, 1000)))
def test_model_agrees_with_an_absolute_time_walk(count: int, size: int, frame: int, budget: int) -> None:
    """The ring's credit bookkeeping gives the misses and squeezes of a walk on absolute time."""
    iface = Interface("eth0", 2, "02:00:00:00:00:01", rx_ring=size)
    ring.start_burst(iface)
    assert iface.burst is not None
    missed = sum(not ring.arrive(iface, iface.burst, frame, (budget, 4000)) for _ in range(count))
    assert (missed, iface.stats.napi_squeeze) == _reference(count, ring.wire_time_ps(frame), size, budget)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 900), st.sampled_from((8, 64, 256)))
def test_burst_flood_is_exact_with_the_steady_shortcut(count: int, size: int) -> None:
    """A burst of one repeated packet gives the same observables with the steady-state shortcut as with
    every packet walked (the ring's state changes, so the shortcut must wait until it settles)."""
    fast, slow = _shell(f"nic eth0 ring {size}"), _shell(f"nic eth0 ring {size}")
    flooded = fast.run(f"flood {QUERY} --count {count} --burst --vary none")
    original = stack.repeat
    stack.repeat = lambda *args: False  # type: ignore[assignment]
    try:
        walked = slow.run(f"flood {QUERY} --count {count} --burst --vary none")
    finally:
        stack.repeat = original
    assert flooded.output == walked.output
    assert _state(fast) == _state(slow)
    assert _softnet(fast) == _softnet(slow)


def test_burst_is_deterministic_and_independent_of_the_varied_field() -> None:
    """The ring sees only frame sizes and arrival order: varying the source port changes no count."""
    a, b = _shell(), _shell()
    a.run(f"flood {QUERY} --count 1500 --burst --vary none")
    b.run(f"flood {QUERY} --count 1500 --burst --vary sport")
    assert a.run("ip -s link show eth0").output == b.run("ip -s link show eth0").output
