"""The real Linux kernel's packet rate on the simulator's flood ruleset, for "simulator ÷ kernel".

    python benchmarks/bench_kernel.py [--count 200000] [--runs 3]     # root, iproute2, iptables

Method. Two scratch namespaces (``nsbk-<pid>-<hex>-s`` sender, ``-h`` host under test) joined by a
veth pair; h has eth0 = 10.0.0.1/24, the 100-rule INPUT chain of ``_hundred_rules()`` in run.py
(one ``iptables-restore``) and a Python listener on :80 that accepts and reads/discards. Frames
are built up front (struct, no scapy) and written by this process into an AF_PACKET socket on s's
veth, so h's kernel receives them as from a wire: its real receive path, conntrack, ruleset and
TCP. The floods are those of run.py's ``bench_flood``:

* ``new``: SYNs to :80, each from a fresh (address, port) -- source ports 1024-65535, then the
  next address of 10.0.0.2-254 (on-link). Each is a NEW conntrack entry that walks all 100 rules
  and gets a SYN-ACK; past the listener's SYN queue (somaxconn, 4096) those are SYN cookies, as on
  any host under a SYN flood (reported as ``new_syncookies``).
* ``established``: a handshake crafted from s (SYN, read h's SYN-ACK, ACK), then 100-byte ``[.]``
  segments of that flow in sequence; the first rule (ESTABLISHED) accepts them, TCP queues them
  and the listener reads them (``established_accepted``: share of the payload it read).

Keeping the sender out of the figure. The sender is pinned to one CPU; RPS on h's eth0 moves h's
whole receive path to a second CPU, where h's listener is pinned too (without RPS a veth runs the
receiver inside the sender's ``send()``). The two CPUs form a pipeline whose back-pressure is the
AF_PACKET socket's send buffer (~500 frames): frames go out 256 per non-blocking ``sendmmsg``
(ctypes: one Python ``send()`` per frame costs about as much as h's whole path for an ESTABLISHED
segment), and while the buffer is full the sender waits in poll(). That wait is the test: if the
sender never waited (< 5% of the time), it set the pace, the figure is only a lower bound and
``*_sender_bound`` is 1. h's answers go (static neighbours) to a MAC s does not own, so s's
kernel drops them at once instead of spending the sender's CPU on RSTs.

Rate = packets h counted (the counter of the iptables rule the flood must end on) / wall time
from the first send until h's TcpInSegs stopped rising. Each run has fresh namespaces (no
conntrack or SYN-queue state left over); a short warm-up run is discarded and the median of
``runs`` runs reported. About 10 s in all for the default 200,000 packets and 3 runs.

Limits: h is one CPU with no NIC, no interrupts and no GRO (veth, offloads off); its per-packet
cost includes RPS's cross-CPU hand-off and its application's reads. h ACKs data the kernel's way
(delayed: about one ACK per 30 segments), not one per segment as the simulator does. The
listener's receive buffer is forced to 64 MiB so a late read never closes the window (which would
drop segments). ``count`` above nf_conntrack_max makes NEW entries evict others (early drop). Any
other load on the machine shares these CPUs and lowers the figures.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import errno
import json
import os
import secrets
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

CLONE_NEWNET = 0x40000000
ETH_P_ALL, ETH_P_IP = 0x0003, 0x0800
IPPROTO_TCP = 6
SYN, ACK = 0x02, 0x10
HOST_IP, SENDER_IP, PORT = "10.0.0.1", "10.0.0.2", 80
FIRST_PORT = 1024
PORTS = 65536 - FIRST_PORT
SOURCES = 253
"""Source addresses 10.0.0.2 .. 10.0.0.254."""
PAYLOAD = b"x" * 100
SINK_MAC = "02:00:00:00:00:ff"
"""Where h's neighbour entries send its answers: no one on the veth has it, so s drops them early."""
SNDBUF = 200_000
"""Sender's SO_SNDBUF (the kernel doubles it): ~500 frames in flight keeps h's backlog fed without
overflowing netdev_max_backlog (1000), where frames would be dropped (and resent)."""
BATCH = 256
"""Frames per sendmmsg call (the kernel's limit is 1024)."""
WARMUP = 20_000
WAIT = 0.05
"""Below this share of the send time spent waiting for h, the sender set the pace (lower bound)."""
TOOLS = ("ip", "iptables", "iptables-restore")

RULESET = "".join(
    ["*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n",
     "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"]
    + [f"-A INPUT -p tcp -s 192.0.2.{i % 250} --dport {1000 + i} -j ACCEPT\n" for i in range(98)]
    + ["-A INPUT -p tcp --dport 80 -j ACCEPT\nCOMMIT\n"])
ESTABLISHED_RULE, PORT80_RULE = 0, 99
"""Positions in INPUT of the rules the floods must end on."""

# s has no socket for the crafted flow: were an answer of h ever to reach s's stack, its RST
# would reset the flow in h. s never needs to send a RST itself (our frames bypass netfilter).
SENDER_RULESET = "*filter\n-A OUTPUT -p tcp --tcp-flags RST RST -j DROP\nCOMMIT\n"

LISTENER = """
import os, selectors, socket, sys
os.sched_setaffinity(0, {int(sys.argv[1])})
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.setsockopt(socket.SOL_SOCKET, 33, 1 << 26)  # SO_RCVBUFFORCE, inherited by accepted sockets
srv.bind(("0.0.0.0", 80))
srv.listen(65535)
srv.setblocking(False)
sel = selectors.DefaultSelector()
sel.register(srv, selectors.EVENT_READ)
sel.register(0, selectors.EVENT_READ)
total = 0
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        if key.fileobj is srv:
            try:
                conn, _ = srv.accept()
            except BlockingIOError:
                continue
            conn.setblocking(False)
            sel.register(conn, selectors.EVENT_READ)
        elif key.fileobj == 0:
            if not os.read(0, 64):
                sys.exit()
            print(total, flush=True)
        else:
            try:
                data = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            total += len(data)
            if not data:
                sel.unregister(key.fileobj)
                key.fileobj.close()
"""
"""h's application (argv[1]: its CPU): accepts, reads and discards; a line on stdin asks for the
number of bytes read so far."""


def unavailable_reason() -> str | None:
    """Why `measure` cannot run on this machine (it then returns {}), or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, AF_PACKET)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)} (apt-get install -y iproute2 iptables)"
    if len(os.sched_getaffinity(0)) < 2:
        return "needs 2 CPUs (one sends, one is the host under test)"
    return None


# -- namespaces -----------------------------------------------------------------------------------

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


@contextmanager
def _in_netns(name: str) -> Iterator[None]:
    """This thread in namespace `name` for the body; sockets and /proc/net files opened there stay
    bound to it afterwards."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {name}")
        try:
            yield
        finally:
            if _libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back home")
    finally:
        os.close(target)
        os.close(home)


def _run(args: Sequence[str], stdin: str | None = None, check: bool = True) -> str:
    result = subprocess.run(args, input=stdin, text=True, capture_output=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def _mac(ns: str) -> bytes:
    address: str = json.loads(_run(["ip", "-n", ns, "-j", "link", "show", "eth0"]))[0]["address"]
    return bytes.fromhex(address.replace(":", ""))


@dataclass
class _Testbed:
    sender_ns: str
    host_ns: str
    sender_cpu: int
    host_cpu: int
    sender_mac: bytes = b""
    host_mac: bytes = b""
    listener: subprocess.Popen[str] | None = None

    @property
    def eth_header(self) -> bytes:
        return self.host_mac + self.sender_mac + struct.pack("!H", ETH_P_IP)

    def listener_bytes(self) -> int:
        """Bytes h's application has read so far."""
        assert self.listener is not None and self.listener.stdin and self.listener.stdout
        self.listener.stdin.write("\n")
        self.listener.stdin.flush()
        return int(self.listener.stdout.readline())

    def rule_packets(self) -> list[int]:
        """Packet counters of h's INPUT rules, in order."""
        listing = _run(["ip", "netns", "exec", self.host_ns, "iptables", "-L", "INPUT", "-v", "-x", "-n"])
        return [int(line.split()[0]) for line in listing.splitlines()[2:] if line.strip()]


@contextmanager
def _testbed(sources: int, sender_cpu: int, host_cpu: int) -> Iterator[_Testbed]:
    """A fresh s--h pair that accepts floods from `sources` addresses; always deleted afterwards."""
    prefix = f"nsbk-{os.getpid()}-{secrets.token_hex(3)}"
    bed = _Testbed(f"{prefix}-s", f"{prefix}-h", sender_cpu, host_cpu)
    created: list[str] = []
    try:
        for ns in (bed.sender_ns, bed.host_ns):
            _run(["ip", "netns", "add", ns])
            created.append(ns)
        _wire(bed, sources)
        bed.listener = subprocess.Popen(
            ["ip", "netns", "exec", bed.host_ns, sys.executable, "-c", LISTENER, str(host_cpu)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert bed.listener.stdout is not None
        if bed.listener.stdout.readline().strip() != "ready":
            raise RuntimeError("the listener in h did not start")
        yield bed
    finally:
        if bed.listener is not None:
            bed.listener.kill()
            bed.listener.wait()
        for ns in created:
            _run(["ip", "netns", "del", ns], check=False)


def _wire(bed: _Testbed, sources: int) -> None:
    s, h = bed.sender_ns, bed.host_ns
    _run(["ip", "link", "add", "eth0", "netns", h, "type", "veth", "peer", "name", "eth0", "netns", s])
    bed.sender_mac, bed.host_mac = _mac(s), _mac(h)
    _run(["ip", "-n", s, "-batch", "-"], f"link set lo up\nlink set eth0 up\naddr add {SENDER_IP}/24 dev eth0\n")
    # Permanent neighbours: no ARP during a flood from many source addresses.
    neighbours = "".join(f"neigh replace {_source(i)} lladdr {SINK_MAC} dev eth0 nud permanent\n"
                         for i in range(sources))
    _run(["ip", "-n", h, "-batch", "-"], f"link set lo up\nlink set eth0 up\naddr add {HOST_IP}/24 dev eth0\n"
                                         + neighbours)
    _run(["ip", "netns", "exec", h, "iptables-restore"], RULESET)
    _run(["ip", "netns", "exec", s, "iptables-restore"], SENDER_RULESET)
    for ns, cpu in ((h, bed.host_cpu), (s, bed.sender_cpu)):
        # No offload may merge segments (no ethtool: skipped; veth's GRO is off by default).
        # RPS: each side's receive path runs on its own CPU, not on the one that called send().
        script = (f"ethtool -K eth0 gro off gso off tso off 2>/dev/null; "
                  f"echo {1 << cpu:x} > /sys/class/net/eth0/queues/rx-0/rps_cpus")
        _run(["ip", "netns", "exec", ns, "sh", "-c", script])


# -- frames ---------------------------------------------------------------------------------------

def _source(index: int) -> str:
    return f"10.0.0.{2 + index}"


def _checksum(data: bytes) -> int:
    """Internet checksum. A big-endian integer modulo 0xffff is the one's-complement sum of its
    16-bit words (2**16 ≡ 1): far faster in Python than summing the words."""
    if len(data) % 2:
        data += b"\0"
    return ~(int.from_bytes(data, "big") % 0xFFFF) & 0xFFFF


@lru_cache(maxsize=1024)
def _ipv4_header(src: str, length: int) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, 0, 0x4000, 64, IPPROTO_TCP, 0,
                         socket.inet_aton(src), socket.inet_aton(HOST_IP))
    return header[:10] + struct.pack("!H", _checksum(header)) + header[12:]


def _tcp_packet(src: str, sport: int, seq: int, ack: int, flags: int,
                options: bytes = b"", payload: bytes = b"") -> bytes:
    """IPv4+TCP packet src:sport -> 10.0.0.1:80 (no Ethernet header), checksums filled in."""
    offset = (20 + len(options)) // 4 << 4
    tcp = struct.pack("!HHIIBBHHH", sport, PORT, seq, ack, offset, flags, 65535, 0, 0) + options + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(HOST_IP) + struct.pack("!HH", IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp)) + tcp[18:]
    return _ipv4_header(src, 20 + len(tcp)) + tcp


def _syn_packets(count: int) -> list[bytes]:
    """`count` SYNs, each from its own (address, port). The same list serves every run: each run
    has a fresh h, so they are NEW every time."""
    return [_tcp_packet(_source(i // PORTS), FIRST_PORT + i % PORTS, i, 0, SYN) for i in range(count)]


def _data_packets(count: int, sport: int, seq: int, ack: int) -> list[bytes]:
    return [_tcp_packet(SENDER_IP, sport, (seq + i * len(PAYLOAD)) & 0xFFFFFFFF, ack, ACK, payload=PAYLOAD)
            for i in range(count)]


# -- sending --------------------------------------------------------------------------------------

def _packet_socket(bed: _Testbed, protocol: int = 0) -> socket.socket:
    """AF_PACKET socket on s's eth0. Protocol 0 (send only) keeps it off the receive taps, so the
    kernel does not copy each outgoing frame back to it."""
    with _in_netns(bed.sender_ns):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(protocol))
        sock.bind(("eth0", protocol))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
    return sock


class _IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class _MsgHdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32), ("iov", ctypes.c_void_p),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class _MMsgHdr(ctypes.Structure):
    _fields_ = [("hdr", _MsgHdr), ("len", ctypes.c_uint)]


_libc.sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
_libc.sendmmsg.restype = ctypes.c_int


class _Frames:
    """Frames laid out once for sendmmsg: one buffer, one iovec and one mmsghdr per frame."""

    def __init__(self, frames: list[bytes]) -> None:
        self.count = len(frames)
        self._data = ctypes.create_string_buffer(b"".join(frames), max(1, sum(map(len, frames))))
        self._iovs = (_IoVec * self.count)()
        self._msgs = (_MMsgHdr * self.count)()
        data, iovs, iov_size = ctypes.addressof(self._data), ctypes.addressof(self._iovs), ctypes.sizeof(_IoVec)
        offset = 0
        for i, frame in enumerate(frames):
            self._iovs[i].base, self._iovs[i].len = data + offset, len(frame)
            self._msgs[i].hdr.iov, self._msgs[i].hdr.iovlen = iovs + i * iov_size, 1
            offset += len(frame)

    def send(self, sock: socket.socket) -> tuple[int, float]:
        """Send all, in order. Returns (frames resent, seconds spent waiting for h).

        Non-blocking sends, then poll() while the send buffer is full: the time in poll() is the
        time h's back-pressure held the sender -- none at all means the sender set the pace.
        ENOBUFS means h's backlog was full and the frame dropped; resending it keeps the
        established flow free of holes (which would turn it into out-of-order work)."""
        fd, msgs, size = sock.fileno(), ctypes.addressof(self._msgs), ctypes.sizeof(_MMsgHdr)
        writable = select.poll()
        writable.register(fd, select.POLLOUT)
        done = resent = 0
        waited = 0.0
        while done < self.count:
            sent = _libc.sendmmsg(fd, msgs + done * size, min(BATCH, self.count - done), socket.MSG_DONTWAIT)
            if sent >= 0:
                done += sent
            elif (err := ctypes.get_errno()) == errno.EAGAIN:
                start = time.perf_counter()
                writable.poll()
                waited += time.perf_counter() - start
            elif err == errno.ENOBUFS:
                resent += 1
            elif err != errno.EINTR:
                raise OSError(err, f"sendmmsg: {os.strerror(err)}")
        return resent, waited


# -- watching h -----------------------------------------------------------------------------------

class _HostStats:
    """h's /proc/net/snmp and /proc/net/netstat, opened inside h (so they stay h's)."""

    def __init__(self, bed: _Testbed) -> None:
        with _in_netns(bed.host_ns):
            self._files = [open("/proc/thread-self/net/snmp", "rb"), open("/proc/thread-self/net/netstat", "rb")]

    def close(self) -> None:
        for f in self._files:
            f.close()

    def read(self) -> dict[str, int]:
        """{"Tcp.InSegs": n, "TcpExt.SyncookiesSent": n, ...}"""
        out: dict[str, int] = {}
        for f in self._files:
            f.seek(0)
            lines = f.read().decode().splitlines()
            for names, values in zip(lines[::2], lines[1::2], strict=True):
                group, _, keys = names.partition(": ")
                out.update({f"{group}.{k}": int(v) for k, v in zip(keys.split(), values.split()[1:], strict=True)})
        return out

    def wait_quiet(self, quiet: float = 0.05, limit: float = 5.0) -> float:
        """Poll TcpInSegs until it has not moved for `quiet` s; returns when it last moved."""
        last, moved = self.read()["Tcp.InSegs"], time.perf_counter()
        while (now := time.perf_counter()) - moved < quiet and now - moved < limit:
            time.sleep(0.0005)
            if (value := self.read()["Tcp.InSegs"]) != last:
                last, moved = value, time.perf_counter()
        return moved


# -- runs -----------------------------------------------------------------------------------------

@dataclass
class _Run:
    sent: int
    counted: int
    seconds: float
    send_seconds: float
    resent: int
    waited: float
    syncookies: int = 0
    accepted: float = 0.0

    @property
    def rate(self) -> float:
        return self.counted / self.seconds


def _timed(bed: _Testbed, sock: socket.socket, packets: list[bytes], rule: int, stats: _HostStats) -> _Run:
    """Flood `packets` and time it; everything else in a run is set-up."""
    frames = _Frames([bed.eth_header + packet for packet in packets])
    before = bed.rule_packets()[rule]
    start = time.perf_counter()
    resent, waited = frames.send(sock)
    sent_at = time.perf_counter()
    end = stats.wait_quiet()
    return _Run(frames.count, bed.rule_packets()[rule] - before, end - start, sent_at - start, resent, waited)


def _run_new(bed: _Testbed, packets: list[bytes]) -> _Run:
    stats, sock = _HostStats(bed), _packet_socket(bed)
    try:
        before = stats.read()["TcpExt.SyncookiesSent"]
        run = _timed(bed, sock, packets, PORT80_RULE, stats)
        run.syncookies = stats.read()["TcpExt.SyncookiesSent"] - before
        return run
    finally:
        sock.close()
        stats.close()


def _handshake(bed: _Testbed, sock: socket.socket, sport: int) -> tuple[int, int]:
    """SYN from s, h's SYN-ACK, ACK: h now has an established socket and conntrack entry. Returns
    (our next seq, h's next seq). The SYN offers window scaling so h's window can exceed 64 KiB."""
    seq = secrets.randbits(32)
    options = struct.pack("!BBHBBBB", 2, 4, 1460, 1, 3, 3, 7)  # MSS 1460, NOP, window scale 7
    rx = _packet_socket(bed, ETH_P_ALL)  # ETH_P_ALL: sees frames for SINK_MAC too
    rx.settimeout(2.0)
    try:
        sock.send(bed.eth_header + _tcp_packet(SENDER_IP, sport, seq, 0, SYN, options))
        while True:
            frame = rx.recv(2048)
            ip = frame[14:]
            tcp = ip[(ip[0] & 0x0F) * 4:]
            if (frame[12:14] == b"\x08\x00" and ip[9] == IPPROTO_TCP and tcp[2:4] == struct.pack("!H", sport)
                    and tcp[13] & (SYN | ACK) == SYN | ACK):
                server_seq: int = struct.unpack("!I", tcp[4:8])[0]
                break
    finally:
        rx.close()
    ours, theirs = (seq + 1) & 0xFFFFFFFF, (server_seq + 1) & 0xFFFFFFFF
    sock.send(bed.eth_header + _tcp_packet(SENDER_IP, sport, ours, theirs, ACK))
    return ours, theirs


def _run_established(bed: _Testbed, count: int) -> _Run:
    stats, sock = _HostStats(bed), _packet_socket(bed)
    try:
        sport = 40000
        ours, theirs = _handshake(bed, sock, sport)
        run = _timed(bed, sock, _data_packets(count, sport, ours, theirs), ESTABLISHED_RULE, stats)
        previous, read = -1, bed.listener_bytes()
        while read != previous:  # the application may still be catching up
            time.sleep(0.02)
            previous, read = read, bed.listener_bytes()
        run.accepted = read / (count * len(PAYLOAD))
        return run
    finally:
        sock.close()
        stats.close()


def _median_run(kind: str, count: int, runs: int, cpus: tuple[int, int]) -> _Run:
    syns = _syn_packets(count) if kind == "new" else []
    results = []
    for size in [min(WARMUP, count)] + [count] * runs:
        with _testbed(count // PORTS + 1, *cpus) as bed:
            results.append(_run_new(bed, syns[:size]) if kind == "new" else _run_established(bed, size))
    measured = sorted(results[1:], key=lambda r: r.rate)
    return measured[len(measured) // 2]


# -- public API -----------------------------------------------------------------------------------

def measure(count: int = 200_000, runs: int = 3) -> dict[str, float]:
    """The kernel's packet rate for both floods: the median of `runs` runs of `count` packets.

    {} if this machine cannot run it (`unavailable_reason()` says why). Otherwise, for kind in
    "new" and "established":
      kind                 packets/s h counted: the figure to compare with the simulator's
      kind_sender_bound    1.0 if the sender set the pace (kind is then a lower bound), else 0.0
      kind_sender_wait     share of the send time the sender waited for h (back-pressure)
      kind_sent            frames sent              kind_counted   packets the rule counted
      kind_send_rate       frames/s sent            kind_resent    frames resent (h's backlog full)
    and new_syncookies (SYN-ACKs sent as cookies), established_accepted (share of the payload
    h's application read: 1.0 = every segment accepted in order).
    """
    if unavailable_reason() is not None:
        return {}
    if not 0 < count <= SOURCES * PORTS or runs < 1:
        raise ValueError(f"count must be in 1..{SOURCES * PORTS} and runs at least 1")
    home = os.sched_getaffinity(0)
    sender_cpu, host_cpu = sorted(home)[:2]
    os.sched_setaffinity(0, {sender_cpu})
    try:
        out: dict[str, float] = {}
        for kind in ("new", "established"):
            run = _median_run(kind, count, runs, (sender_cpu, host_cpu))
            wait = run.waited / run.send_seconds
            out |= {kind: run.rate, f"{kind}_sender_bound": float(wait < WAIT), f"{kind}_sent": run.sent,
                    f"{kind}_counted": run.counted, f"{kind}_send_rate": run.sent / run.send_seconds,
                    f"{kind}_sender_wait": wait, f"{kind}_resent": run.resent}
            out |= {"new_syncookies": run.syncookies} if kind == "new" else {"established_accepted": run.accepted}
        return out
    finally:
        os.sched_setaffinity(0, home)


def format_result(result: dict[str, float]) -> list[str]:
    """One line per flood, e.g. for printing under run.py's table."""
    lines = []
    for kind in ("new", "established"):
        bound = result[f"{kind}_sender_bound"] == 1.0
        note = (f"{result['new_syncookies']:,.0f} SYN cookies" if kind == "new"
                else f"{result['established_accepted']:.1%} of payload read")
        lines.append(f"kernel {kind:11} {'≥ ' if bound else ''}{result[kind]:,.0f} pkt/s"
                     f"{' (sender-bound: lower bound)' if bound else ''}: "
                     f"{result[f'{kind}_counted']:,.0f}/{result[f'{kind}_sent']:,.0f} counted, "
                     f"sender {result[f'{kind}_send_rate']:,.0f}/s, {result[f'{kind}_resent']:,.0f} resent, "
                     f"sender held back by h {result[f'{kind}_sender_wait']:.0%} of the time, "
                     f"{note}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200_000, help="packets per run (default 200000)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per flood; the median is reported")
    args = parser.parse_args(argv)
    if (reason := unavailable_reason()) is not None:
        print(f"kernel benchmark unavailable: {reason}", file=sys.stderr)
        return 1
    # SIGTERM becomes SystemExit so the namespaces' finally blocks run, as they do on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print("\n".join(format_result(measure(args.count, args.runs))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
