"""What inet_diag tells `ss -m` and `ss -i` about a TCP socket: its memory (skmem) and its tcp_info.

Fields the model keeps come from it: the queues, the buffer sizes, bytes and segments counted both
ways, the MSS of the route, the delayed-ACK and keepalive state, the window. Fields it does not
model (RTT, RTO, the congestion window, pacing) are what an idle socket shows on Linux 6.18 with
cubic: a few microseconds of RTT, rto:204, cwnd:10, app_limited.

Compared with `ss -tmi` (iproute2 6.1) on a real namespace: the order of the fields, which of them
are left out while zero, and the "\\t " that starts the second line.
"""

from __future__ import annotations

from ..host import Host
from ..sockets import Socket
from . import acks, options, queues
from .state import FdInfo

IDLE_RTT_MS = (0.017, 0.008)
"""rtt:SRTT/RTTVAR an idle loopback connection reports (ms)."""
RTO_MS = 204
INITIAL_CWND = 10
TCP_MSS_DEFAULT = 536
"""rcvmss until a larger segment arrives (tcp_measure_rcv_mss() only raises it)."""


def _wscale(host: Host) -> int:
    """tcp_select_initial_window(): the shift that lets the largest buffer be advertised."""
    space = max(int(host.sysctl.get("net.ipv4.tcp_rmem").split()[2]), host.sysctl.int("net.core.rmem_max"))
    return min(max(space.bit_length() - 1 - 15, 0), 14)


def skmem(host: Host, sock: Socket, info: FdInfo | None) -> str:
    """skmem:(r,rb,t,tb,f,w,o,bl,d): memory held by queued data and the limits on it. `r` counts the
    unread bytes (the kernel counts whole buffers, a little more), `f` the rest of the page reserved
    for them; `w` what is written and not yet acknowledged."""
    unread = queues.unread(sock) if sock.copied_seq is not None else sock.recv_q
    rb = options.rcvbuf(host, sock)
    tb = options.sndbuf(host, info) if info is not None else int(host.sysctl.get("net.ipv4.tcp_wmem").split()[1])
    queued = sock.send_q if sock.state != "LISTEN" else 0
    forward = -unread % 4096 if unread else 0
    return f"skmem:(r{unread},rb{rb},t0,tb{tb},f{forward},w{queued},o0,bl0,d0)"


def tcp_info(host: Host, sock: Socket, info: FdInfo | None, numeric: bool) -> str:
    """The `ss -i` line: options, window scale, timers, sizes, counters, rates, receive space."""
    if sock.state == "LISTEN":
        return f"cubic cwnd:{INITIAL_CWND}"
    mss, advmss = acks.mss(host, sock), acks.advmss(host, sock)
    rtt, rttvar = IDLE_RTT_MS
    parts = ["ts sack cubic" if sock.timestamps else "sack cubic", f"wscale:{_wscale(host)},{_wscale(host)}",
             f"rto:{RTO_MS}", f"rtt:{rtt}/{rttvar}"]
    if sock.data_heard is not None:
        parts.append("ato:40")
    rcvmss = min(max(sock.rcv_mss, TCP_MSS_DEFAULT), advmss)
    parts += [f"mss:{mss}", f"pmtu:{acks.path_mtu(host, sock)}", f"rcvmss:{rcvmss}", f"advmss:{advmss}",
              f"cwnd:{INITIAL_CWND}"]
    active = info is not None and info.opened_actively
    sent = info.bytes_sent if info is not None else 0
    flying = acks.in_flight(sock, info.send_seq) if info is not None else 0
    received = (info.bytes_read if info is not None else 0) + queues.unread(sock)
    counters = [("bytes_sent", sent), ("bytes_acked", sent - flying + (1 if active else 0)),
                ("bytes_received", received),
                ("segs_out", (info.segs_out if info is not None else 0) + (2 if active else 0)),
                ("segs_in", sock.segs_in + (1 if active else 2)),
                ("data_segs_out", info.data_segs_out if info is not None else 0),
                ("data_segs_in", sock.data_segs_in)]
    parts += [f"{name}:{value}" for name, value in counters if value]
    rate = INITIAL_CWND * mss * 8 / (rtt / 1000)
    parts.append(f"send {_bps(rate, numeric)}")
    now = host.clock
    last_sent = info.last_sent if info is not None and info.last_sent is not None else sock.last_heard
    parts += [f"lastsnd:{_ms(now - last_sent)}", f"lastrcv:{_ms(now - sock.last_heard)}",
              f"lastack:{_ms(now - sock.last_heard)}", f"pacing_rate {_bps(rate * 2, numeric)}", "delivered:1",
              "app_limited"]
    # tcp_select_initial_window(): the first window is the buffer's data half in whole segments;
    # the peer, on the same sysctls, offers the same (snd_wnd).
    window = max(options.window_space(host, sock) // advmss, 1) * advmss
    parts += [f"rcv_space:{min(window, INITIAL_CWND * advmss)}", f"rcv_ssthresh:{window}", f"minrtt:{rtt}",
              f"snd_wnd:{window}"]
    return " ".join(parts)


def _ms(seconds: float) -> int:
    return max(0, int(seconds * 1000))


def _bps(rate: float, numeric: bool) -> str:
    """`154202352941bps` with -n, else as ss's sprint_bw(): `154Gbps`, `1.2Mbps`."""
    if numeric:
        return f"{int(rate)}bps"
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if rate >= size:
            return f"{rate / size:.3g}{unit}bps"
    return f"{int(rate)}bps"
