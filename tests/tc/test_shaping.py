"""Packets queued, delayed on the simulated clock and dropped at the qdisc (QDISC_DROP), and the
numbers the egress queue stage shows."""

from __future__ import annotations

from netstack_tui.kernel.trace import DropReason, QueueView

from . import real_outputs as real
from .sim import burst, counters, pair_shell


def test_tbf_burst_takes_the_bucket_then_queues_then_drops() -> None:
    """50 frames of 1042 B into tbf 100kbit/10k/20k: 9 fit the 10 KiB bucket, 19 fit the 20 KiB queue,
    22 are dropped at the qdisc (the kernel: 22 dropped, 28 sent or queued)."""
    sh = pair_shell(*real.BURSTS["tbf"][0])
    outcomes = burst(sh, 50)
    assert outcomes.count("dropped at qdisc (QDISC_DROP)") == 22
    sent, dropped, backlog, _ = counters(sh.run("tc -s qdisc show dev va").output)
    assert (sent, dropped, backlog) == (9, 22, 19)
    sh.run("sleep 2")  # 19 × 1042 B at 100 kbit take 1.58 s
    sent, dropped, backlog, _ = counters(sh.run("tc -s qdisc show dev va").output)
    assert (sent, dropped, backlog) == (28, 22, 0)


def test_htb_class_sends_while_its_bucket_is_not_negative() -> None:
    """HTB charges after sending: a 1600 B cburst lets 2 frames of 1042 B go at once; the pfifo
    leaf holds 20; 28 are dropped and counted on the root, the leaf qdisc and the class."""
    sh = pair_shell(*real.BURSTS["htb"][0])
    burst(sh, 50)
    text = sh.run("tc -s qdisc show dev va").output
    assert counters(text)[:3] == (2, 28, 20)
    assert counters(text.split("qdisc pfifo")[1])[:3] == (2, 28, 20)
    assert " Sent 2084 bytes 2 pkt (dropped 28, overlimits 1 requeues 0) " in sh.run("tc -s class show dev va").output
    sh.run("sleep 2")
    after = sh.run("tc -s class show dev va").output
    assert " Sent 22924 bytes 22 pkt (dropped 28, overlimits 21 requeues 0) " in after
    assert " lended: 22 borrowed: 0 giants: 0" in after  # rate = ceil: every packet on its own tokens


def test_wait_grows_by_one_frame_time_per_queued_packet() -> None:
    """Alone under a 10 Mbit parent, 1:10 sends at its 2 Mbit ceil: two frames go on the 1600 B
    cburst, the third waits for the bucket to refill (1.936 ms), each later one a frame time (4.168 ms) more."""
    sh = pair_shell("tc qdisc add dev va root handle 1: htb default 10",
                    "tc class add dev va parent 1: classid 1:1 htb rate 10mbit",
                    "tc class add dev va parent 1:1 classid 1:10 htb rate 1mbit ceil 2mbit")
    waits = []
    for _ in range(5):
        trace = sh.run("send udp 10.9.0.1:4000 > 10.9.0.2:9 len=1000").traces[0]
        view = next(s.view for s in trace.steps if s.stage == "qdisc")
        assert isinstance(view, QueueView)
        waits.append(view.wait_ms)
    assert waits == [0.0, 0.0, 1.936, 6.104, 10.272]


def test_queue_view_carries_the_real_numbers() -> None:
    """The egress queue stage shows the queue the packet went to, its fill, its wait and the counters."""
    sh = pair_shell(*real.BURSTS["htb"][0])
    burst(sh, 10)
    result = sh.run("send udp 10.9.0.1:4000 > 10.9.0.2:9 len=1000")
    step = next(s for s in result.traces[0].steps if s.stage == "qdisc")
    view = step.view
    assert isinstance(view, QueueView)
    assert (view.where, view.length, view.limit, view.sent, view.dropped) == ("pfifo 10:", 9, 20, 2, 0)
    assert view.wait_ms > 0 and step.note == "tc.queued_wait" and view.modelled == "tc.note.shaped"
    assert step.param["class_text"] == " (htb 1:10)"


def test_full_queue_drop_is_qdisc_drop() -> None:
    """A packet that finds the leaf full ends its journey at the qdisc with QDISC_DROP."""
    sh = pair_shell(*real.BURSTS["htb"][0])
    burst(sh, 22)
    trace = sh.run("send udp 10.9.0.1:4000 > 10.9.0.2:9 len=1000").traces[0]
    assert trace.drop_reason == DropReason.QDISC_DROP
    assert trace.steps[-1].stage == "qdisc" and trace.steps[-1].note == "tc.drop_limit"


def test_u32_filter_picks_the_class() -> None:
    """A filter on the destination sends a packet to its class; others take HTB's default."""
    sh = pair_shell(*real.HTB_SETUP)
    sh.run("ip neigh add 10.9.0.3 lladdr 02:00:00:00:00:0a dev va")
    sh.run("send udp 10.9.0.1:4000 > 10.9.0.2:9 len=100")
    sh.run("send udp 10.9.0.1:4000 > 10.9.0.3:9 len=100")
    text = sh.run("tc -s class show dev va").output
    blocks = {block.split()[2]: block for block in text.split("\n\n") if block}
    assert " Sent 142 bytes 1 pkt" in blocks["1:20"] and " Sent 142 bytes 1 pkt" in blocks["1:10"]
    assert " Sent 284 bytes 2 pkt" in blocks["1:1"]


def test_htb_without_the_default_class_sends_direct() -> None:
    """No class for `default 10`: packets leave unshaped and direct_packets_stat counts them."""
    sh = pair_shell("tc qdisc add dev va root handle 1: htb default 10")
    burst(sh, 3)
    assert "direct_packets_stat 3 " in sh.run("tc qdisc show dev va").output


def test_noqueue_counts_nothing_and_fq_codel_sends_at_once() -> None:
    """A veth's noqueue has no counters (real: Sent 0 after traffic); a NIC's fq_codel counts but never queues."""
    sh = pair_shell()
    burst(sh, 3)
    assert counters(sh.run("tc -s qdisc show dev va").output) == (0, 0, 0, 0)
    step = next(s for s in sh.run("send udp 10.9.0.1:4000 > 10.9.0.2:9 len=1000").traces[0].steps
                if s.stage == "qdisc")
    assert step.note == "tc.noqueue"
    sh.run("tc qdisc add dev va root pfifo limit 2")
    burst(sh, 5)  # no shaper: the model's device sends as fast as packets come
    assert counters(sh.run("tc -s qdisc show dev va").output)[:3] == (5, 0, 0)


def test_netem_delays_and_loses_deterministically() -> None:
    """netem delay 100ms loss 25%: every 4th packet lost, the rest leave 100 ms later."""
    sh = pair_shell("tc qdisc add dev va root netem delay 100ms loss 25%")
    outcomes = burst(sh, 8)
    assert outcomes.count("dropped at qdisc (QDISC_DROP)") == 2
    assert counters(sh.run("tc -s qdisc show dev va").output)[:3] == (0, 2, 6)
    sh.run("sleep 0.1")
    assert counters(sh.run("tc -s qdisc show dev va").output)[:3] == (6, 2, 0)


def test_flood_through_a_full_queue_settles() -> None:
    """A forwarded flood fills HTB's leaf once; the rest are dropped (the steady-state shortcut is exact)."""
    sh = pair_shell(*real.BURSTS["htb"][0], "sysctl -w net.ipv4.ip_forward=1")
    out = sh.run("flood udp 192.0.2.7:4000 > 10.9.0.2:9 len=1000 iface=eth0 --count 100000 --vary none").output
    assert "99978  dropped at qdisc (QDISC_DROP)" in out
    assert counters(sh.run("tc -s qdisc show dev va").output)[:3] == (2, 99978, 20)


def test_ingress_drop_police_and_ifb_shaping() -> None:
    """Ingress filters drop (TC_INGRESS), police over their rate (TC_INGRESS), or redirect to an
    ifb whose tbf queues what fits and drops the rest (QDISC_DROP): ingress shaping."""
    sh = pair_shell("ip addr add 10.0.0.1/24 dev eth0", "ip link add ifb0 type ifb", "ip link set ifb0 up",
                    "tc qdisc add dev eth0 ingress",
                    "tc filter add dev eth0 parent ffff: protocol ip prio 1 u32 match ip dport 7 0xffff action drop",
                    "tc filter add dev eth0 parent ffff: protocol ip prio 2 u32 match ip dport 8 0xffff "
                    "police rate 1mbit burst 2k drop",
                    "tc filter add dev eth0 parent ffff: protocol ip prio 3 u32 match ip dport 9 0xffff "
                    "action mirred egress redirect dev ifb0",
                    "tc qdisc add dev ifb0 root tbf rate 1mbit burst 10k limit 20k")
    dropped = sh.run("send udp 10.0.0.2:4000 > 10.0.0.1:7 len=100 iface=eth0").traces[0]
    assert (dropped.steps[-1].stage, dropped.drop_reason) == ("tc_ingress", DropReason.TC_INGRESS)
    policed = [sh.run("send udp 10.0.0.2:4000 > 10.0.0.1:8 len=1000 iface=eth0").output for _ in range(3)]
    assert [line.startswith("dropped at tc_ingress") for line in policed] == [False, True, True]
    out = sh.run("flood udp 10.0.0.2:4000 > 10.0.0.1:9 len=1000 iface=eth0 --count 50 --vary none").output
    assert "22  dropped at tc_ingress (QDISC_DROP)" in out
    assert counters(sh.run("tc -s qdisc show dev ifb0").output)[:3] == (9, 22, 19)
    assert "mirred (Egress Redirect to device ifb0) stolen" in sh.run("tc filter show dev eth0 ingress").output
