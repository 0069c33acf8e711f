"""What the kernel does on the early receive path and with RSTs, as the model must show it:
GRO before generic XDP, no drop reason where no sk_buff exists, the reason the kernel really
reports for generic XDP and a full conntrack table, RSTs that are never answered, LOG's MAC=."""

from __future__ import annotations

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.stages import STAGES
from netstack_tui.kernel.trace import Disposition, DropReason, Trace


def _run(*lines: str) -> tuple[Shell, Trace]:
    shell = Shell()
    trace = None
    for line in lines:
        result = shell.run(line)
        assert result.status == 0, f"{line}: {result.output}"
        if result.traces:
            trace = result.traces[0]
    assert trace is not None
    return shell, trace


def test_stage_table_puts_generic_xdp_after_gro_and_before_tc() -> None:
    """__netif_receive_skb_core() runs generic XDP after GRO handed the skb on, before tc ingress."""
    order = [s.id for s in STAGES]
    assert order.index("skb") < order.index("gro") < order.index("xdp_generic") < order.index("tc_ingress")


def test_generic_xdp_drop_comes_after_gro_with_reason_not_specified() -> None:
    """A generic-mode XDP_DROP is freed by do_xdp_generic() with plain kfree_skb(): NOT_SPECIFIED."""
    _, trace = _run("ip addr add 10.0.0.1/24 dev eth0", "nic eth0 driver r8169",
                    "ip link set dev eth0 xdp obj xdp_drop", "send tcp 10.0.0.2:1000 > 10.0.0.1:80 [S] iface=eth0")
    stages = [s.stage for s in trace.steps]
    assert stages[-1] == "xdp_generic" and "gro" in stages
    assert stages.index("gro") < stages.index("xdp_generic")
    assert trace.disposition == Disposition.DROPPED
    assert trace.drop_reason == DropReason.NOT_SPECIFIED


def test_native_xdp_drop_has_no_drop_reason() -> None:
    """Native XDP drops before any sk_buff exists: no kfree_skb, so no drop reason; ethtool -S counts it."""
    shell, trace = _run("ip addr add 10.0.0.1/24 dev eth0", "nic eth0 driver mlx5_core",
                        "ip link set dev eth0 xdpdrv obj xdp_drop",
                        "send tcp 10.0.0.2:1000 > 10.0.0.1:80 [S] iface=eth0")
    assert trace.steps[-1].stage == "xdp" and trace.disposition == Disposition.DROPPED
    assert trace.drop_reason is None and trace.steps[-1].drop_reason is None
    assert "(" not in trace.summary_line()
    assert "rx_xdp_drop: 1" in shell.run("ethtool -S eth0").output
    assert "skb" not in [s.stage for s in trace.steps]


def test_full_rx_ring_has_no_drop_reason() -> None:
    """A frame with no free RX descriptor never becomes an sk_buff: counted as missed, no drop reason."""
    shell = Shell()
    shell.run("ip addr add 10.0.0.1/24 dev eth0")
    iface = shell.host.interfaces["eth0"]
    iface.rx_ring_used = iface.rx_ring
    result = shell.run("send tcp 10.0.0.2:1000 > 10.0.0.1:80 [S] iface=eth0")
    trace = result.traces[0]
    assert trace.steps[-1].stage == "dma" and trace.disposition == Disposition.DROPPED
    assert trace.drop_reason is None and trace.steps[-1].drop_reason is None


def test_full_conntrack_table_drops_with_netfilter_drop() -> None:
    """nf_conntrack_in() answers NF_DROP when the table is full: the skb's reason is NETFILTER_DROP."""
    shell, _ = _run("ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:80",
                    "iptables -A INPUT -m conntrack --ctstate NEW -j ACCEPT",
                    "sysctl -w net.netfilter.nf_conntrack_max=1",
                    "send tcp 10.0.0.2:1000 > 10.0.0.1:80 [S] iface=eth0",
                    "send tcp 10.0.0.2:1000 > 10.0.0.1:80 [.] iface=eth0")
    trace = shell.run("send tcp 10.0.0.3:1000 > 10.0.0.1:80 [S] iface=eth0").traces[0]
    assert trace.steps[-1].stage == "prerouting.conntrack"
    assert trace.drop_reason == DropReason.NETFILTER_DROP
    assert "drop=1" in shell.run("conntrack -S").output


def test_reject_in_output_refuses_the_connecting_socket() -> None:
    """REJECT's RST for a local SYN comes back over lo to the socket in SYN-SENT: ECONNREFUSED."""
    _, trace = _run("ip addr add 10.0.0.1/24 dev eth0", "ip route add default via 10.0.0.254",
                    "iptables -A OUTPUT -p tcp --dport 25 -j REJECT --reject-with tcp-reset",
                    "send tcp 10.0.0.1:43211 > 198.51.100.25:25 [S]")
    assert trace.disposition == Disposition.REJECTED
    (rst,) = trace.replies
    assert rst.steps[-1].note == "sock.refused"
    assert rst.disposition == Disposition.DELIVERED and not rst.replies


def test_a_stray_rst_is_dropped_and_never_answered() -> None:
    """A RST for which no socket exists is dropped (NO_SOCKET) with no RST back."""
    _, trace = _run("ip addr add 10.0.0.1/24 dev eth0", "send tcp 10.0.0.2:1000 > 10.0.0.1:80 [R] iface=eth0")
    assert trace.steps[-1].note == "sock.rst_no_socket"
    assert trace.drop_reason == DropReason.NO_SOCKET and not trace.replies


def test_log_prints_the_receiving_nics_mac_as_destination() -> None:
    """nf_log's MAC= is destination MAC, source MAC, ethertype: the destination is our NIC."""
    shell, _ = _run("ip addr add 10.0.0.1/24 dev eth0", "iptables -A INPUT -j LOG --log-prefix X:",
                    "send tcp 10.0.0.2:1000 > 10.0.0.1:22 [S] iface=eth0")
    own = shell.host.interfaces["eth0"].mac
    line = shell.run("dmesg").output
    assert f"MAC={own}:" in line and "MAC=00:00:00:00:00:00" not in line
