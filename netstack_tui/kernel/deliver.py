"""Local delivery: TCP, UDP and ICMP receive, socket queues, and the application."""

from __future__ import annotations

from typing import NoReturn

from . import mib, replies, tcp_timers
from .app import appview
from .app.acks import TCP_DELACK_MIN
from .app.options import rcvbuf, window_space
from .app.queues import unread
from .host import Host
from .journey import Journey, pull_header
from .packet import (
    ACK,
    FIN,
    ICMP_DEST_UNREACH,
    ICMP_ECHO_REQUEST,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    RST,
    SYN,
    TCPOLEN_TSTAMP_ALIGNED,
    Packet,
)
from .sockets import ORPHAN_FIN_TIMEOUT, ORPHAN_STATES, TCP_TIMEWAIT_LEN, Socket, SocketError
from .trace import (
    Disposition,
    DropReason,
    SocketRow,
    SocketView,
    Verdict,
)

# ---- local delivery ----------------------------------------------------------------------------------


def local_deliver(j: Journey) -> None:
    """ip_local_deliver_finish(): hand the packet to its protocol handler."""
    if j.flow.skb is not None:
        j.flow.skb = pull_header(j.flow.skb, 20, "ip_local_deliver: __skb_pull(20)", j.flow.pkt.proto_name)
    proto = j.flow.pkt.proto
    if proto in (IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP):
        mib.count(j.host, "IpInDelivers")  # ip_protocol_deliver_rcu(): a handler takes it
    if proto == IPPROTO_TCP:
        _tcp_rcv(j)
    elif proto == IPPROTO_UDP:
        _udp_rcv(j)
    elif proto == IPPROTO_ICMP:
        _icmp_rcv(j)
    else:
        j.step("socket", Verdict.DROP, "sock.no_protocol", drop_reason=DropReason.NOT_SPECIFIED)
        raise j.stop(Disposition.DROPPED, DropReason.NOT_SPECIFIED)


def _socket_view(j: Journey, chosen: Socket | None) -> SocketView | None:
    if not j.record:
        return None
    table = j.host.sockets
    rows: list[SocketRow] = []
    chosen_index = -1
    for sock in table.sockets:
        if sock.proto != j.flow.pkt.proto_name:
            continue
        if sock is chosen or (chosen is not None and chosen.parent is sock):
            chosen_index = len(rows)
        proc = table.processes.get(sock.pid) if sock.pid is not None else None
        rows.append(
            SocketRow(
                sock.state,
                sock.local_text(),
                sock.peer_text(),
                len(sock.accept_queue) if sock.state == "LISTEN" else sock.recv_q,
                sock.backlog if sock.state == "LISTEN" else sock.send_q,
                f"{proc.name},pid={proc.pid},fd={sock.fd}" if proc else "",
                len(sock.syn_queue),
                sock.backlog,
            )
        )
    proc = table.processes.get(chosen.pid) if chosen is not None and chosen.pid is not None else None
    return SocketView(tuple(rows), chosen_index, len(proc.fds) if proc else 0, proc.nofile if proc else 0)


def _owner(j: Journey, sock: Socket) -> str:
    proc = j.host.sockets.processes.get(sock.pid) if sock.pid is not None else None
    name = f"{proc.name} (pid {proc.pid})" if proc else "kernel"
    return f"{name} {sock.local_text()}"


def _no_socket(j: Journey, note: str, answer: Packet | None) -> None:
    j.step(
        "socket",
        Verdict.DROP,
        note,
        params={"port": j.flow.pkt.dport},
        view=_socket_view(j, None),
        drop_reason=DropReason.NO_SOCKET,
    )
    # UDP and TCP let go of the packet's conntrack entry (nf_reset_ct) before the socket lookup, so
    # the answer carries none: conntrack finds it in OUTPUT by its quote or its own tuple.
    j.emit(answer)
    raise j.stop(Disposition.DROPPED, DropReason.NO_SOCKET)


def _tcp_rcv(j: Journey) -> None:
    """tcp_v4_rcv(): established socket, then listener, else RST."""
    host, pkt = j.host, j.flow.pkt
    table = host.sockets
    mib.count(host, "TcpInSegs")
    local, peer = (pkt.dst, pkt.dport), (pkt.src, pkt.sport)
    sock = table.lookup_established("tcp", local, peer)
    if sock is not None:
        _tcp_established(j, sock)
        return
    listener = table.lookup_listener("tcp", pkt.dst, pkt.dport, peer)
    broadcast = host.addr_type(pkt.dst) in ("BROADCAST", "MULTICAST")
    if listener is None:
        # tcp_v4_send_reset() never answers a RST, nor anything not sent to a local address.
        note = "sock.rst_no_socket" if pkt.flags & RST else "sock.tcp_broadcast" if broadcast else "sock.tcp_closed"
        _no_socket(j, note, None if broadcast else _reset(host, pkt))
        return
    if broadcast and pkt.flags & SYN:
        # tcp_v4_conn_request(): "Never answer to SYNs send to broadcast or multicast".
        j.step("socket", Verdict.DROP, "sock.tcp_broadcast", view=_socket_view(j, listener),
               drop_reason=DropReason.NOT_SPECIFIED)
        raise j.stop(Disposition.DROPPED, DropReason.NOT_SPECIFIED)
    if not (pkt.flags & SYN) or pkt.flags & (ACK | RST):
        # A segment for a listener that is not a SYN and matches no pending request.
        answer = None if pkt.flags & RST else _reset(host, pkt)
        j.step(
            "socket",
            Verdict.DROP,
            "sock.listener_bad_segment",
            view=_socket_view(j, listener),
            drop_reason=DropReason.TCP_FLAGS,
        )
        j.emit(answer)
        raise j.stop(Disposition.DROPPED, DropReason.TCP_FLAGS)
    syncookies, syn_full, accept_full, reserve_reached = syn_admission(host, listener)
    # tcp_conn_request(): the SYN queue is full once it holds more requests than the listen backlog
    # (inet_csk_reqsk_queue_is_full); then a cookie answers, or nothing without syncookies.
    cookie = syncookies == 2 or syn_full
    if cookie:
        _syn_flood_warning(host, listener, syncookies)
        if not syncookies:
            mib.count(host, "TcpExtListenDrops")
            _socket_drop(j, "sock.syn_queue_full", DropReason.TCP_LISTEN_OVERFLOW, _socket_view(j, listener))
    if accept_full:
        mib.count(host, "TcpExtListenOverflows")
        mib.count(host, "TcpExtListenDrops")
        _socket_drop(j, "sock.accept_queue_full", DropReason.TCP_LISTEN_OVERFLOW, _socket_view(j, listener),
                     params={"backlog": listener.backlog, "queued": len(listener.accept_queue)})
    if not cookie and not syncookies and reserve_reached:
        # Without syncookies the last quarter of tcp_max_syn_backlog is kept for proven peers.
        mib.count(host, "TcpExtListenDrops")
        _socket_drop(j, "sock.syn_queue_full", DropReason.TCP_LISTEN_OVERFLOW, _socket_view(j, listener))
    isn = _isn(host, pkt)
    timestamps = host.sysctl.int("net.ipv4.tcp_timestamps") != 0
    answer = replies.syn_ack(pkt, isn, timestamps=timestamps)
    mib.tcp_out(host, answer)
    if cookie:
        mib.count(host, "TcpExtSyncookiesSent")
    if not cookie:
        child = Socket(
            "tcp", local, peer, "SYN-RECV", pid=listener.pid, parent=listener, reuseaddr=listener.reuseaddr, isn=isn,
            timestamps=timestamps and pkt.offers_timestamps, rcvbuf=listener.rcvbuf,
        )
        table.enqueue_request(listener, child)
        tcp_timers.arm(child, answer, host.clock)
    owner = _owner(j, listener)
    j.step(
        "socket",
        Verdict.DELIVER,
        "sock.syn_queued" if not cookie else "sock.syncookie",
        params={"owner": owner, "queued": len(listener.syn_queue)},
        view=_socket_view(j, listener),
    )
    j.delivered_to = owner
    j.emit(answer)
    raise j.stop(Disposition.DELIVERED)


def syn_admission(host: Host, listener: Socket) -> tuple[int, bool, bool, bool]:
    """Everything tcp_conn_request() reads to admit a SYN: `tcp_syncookies`, whether the SYN queue
    holds more requests than the backlog, whether the accept queue does, and whether the SYN queue
    reached the last quarter of `tcp_max_syn_backlog` (kept for proven peers when cookies are off).
    One function, so `kernel.varied` keys a flood's SYNs by exactly what decides their fate."""
    queued = len(listener.syn_queue)
    max_syn = host.sysctl.int("net.ipv4.tcp_max_syn_backlog")
    return (host.sysctl.int("net.ipv4.tcp_syncookies"), queued > listener.backlog,
            len(listener.accept_queue) > listener.backlog, max_syn - queued < max_syn >> 2)


def _syn_flood_warning(host: Host, listener: Socket, syncookies: int) -> None:
    """tcp_syn_flood_action(): the kernel log line, once per listener (none in syncookies=2 mode)."""
    if listener.synflood_warned or syncookies == 2:
        return
    listener.synflood_warned = True
    action = "Sending cookies" if syncookies else "Dropping request"
    host.log(f"TCP: request_sock_TCP: Possible SYN flooding on port {listener.local_text()}. {action}.")


def _reset(host: Host, pkt: Packet) -> Packet | None:
    """tcp_v4_send_reset(): the RST answering `pkt` (None for a RST), counted as TCP sends it."""
    answer = replies.tcp_reset(pkt)
    mib.tcp_out(host, answer, rst=True)
    return answer


def _sent(host: Host, segment: Packet) -> Packet:
    """A segment the TCP stack answers with (an ACK, a FIN): counted in TcpOutSegs."""
    mib.tcp_out(host, segment)
    return segment


def retransmitted(host: Host, segment: Packet) -> None:
    """A SYN or SYN-ACK sent again: TcpRetransSegs and TcpExtTCPSynRetrans. A SYN again
    (tcp_retransmit_skb()) is no new segment for TcpOutSegs; a SYN-ACK is built afresh
    (tcp_make_synack() counts it there)."""
    mib.count(host, "TcpRetransSegs")
    mib.count(host, "TcpExtTCPSynRetrans")
    if segment.flags & ACK:
        mib.tcp_out(host, segment)


def _count_reset_received(host: Host, sock: Socket) -> None:
    """tcp_reset() -> tcp_done(): a refused connect() is a failed attempt, an established
    connection's end a reset; a pending request's is an embryonic reset."""
    if sock.state == "SYN-SENT":
        mib.count(host, "TcpAttemptFails")
    elif sock.state in ("ESTAB", "CLOSE-WAIT"):
        mib.count(host, "TcpEstabResets")
    elif sock.state == "SYN-RECV":
        mib.count(host, "TcpExtEmbryonicRsts")


def _socket_drop(j: Journey, note: str, reason: DropReason, view: SocketView | None,
                 params: dict[str, object] | None = None) -> NoReturn:
    """The socket layer drops the packet: one step, then the end of the journey."""
    j.step("socket", Verdict.DROP, note, params=params, view=view, drop_reason=reason)
    raise j.stop(Disposition.DROPPED, reason)


def _isn(host: Host, pkt: Packet) -> int:
    return isn_for(host, pkt.src, pkt.sport, pkt.dport)


def isn_for(host: Host, src: int, sport: int, dport: int) -> int:
    """A deterministic initial sequence number (the kernel's is a keyed hash of the 4-tuple)."""
    return (src * 2654435761 + sport * 40503 + dport + int(host.clock * 1000)) & 0xFFFFFFFF


def _tcp_established(j: Journey, sock: Socket) -> None:
    host, pkt = j.host, j.flow.pkt
    table = host.sockets
    listener = sock.parent
    if pkt.flags & RST:
        refused = sock.state == "SYN-SENT"
        _count_reset_received(host, sock)
        owner = _owner(j, sock)
        _drop_child(j, sock)
        j.step("socket", Verdict.DELIVER, "sock.refused" if refused else "sock.rst_received",
               params={"owner": owner}, view=_socket_view(j, sock))
        j.delivered_to = owner
        raise j.stop(Disposition.DELIVERED)
    if sock.state == "SYN-SENT":
        _tcp_connecting(j, sock)
    if sock.state == "SYN-RECV" and listener is not None:
        if pkt.flags & SYN and not pkt.flags & ACK:
            _repeated_syn(j, sock, listener)
        if not pkt.flags & ACK:
            _socket_drop(j, "sock.listener_bad_segment", DropReason.TCP_FLAGS, _socket_view(j, listener))
        # tcp_check_req(): the ACK must acknowledge our SYN-ACK. An ack of 0 in the notation means
        # "the right one" (the learner cannot know our ISN) — if a SYN-ACK ever left; any other
        # wrong value gets a RST.
        wrong = pkt.ack_seq != (sock.isn + 1) & 0xFFFFFFFF if pkt.ack_seq else not sock.synack_sent
        if wrong:
            j.step(
                "socket",
                Verdict.DROP,
                "sock.bad_ack",
                params={"ack": pkt.ack_seq, "want": sock.isn + 1},
                view=_socket_view(j, listener),
                drop_reason=DropReason.TCP_FLAGS,
            )
            j.emit(_reset(j.host, pkt))
            raise j.stop(Disposition.DROPPED, DropReason.TCP_FLAGS)
        if len(listener.accept_queue) > listener.backlog:
            # tcp_v4_syn_recv_sock(): no room for the child (exit_overflow).
            mib.count(host, "TcpExtListenOverflows")
            mib.count(host, "TcpExtListenDrops")
            if host.sysctl.int("net.ipv4.tcp_abort_on_overflow"):
                mib.count(host, "TcpExtEmbryonicRsts")
                # tcp_check_req()'s embryonic reset: the request is dropped and the ACK answered by a RST.
                table.dequeue(listener, sock)
                j.step("socket", Verdict.DROP, "sock.accept_queue_full_ack", params={"backlog": listener.backlog},
                       view=_socket_view(j, listener), drop_reason=DropReason.TCP_LISTEN_OVERFLOW)
                j.emit(_reset(j.host, pkt))
                raise j.stop(Disposition.DROPPED, DropReason.TCP_LISTEN_OVERFLOW)
            # tcp_check_req() with a full accept queue: the ACK is dropped, the request stays (and its
            # SYN-ACK timer resends, so a peer's next ACK may find room).
            _socket_drop(j, "sock.accept_queue_full_ack", DropReason.TCP_LISTEN_OVERFLOW, _socket_view(j, listener),
                         params={"backlog": listener.backlog})
        tcp_timers.disarm(sock)
        table.promote(listener, sock)
        mib.count(host, "TcpPassiveOpens")  # tcp_create_openreq_child()
        sock.state, sock.send_q = "ESTAB", 0
        sock.snd_nxt, sock.rcv_nxt = pkt.ack_seq, (pkt.seq + pkt.payload_len) & 0xFFFFFFFF
        sock.recv_q += pkt.payload_len
        j.step(
            "socket",
            Verdict.DELIVER,
            "sock.handshake_done",
            params={"owner": _owner(j, listener), "queued": len(listener.accept_queue), "backlog": listener.backlog},
            view=_socket_view(j, listener),
        )
        j.delivered_to = _owner(j, listener)
        _app_accept(j, listener)
        raise j.stop(Disposition.DELIVERED)
    if sock.state in ORPHAN_STATES:
        _tcp_closing(j, sock)
    sock.last_heard = host.clock
    if sock.copied_seq is not None or sock.rcvbuf:
        _program_socket_checks(j, sock)
        # tcp_info's counters, for a program's socket only: the model's own readers stay steady
        # under a flood (kernel.steady), which a counter on every packet would defeat.
        sock.segs_in += 1
        if pkt.payload_len:
            sock.data_heard = host.clock
            sock.data_segs_in += 1
            sock.rcv_mss = max(sock.rcv_mss, pkt.payload_len)
    if pkt.flags & ACK:
        sock.snd_nxt = pkt.ack_seq
    sock.rcv_nxt = (pkt.seq + pkt.payload_len + (1 if pkt.flags & FIN else 0)) & 0xFFFFFFFF
    sock.recv_q += pkt.payload_len
    owner = _owner(j, sock)
    j.step(
        "socket",
        Verdict.DELIVER,
        "sock.segment",
        params={"owner": owner, "bytes": pkt.payload_len},
        view=_socket_view(j, sock),
    )
    j.delivered_to = owner
    options = _options(sock)
    if pkt.flags & FIN:
        sock.state = "CLOSE-WAIT" if sock.state == "ESTAB" else sock.state
        j.emit(_sent(j.host, replies.tcp_ack(pkt, seq=pkt.ack_seq, opt_len=options)))
        # Only a socket the application has accepted (it holds an fd) can be closed by it; one still
        # waiting in the accept queue (`--no-accept`) stays in CLOSE-WAIT there.
        proc = table.processes.get(sock.pid) if sock.pid is not None and sock.fd is not None else None
        if _program_step(j, sock):
            pass  # a program reads the end of file itself, and closes (or not) as its code says
        elif proc is not None and not proc.leaks and proc.alive:
            j.step("app", Verdict.DELIVER, "app.close", params={"app": proc.name})
            if sock.state == "CLOSE-WAIT":
                # tcp_close() sends our FIN: LAST-ACK until the peer acknowledges it.
                table.close_sending_fin(sock, host.clock, fin_ack=pkt.ack_seq + 1)
                j.emit(_sent(j.host, replies.tcp_ack(pkt, seq=pkt.ack_seq, flags=FIN | ACK, opt_len=options)))
            else:
                table.close(sock, host.clock, active=False)
        elif proc is not None:
            j.step("app", Verdict.DELIVER, "app.leak_close_wait", params={"app": proc.name, "fd": sock.fd})
    elif pkt.payload_len:
        if sock.copied_seq is not None and sock.pingpong:
            # An interactive socket delays its ACK (TCP_DELACK_MIN, 40 ms) hoping to send it with
            # its answer; `kernel.app.timers` sends it when the timer fires first.
            sock.ack_due = sock.ack_due if sock.ack_due is not None else host.clock + TCP_DELACK_MIN
            sock.acks_owed += 1
        else:
            j.emit(_sent(j.host, replies.tcp_ack(pkt, seq=pkt.ack_seq, opt_len=options)))
        proc = table.processes.get(sock.pid) if sock.pid is not None else None
        if _program_step(j, sock):
            pass  # a program's read() takes the bytes when it runs (the steps after this one)
        elif proc is not None and sock.fd is not None:  # not yet accept()ed: the bytes wait in its queue
            j.step("app", Verdict.DELIVER, "app.recv", params={"app": proc.name, "bytes": sock.recv_q})
            sock.recv_q = 0
    raise j.stop(Disposition.DELIVERED)


def _program_socket_checks(j: Journey, sock: Socket) -> None:
    """For a socket a program reads itself (`kernel.app`): a keepalive probe is answered, and data
    that does not fit in the receive buffer is dropped (the window it was offered is closed)."""
    host, pkt = j.host, j.flow.pkt
    behind = (sock.rcv_nxt - pkt.seq) & 0xFFFFFFFF
    if pkt.payload_len == 0 and behind == 1 and not pkt.flags & (SYN | FIN | RST):
        # tcp_keepalive_timer() probes with seq = snd_una - 1: an old sequence number that
        # tcp_validate_incoming() answers with a duplicate ACK, which is all the prober wanted.
        j.step("socket", Verdict.DELIVER, "sock.keepalive_probe", params={"owner": _owner(j, sock)},
               view=_socket_view(j, sock))
        j.emit(_sent(host, Packet(IPPROTO_TCP, pkt.dst, pkt.src, pkt.dport, pkt.sport, flags=ACK,
                                  seq=pkt.ack_seq, ack_seq=sock.rcv_nxt, opt_len=_options(sock))))
        raise j.stop(Disposition.DELIVERED)
    if not pkt.payload_len:
        return
    waiting = unread(sock) if sock.copied_seq is not None else sock.recv_q  # accepted, or still queued
    room = window_space(host, sock) - waiting
    if pkt.payload_len <= room:
        return
    # tcp_data_queue(): the receive window is used up (a reader slower than its peer); the segment
    # is dropped and the ACK repeats the old ack number with the window the buffer has left.
    # A closed window is TCP_ZEROWINDOW; a window still open but too small for the segment is the
    # memory check failing (PROTO_MEM). SOCKET_RCVBUFF is UDP's reason, not TCP's.
    reason = DropReason.TCP_ZEROWINDOW if room <= 0 else DropReason.PROTO_MEM
    mib.count(host, "TcpExtTCPZeroWindowDrop" if room <= 0 else "TcpExtTCPRcvQDrop")
    j.step("socket", Verdict.DROP, "sock.rcvbuf_full",
           params={"owner": _owner(j, sock), "unread": waiting, "space": window_space(host, sock)},
           view=_socket_view(j, sock), drop_reason=reason)
    j.emit(_sent(host, Packet(IPPROTO_TCP, pkt.dst, pkt.src, pkt.dport, pkt.sport, flags=ACK,
                              seq=pkt.ack_seq, ack_seq=sock.rcv_nxt, opt_len=_options(sock))))
    raise j.stop(Disposition.DROPPED, reason)


def _repeated_syn(j: Journey, req: Socket, listener: Socket) -> NoReturn:
    """tcp_check_req(): the peer sent its SYN again (our SYN-ACK was lost): the SYN-ACK goes again."""
    answer = tcp_timers.resend_synack(j.host, req)
    if answer is not None:
        retransmitted(j.host, answer)  # inet_rtx_syn_ack() -> tcp_rtx_synack()
    owner = _owner(j, listener)
    j.step("socket", Verdict.DELIVER, "sock.syn_queued", params={"owner": owner, "queued": len(listener.syn_queue)},
           view=_socket_view(j, listener))
    j.delivered_to = owner
    j.emit(answer)
    raise j.stop(Disposition.DELIVERED)


def _tcp_connecting(j: Journey, sock: Socket) -> None:
    """tcp_rcv_synsent_state_process(): a SYN-ACK completes our connect(); anything else is dropped."""
    pkt = j.flow.pkt
    if pkt.flags & SYN and pkt.flags & ACK:
        tcp_timers.disarm(sock)
        sock.state, sock.send_q = "ESTAB", 0
        sock.snd_nxt, sock.rcv_nxt = pkt.ack_seq, (pkt.seq + 1) & 0xFFFFFFFF
        # Timestamps are on when the SYN-ACK echoes the option, which it does only if our SYN offered
        # it: a connecting socket's SYN is Linux's, with timestamps while net.ipv4.tcp_timestamps is on.
        sock.timestamps = j.host.sysctl.int("net.ipv4.tcp_timestamps") != 0 and pkt.offers_timestamps
        j.step("socket", Verdict.DELIVER, "sock.connected", params={"owner": _owner(j, sock)},
               view=_socket_view(j, sock))
        j.delivered_to = _owner(j, sock)
        j.emit(_sent(j.host, replies.handshake_ack(pkt, opt_len=_options(sock))))
        raise j.stop(Disposition.DELIVERED)
    j.step("socket", Verdict.DROP, "sock.synsent_bad_segment", view=_socket_view(j, sock),
           drop_reason=DropReason.TCP_FLAGS)
    raise j.stop(Disposition.DROPPED, DropReason.TCP_FLAGS)


def _options(sock: Socket) -> int:
    """The TCP option bytes of a segment `sock` sends after the handshake: the timestamps, or none."""
    return TCPOLEN_TSTAMP_ALIGNED if sock.timestamps else 0


def _tcp_closing(j: Journey, sock: Socket) -> None:
    """tcp_rcv_state_process() for a socket whose FIN is sent (FIN-WAIT-1, CLOSING, LAST-ACK), and
    tcp_timewait_state_process() for FIN-WAIT-2 and TIME-WAIT (the kernel's timewait sockets).

    The ACK of our FIN moves FIN-WAIT-1 to FIN-WAIT-2 (net.ipv4.tcp_fin_timeout to live, orphaned),
    CLOSING to TIME-WAIT and ends LAST-ACK; the peer's FIN in FIN-WAIT-1/2 is only ACKed and starts
    TIME-WAIT's 60 s (CLOSING when it does not acknowledge our FIN: a simultaneous close); in TIME-WAIT
    a FIN again is ACKed again, and it or an ACK restarts the 60 s. Data after the app's close() aborts
    the connection with a RST. Returns when the segment is left to the established path (data in
    LAST-ACK/CLOSING/TIME-WAIT, a SYN), else ends the journey.
    """
    host, pkt = j.host, j.flow.pkt
    table = host.sockets
    if pkt.flags & SYN:
        return
    owner = _owner(j, sock)
    if pkt.payload_len and sock.state in ("FIN-WAIT-1", "FIN-WAIT-2") and sock.pid is None:
        # Data for a socket its app has closed (RCV_SHUTDOWN): TCPAbortOnData, the socket is gone and
        # a RST answers (measured: ss shows nothing after it, conntrack CLOSE).
        mib.count(host, "TcpExtTCPAbortOnData")
        table.sockets.remove(sock)
        j.step("socket", Verdict.DROP, "sock.abort_on_data", params={"owner": owner, "bytes": pkt.payload_len},
               view=_socket_view(j, None), drop_reason=DropReason.NOT_SPECIFIED)
        j.emit(_reset(j.host, pkt))
        raise j.stop(Disposition.DROPPED, DropReason.NOT_SPECIFIED)
    if pkt.payload_len:
        return
    acks_fin = bool(pkt.flags & ACK) and sock.fin_ack is not None and pkt.ack_seq == sock.fin_ack
    if acks_fin and sock.state == "LAST-ACK":
        # tcp_done(): the last ACK arrived, the socket is gone.
        table.sockets.remove(sock)
        j.step("socket", Verdict.DELIVER, "sock.segment", params={"owner": owner, "bytes": 0},
               view=_socket_view(j, None))
        j.delivered_to = owner
        raise j.stop(Disposition.DELIVERED)
    if acks_fin and sock.state in ("FIN-WAIT-1", "CLOSING"):
        sock.send_q = 0
        if sock.state == "CLOSING":
            sock.state, sock.expires_at = "TIME-WAIT", host.clock + TCP_TIMEWAIT_LEN
        else:
            sock.state = "FIN-WAIT-2"
            sock.expires_at = host.clock + host.sysctl.int("net.ipv4.tcp_fin_timeout")
    if pkt.flags & FIN and sock.state in ("FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"):
        sock.state = "CLOSING" if sock.state == "FIN-WAIT-1" else "TIME-WAIT"
        sock.expires_at = host.clock + (TCP_TIMEWAIT_LEN if sock.state == "TIME-WAIT" else ORPHAN_FIN_TIMEOUT)
        j.emit(_sent(j.host, replies.tcp_ack(pkt, seq=pkt.ack_seq, opt_len=_options(sock))))
    elif sock.state == "TIME-WAIT" and pkt.flags & ACK:
        # A bare ACK in TIME-WAIT restarts its 60 s (inet_twsk_reschedule), unanswered.
        sock.expires_at = host.clock + TCP_TIMEWAIT_LEN
    j.step("socket", Verdict.DELIVER, "sock.segment", params={"owner": owner, "bytes": 0},
           view=_socket_view(j, sock))
    j.delivered_to = owner
    raise j.stop(Disposition.DELIVERED)


def _drop_child(j: Journey, sock: Socket) -> None:
    table = j.host.sockets
    listener = sock.parent
    if listener is not None:
        table.dequeue(listener, sock)
    if sock in table.sockets:
        table.close(sock, j.host.clock, active=False)


def _app_accept(j: Journey, listener: Socket) -> None:
    """The application's accept(): a new fd, or EMFILE at RLIMIT_NOFILE (the connection waits)."""
    table = j.host.sockets
    proc = table.processes.get(listener.pid) if listener.pid is not None else None
    if _program_step(j, listener):
        return
    if proc is None or not proc.alive or not proc.auto_accept:
        j.step("app", Verdict.SKIP, "app.not_accepting", params={"app": proc.name if proc else "-"})
        return
    accept_pending(j.host, listener)
    if listener.accept_queue:
        # The packet is not dropped: its connection waits, established, in the accept queue. It is
        # the application that does not get it (SKIP), so the journey still ends delivered.
        j.step(
            "app",
            Verdict.SKIP,
            "app.emfile",
            params={"app": proc.name, "limit": proc.nofile, "queued": len(listener.accept_queue)},
            view=_socket_view(j, listener),
        )
        return
    j.step("app", Verdict.DELIVER, "app.accept", params={"app": proc.name}, view=_socket_view(j, listener))


def _program_step(j: Journey, sock: Socket) -> bool:
    """A program of socket calls (`kernel.app`) holds `sock`: the journey ends at it, with its code,
    threads and fds (`AppView`). Its thread blocked on the socket wakes (sk_data_ready); the calls it
    then makes are the runner's, after this packet. False when no program holds the socket."""
    if not j.record:
        return appview.owner(j.host, sock) is not None
    found = appview.arrival(j.host, sock)
    if found is None:
        return False
    app, view, waiting = found
    fd = next((row.fd for row in view.fds if row.taking), -1)
    line = next((t for t in view.threads if t.line == view.current and t.blocked), None)
    if waiting and line is not None:
        j.step("app", Verdict.DELIVER, "app.program_wakes",
               params={"app": app.proc.name, "fd": fd, "call": line.blocked, "line": view.current}, view=view)
    else:
        j.step("app", Verdict.SKIP, "app.program_busy", params={"app": app.proc.name, "fd": fd}, view=view)
    return True


def accept_pending(host: Host, listener: Socket) -> int:
    """accept() everything queued that the process has fds for; return how many."""
    table = host.sockets
    proc = table.processes.get(listener.pid) if listener.pid is not None else None
    if proc is None:
        return 0
    accepted = 0
    while listener.accept_queue:
        child = listener.accept_queue[0]
        try:
            child.fd = proc.alloc_fd(child)
        except SocketError:
            break
        table.accept_first(listener)
        child.parent = None
        child.pid = proc.pid
        table.sockets.append(child)
        accepted += 1
    return accepted


def _udp_rcv(j: Journey) -> None:
    """__udp4_lib_rcv(): a bound socket gets the datagram; else ICMP port unreachable."""
    host, pkt = j.host, j.flow.pkt
    # A connected socket (its 4-tuple exact) is found before one bound to the port alone.
    sock = host.sockets.lookup_established("udp", (pkt.dst, pkt.dport), (pkt.src, pkt.sport)) \
        or host.sockets.lookup_listener("udp", pkt.dst, pkt.dport)
    if sock is None:
        mib.count(host, "UdpNoPorts")
        answer = None
        if host.addr_type(pkt.dst) not in ("BROADCAST", "MULTICAST"):
            answer = replies.icmp_error(host, pkt, ICMP_DEST_UNREACH, 3, pkt.dst)
        _no_socket(j, "sock.udp_closed", answer)
        return
    if appview.owner(host, sock) is not None:
        _program_datagram(j, sock)
    sock.recv_q += pkt.payload_len
    j.step("socket", Verdict.DELIVER, "sock.udp_queued", params={"owner": _owner(j, sock)}, view=_socket_view(j, sock))
    j.delivered_to = _owner(j, sock)
    proc = host.sockets.processes.get(sock.pid) if sock.pid is not None else None
    if proc is not None and proc.auto_accept:
        j.step("app", Verdict.DELIVER, "app.recvfrom", params={"app": proc.name, "bytes": pkt.payload_len})
        sock.recv_q = 0
    raise j.stop(Disposition.DELIVERED)


def _program_datagram(j: Journey, sock: Socket) -> NoReturn:
    """__udp_enqueue_schedule_skb() for a socket a program reads itself: the datagram waits in the
    socket's queue for recvfrom(), unless the queue already holds more than sk_rcvbuf (counted
    here in payload bytes; Linux counts each skb's truesize)."""
    host, pkt = j.host, j.flow.pkt
    if sock.recv_q > rcvbuf(host, sock):
        mib.count(host, "UdpRcvbufErrors")
        mib.count(host, "UdpInErrors")
        j.step("socket", Verdict.DROP, "sock.udp_rcvbuf_full",
               params={"owner": _owner(j, sock), "queued": sock.recv_q, "rcvbuf": rcvbuf(host, sock)},
               view=_socket_view(j, sock), drop_reason=DropReason.SOCKET_RCVBUFF)
        raise j.stop(Disposition.DROPPED, DropReason.SOCKET_RCVBUFF)
    mib.count(host, "UdpInDatagrams")
    sock.recv_q += pkt.payload_len
    sock.datagrams.append(((pkt.src, pkt.sport), pkt.payload_len))
    sock.datagrams_in += 1
    j.step("socket", Verdict.DELIVER, "sock.udp_queued", params={"owner": _owner(j, sock)}, view=_socket_view(j, sock))
    j.delivered_to = _owner(j, sock)
    _program_step(j, sock)
    raise j.stop(Disposition.DELIVERED)


def _udp_error(host: Host, inner: Packet) -> None:
    """__udp4_lib_err(): a port unreachable about a datagram a connected socket sent sets its
    sk_err (ECONNREFUSED), which its next call reports; an unconnected socket ignores it."""
    sock = host.sockets.lookup_established("udp", (inner.src, inner.sport), (inner.dst, inner.dport))
    if sock is not None and sock.state == "ESTAB":
        sock.error = "ECONNREFUSED"


def _icmp_rcv(j: Journey) -> None:
    """icmp_rcv(): echo requests are answered by the kernel; errors go to the socket they concern."""
    host, pkt = j.host, j.flow.pkt
    j.delivered_to = "kernel (icmp_rcv)"
    mib.icmp_in(host, pkt)
    inner = pkt.inner
    if pkt.icmp_type == ICMP_DEST_UNREACH and inner is not None and inner.proto == IPPROTO_TCP:
        # tcp_v4_err(): an unreachable for a connecting socket ends it (tcp_done_with_error).
        quoted = host.sockets.lookup_established("tcp", (inner.src, inner.sport), (inner.dst, inner.dport))
        if quoted is not None and quoted.state == "SYN-SENT":
            mib.count(host, "TcpAttemptFails")
    if pkt.icmp_type == ICMP_DEST_UNREACH and pkt.icmp_code == 3 and inner is not None and inner.proto == IPPROTO_UDP:
        _udp_error(host, inner)
    if pkt.icmp_type == ICMP_ECHO_REQUEST:
        broadcast = host.addr_type(pkt.dst) in ("BROADCAST", "MULTICAST")
        ignore = host.sysctl.int("net.ipv4.icmp_echo_ignore_all")
        if ignore or (broadcast and host.sysctl.int("net.ipv4.icmp_echo_ignore_broadcasts")):
            key = "icmp.echo_ignored" if ignore else "icmp.echo_broadcast_ignored"
            j.step("socket", Verdict.DROP, key, drop_reason=DropReason.NOT_SPECIFIED)
            raise j.stop(Disposition.DROPPED, DropReason.NOT_SPECIFIED)
        j.step("socket", Verdict.DELIVER, "icmp.echo")
        reply = replies.echo_reply(pkt)
        if broadcast:
            # fib_compute_spec_dst(): a broadcast is answered from the receiving interface's address.
            own = host.primary_address(pkt.iif or "", pkt.src) if pkt.iif else None
            reply = reply.replace(src=own or 0)
        j.emit(reply)
        raise j.stop(Disposition.DELIVERED)
    j.step(
        "socket",
        Verdict.DELIVER,
        "icmp.error_to_socket" if pkt.is_icmp_error else "icmp.other",
        params={"type": pkt.icmp_type, "code": pkt.icmp_code},
    )
    raise j.stop(Disposition.DELIVERED)
