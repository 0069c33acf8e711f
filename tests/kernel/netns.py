"""Run a `Case` in real network namespaces and observe what the kernel did.

Layout: ``s`` (sender) -- veth -- ``h`` (host under test) [-- veth -- ``r`` (receiver)]. Every
namespace is named ``nstui-<pid>-<random>-<role>`` and deleted afterwards (try/finally, an atexit
hook, and the pytest fixture in conftest.py). Nothing is ever changed in this machine's own
namespace: every ``ip``/``iptables``/``sysctl`` runs with ``-n NS`` / ``ip netns exec NS``, and the
sockets the harness needs inside a namespace are opened after a per-thread ``setns()`` that is
always undone before anything else runs.

The sockets (an AF_PACKET socket on s's and r's eth0 that sends the crafted frames and captures
what arrives; the listeners' sockets in h) are opened inside the namespaces but used from this
process, so a case costs a few ``ip`` calls plus the packets' settle time, not a Python start-up
per namespace.

Noise control: IPv6 is disabled in every namespace before links exist (no ND/MLD), MACs are fixed
and static neighbour entries are added both ways (no ARP), and s and r drop everything their own
kernels would send (OUTPUT policy DROP; so a SYN-ACK arriving at s, which has no socket, does not
make s send a RST into h's conntrack and counters).
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import random
import re
import select
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from netstack_tui.kernel.addr import format_ipv4
from netstack_tui.kernel.packet import (
    ACK,
    FIN,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    SYN,
    Packet,
    format_packet,
    parse_packet,
)

from .case import Case
from .observe import Observation, parse_iptables_save

PREFIX = "nstui-"
MACS = {
    "s:eth0": "02:00:00:00:00:02",
    "h:eth0": "02:00:00:00:00:01",  # the simulator's default eth0 MAC
    "h:eth1": "02:00:00:00:01:01",
    "r:eth0": "02:00:00:00:00:03",
}
SETTLE = 0.02
"""Seconds to wait for the answers to one packet (veth delivery is synchronous-ish: microseconds)."""
FINAL_SETTLE = 0.04
"""Extra wait after the last packet, before the counters are read."""

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
CLONE_NEWNET = 0x40000000
IP_PKTINFO = 8

# s and r must not answer what they receive (RSTs to SYN-ACKs, ICMP errors, echo replies): the host
# under test is the only one that speaks. Their own kernels never need to send anything: the
# harness's frames leave through AF_PACKET, which netfilter does not see. So OUTPUT drops all.
QUIET_RULES = """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT DROP [0:0]
COMMIT
"""

_live: set[str] = set()
"""Namespaces created by this process and not yet deleted."""


class Unavailable(RuntimeError):
    """Real namespaces cannot be used here (not root, no ip netns, no iptables...)."""


# -- environment ------------------------------------------------------------------------------

def unavailable_reason() -> str | None:
    """Why real-namespace tests cannot run here, or None if they can."""
    if os.geteuid() != 0:
        return "needs root (creates network namespaces)"
    for tool in ("ip", "iptables-restore", "iptables-save"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    try:
        import scapy.layers.inet  # noqa: F401
    except ImportError:
        return "scapy is not installed"
    probe = f"{PREFIX}probe-{os.getpid()}"
    try:
        _run(["ip", "netns", "add", probe])
        try:
            _run(["ip", "netns", "exec", probe, "iptables-save"])
        finally:
            subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"ip netns / iptables unusable: {exc}"
    return None


def _run(argv: list[str], stdin: str | None = None) -> str:
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, argv, proc.stdout, proc.stderr)
    return proc.stdout


class CommandFailed(RuntimeError):
    pass


def _must(argv: list[str], stdin: str | None = None) -> str:
    try:
        return _run(argv, stdin)
    except subprocess.CalledProcessError as exc:
        raise CommandFailed(f"{' '.join(argv)} failed ({exc.returncode}): {exc.stderr.strip()}"
                            + (f"\n--- stdin ---\n{stdin}" if stdin else "")) from None


_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextmanager
def in_netns(name: str) -> Iterator[None]:
    """Run the body with this thread in namespace ``name``; always come back."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)


# -- namespace lifetime -------------------------------------------------------------------------

def delete_namespace(name: str) -> None:
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    _live.discard(name)


def cleanup_all() -> None:
    """Delete every namespace this process created and has not deleted yet."""
    for name in list(_live):
        delete_namespace(name)


def cleanup_stale() -> None:
    """Delete ``nstui-<pid>-...`` namespaces left by harness processes that no longer exist."""
    try:
        names = os.listdir("/run/netns")
    except FileNotFoundError:
        return
    for name in names:
        match = re.match(rf"^{PREFIX}(\d+)-", name)
        if not match:
            continue
        pid = int(match.group(1))
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            delete_namespace(name)
        except PermissionError:
            pass


atexit.register(cleanup_all)


# -- packets: notation <-> bytes ----------------------------------------------------------------

def build_frame(pkt: Packet, src_mac: str, dst_mac: str) -> bytes:
    """Ethernet frame for the packet, built with scapy (every MAC and address explicit)."""
    from scapy.layers.l2 import Ether

    return bytes(Ether(src=src_mac, dst=dst_mac, type=ETH_P_IP) / _scapy_ip(pkt))


def _scapy_ip(pkt: Packet):  # noqa: ANN202 - scapy types
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.packet import Raw

    ip = IP(src=format_ipv4(pkt.src), dst=format_ipv4(pkt.dst), ttl=pkt.ttl, tos=pkt.tos, id=pkt.ip_id,
            proto=pkt.proto)
    payload = b"\x00" * pkt.payload_len
    if pkt.proto == IPPROTO_TCP:
        l4 = TCP(sport=pkt.sport, dport=pkt.dport, flags=pkt.flags, seq=pkt.seq, ack=pkt.ack_seq,
                 window=64240, options=[])
    elif pkt.proto == IPPROTO_UDP:
        l4 = UDP(sport=pkt.sport, dport=pkt.dport)
    elif pkt.proto == IPPROTO_ICMP:
        if pkt.inner is not None:
            l4 = ICMP(type=pkt.icmp_type, code=pkt.icmp_code)
            payload = bytes(_scapy_ip(pkt.inner)) + payload
        else:
            l4 = ICMP(type=pkt.icmp_type, code=pkt.icmp_code, id=pkt.icmp_id, seq=1)
    else:
        raise ValueError(f"cannot build protocol {pkt.proto}")
    return ip / l4 / Raw(payload) if payload else ip / l4


def parse_ip(data: bytes, *, quoted: bool = False) -> tuple[Packet, dict]:
    """A `Packet` (for the notation) and details (IP length, ICMP type/code) from IPv4 bytes."""
    ihl = (data[0] & 0x0F) * 4
    tos, tot_len, ip_id, _frag, ttl, proto = struct.unpack("!BHHHBB", data[1:10])
    src, dst = struct.unpack("!II", data[12:20])
    l4 = data[ihl:]
    fields: dict = {"proto": proto, "src": src, "dst": dst, "ttl": ttl, "tos": tos, "ip_id": ip_id}
    details: dict = {"ip_len": tot_len}
    l4_total = tot_len - ihl
    if proto == IPPROTO_TCP and len(l4) >= 14:
        sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", l4[:14])
        hlen = (off >> 4) * 4
        fields.update(sport=sport, dport=dport, seq=seq, ack_seq=ack, flags=flags,
                      opt_len=max(hlen - 20, 0), payload_len=max(l4_total - hlen, 0))
    elif proto == IPPROTO_UDP and len(l4) >= 8:
        sport, dport = struct.unpack("!HH", l4[:4])
        fields.update(sport=sport, dport=dport, payload_len=max(l4_total - 8, 0))
    elif proto == IPPROTO_ICMP and len(l4) >= 8:
        icmp_type, code = l4[0], l4[1]
        fields.update(icmp_type=icmp_type, icmp_code=code)
        details.update(icmp_type=icmp_type, icmp_code=code)
        if icmp_type in (3, 4, 5, 11, 12) and not quoted and len(l4) >= 28:
            inner, _ = parse_ip(l4[8:], quoted=True)
            fields["inner"] = inner
            details["quoted_bytes"] = len(l4) - 8
        else:
            fields["icmp_id"] = struct.unpack("!H", l4[4:6])[0]
            fields["payload_len"] = max(l4_total - 8, 0)
    return Packet(**fields), details


# -- the run ------------------------------------------------------------------------------------

@dataclass
class _Flow:
    """Sender-side TCP state for the handshake rule (see case.py)."""

    snd_nxt: int = 0
    rcv_nxt: int | None = None


def _flow_key(pkt: Packet) -> tuple:
    a, b = (pkt.src, pkt.sport), (pkt.dst, pkt.dport)
    return (min(a, b), max(a, b))


@dataclass
class Lab:
    """The namespaces of one case, their sockets, and what was seen."""

    case: Case
    tag: str = field(default_factory=lambda: f"{PREFIX}{os.getpid()}-{random.randrange(16**4):04x}")
    sniffers: dict[str, socket.socket] = field(default_factory=dict)
    listen_socks: list[tuple[str, str, socket.socket]] = field(default_factory=list)
    conns: list[tuple[str, socket.socket, str]] = field(default_factory=list)
    obs: Observation = field(default_factory=Observation)
    flows: dict[tuple, _Flow] = field(default_factory=dict)
    conn_bytes: dict[str, int] = field(default_factory=dict)

    def ns(self, role: str) -> str:
        return f"{self.tag}-{role}"

    # setup ------------------------------------------------------------------------------------
    def setup(self) -> None:
        case = self.case
        for role in case.namespaces:
            name = self.ns(role)
            _live.add(name)
            _must(["ip", "netns", "add", name])
            _must(["ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                   "net.ipv6.conf.default.disable_ipv6=1"])
        s, h = self.ns("s"), self.ns("h")
        _must(["ip", "-n", s, "link", "add", "eth0", "address", MACS["s:eth0"], "type", "veth",
               "peer", "name", "eth0", "netns", h, "address", MACS["h:eth0"]])
        batches: dict[str, list[str]] = {
            "s": [f"addr add {case.address('s:eth0')} dev eth0", "link set lo up", "link set eth0 up",
                  f"route add default via {case.ip('h:eth0')}",
                  f"neigh replace {case.ip('h:eth0')} lladdr {MACS['h:eth0']} dev eth0 nud permanent"],
            "h": [f"addr add {case.address('h:eth0')} dev eth0", "link set lo up", "link set eth0 up",
                  f"neigh replace {case.ip('s:eth0')} lladdr {MACS['s:eth0']} dev eth0 nud permanent"],
        }
        if case.topology == "router":
            r = self.ns("r")
            _must(["ip", "-n", h, "link", "add", "eth1", "address", MACS["h:eth1"], "type", "veth",
                   "peer", "name", "eth0", "netns", r, "address", MACS["r:eth0"]])
            batches["h"] += [f"addr add {case.address('h:eth1')} dev eth1", "link set eth1 up",
                             f"neigh replace {case.ip('r:eth0')} lladdr {MACS['r:eth0']} dev eth1 nud permanent"]
            batches["r"] = [f"addr add {case.address('r:eth0')} dev eth0", "link set lo up", "link set eth0 up",
                            f"route add default via {case.ip('h:eth1')}",
                            f"neigh replace {case.ip('h:eth1')} lladdr {MACS['h:eth1']} dev eth0 nud permanent"]
        for index, name in enumerate(case.dummies):
            # The `dummy` module is not always available (this kernel: "Unknown device type"); a veth
            # whose peer stays in h is an equally idle interface.
            batches["h"] += [f"link add {name} type veth peer name zpeer{index}", f"link set {name} up"]
        for role, lines in batches.items():
            _must(["ip", "-n", self.ns(role), "-batch", "-"], "\n".join(lines) + "\n")
        for role in case.namespaces:
            if role != "h":
                _must(["ip", "netns", "exec", self.ns(role), "iptables-restore"], QUIET_RULES)
        sysctls = case.all_sysctls
        early = [f"{k}={v}" for k, v in sysctls.items() if not k.startswith("net.netfilter.")]
        late = [f"{k}={v}" for k, v in sysctls.items() if k.startswith("net.netfilter.")]
        _must(["ip", "netns", "exec", h, "sysctl", "-qw", *early])
        if case.ruleset.strip():
            _must(["ip", "netns", "exec", h, "iptables-restore"], case.ruleset)
        if late:
            _must(["ip", "netns", "exec", h, "sysctl", "-qw", *late])
        self._open_sockets()

    def _open_sockets(self) -> None:
        for listener in self.case.listeners:
            with in_netns(self.ns(listener.ns)):
                kind = socket.SOCK_STREAM if listener.proto == "tcp" else socket.SOCK_DGRAM
                sock = socket.socket(socket.AF_INET, kind)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if listener.proto == "udp":
                    sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
                sock.bind((listener.addr, listener.port))
                if listener.proto == "tcp":
                    sock.listen(16)
                sock.setblocking(False)
            self.listen_socks.append((listener.ns, listener.proto, sock))
        sniff_roles = ["s"] + (["r"] if self.case.topology == "router" else [])
        for role in sniff_roles:
            with in_netns(self.ns(role)):
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                sock.bind(("eth0", 0))
                sock.setblocking(False)
            self.sniffers[role] = sock

    # traffic ----------------------------------------------------------------------------------
    def send_all(self) -> None:
        for spec in self.case.packets:
            pkt, iface = parse_packet(spec)
            role = self.case.sender_of(spec)
            pkt = self._fill_tcp_numbers(pkt, spec)
            src_mac = pkt.src_mac if pkt.src_mac != Packet.src_mac else MACS[f"{role}:eth0"]
            dst_mac = pkt.dst_mac or MACS["h:eth0" if role == "s" else "h:eth1"]
            self.sniffers[role].send(build_frame(pkt, src_mac, dst_mac))
            self._pump(SETTLE)
        self._pump(FINAL_SETTLE)

    def _fill_tcp_numbers(self, pkt: Packet, spec: str) -> Packet:
        if pkt.proto != IPPROTO_TCP:
            return pkt
        words = spec.split()
        has_seq = any(w.startswith("seq=") for w in words)
        has_ack = any(w.startswith("ack=") for w in words)
        key = _flow_key(pkt)
        flow = self.flows.get(key)
        if pkt.flags & SYN and not pkt.flags & ACK:
            self.flows[key] = _Flow(snd_nxt=(pkt.seq + 1) & 0xFFFFFFFF)
            return pkt
        if flow is not None and flow.rcv_nxt is not None:
            changes = {}
            if not has_seq:
                changes["seq"] = flow.snd_nxt
            if not has_ack and pkt.flags & ACK:
                changes["ack_seq"] = flow.rcv_nxt
            pkt = pkt.replace(**changes)
            self.obs.notes.append(f"{spec}: seq={pkt.seq} ack={pkt.ack_seq} from the handshake")
            flow.snd_nxt = (pkt.seq + pkt.payload_len + (1 if pkt.flags & FIN else 0)) & 0xFFFFFFFF
        return pkt

    def _pump(self, duration: float) -> None:
        """Read sniffers and listeners for ``duration`` seconds."""
        deadline = time.monotonic() + duration
        while True:
            socks = list(self.sniffers.values()) + [s for _, _, s in self.listen_socks] + [c for _, c, _ in self.conns]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select(socks, [], [], remaining)
            for sock in ready:
                self._read(sock)

    def _read(self, sock: socket.socket) -> None:
        for role, rsock in self.sniffers.items():
            if sock is rsock:
                self._read_sniffer(role, sock)
                return
        for ns, proto, lsock in self.listen_socks:
            if sock is lsock:
                self._read_listener(ns, proto, sock)
                return
        for label, csock, text in list(self.conns):
            if sock is csock:
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    return
                except OSError:
                    data = b""
                if data:
                    self.conn_bytes[text] = self.conn_bytes.get(text, 0) + len(data)
                else:
                    self.conns.remove((label, csock, text))
                    csock.close()

    def _read_sniffer(self, role: str, sock: socket.socket) -> None:
        while True:
            try:
                frame, addr = sock.recvfrom(65535)
            except BlockingIOError:
                return
            if addr[2] == PACKET_OUTGOING or len(frame) < 34:
                continue
            if struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
                continue  # ARP, IPv6: not part of the comparison
            pkt, details = parse_ip(frame[14:])
            text = format_packet(pkt)
            if role == "s":
                self.obs.replies.append(text)
                self.obs.reply_details.append(details)
                self._learn_handshake(pkt)
            else:
                self.obs.forwarded.append(text)
                self.obs.forwarded_details.append(details)

    def _learn_handshake(self, pkt: Packet) -> None:
        if pkt.proto == IPPROTO_TCP and pkt.flags & SYN and pkt.flags & ACK:
            flow = self.flows.get(_flow_key(pkt))
            if flow is not None:
                flow.rcv_nxt = (pkt.seq + 1) & 0xFFFFFFFF

    def _read_listener(self, ns: str, proto: str, sock: socket.socket) -> None:
        prefix = "" if ns == "h" else f"{ns}: "
        if proto == "tcp":
            while True:
                try:
                    conn, peer = sock.accept()
                except BlockingIOError:
                    return
                local = conn.getsockname()
                text = f"{prefix}tcp {peer[0]}:{peer[1]} > {local[0]}:{local[1]} accepted"
                conn.setblocking(False)
                self.obs.delivered.append(text)
                self.conns.append((ns, conn, text))
        else:
            while True:
                try:
                    data, ancdata, _flags, peer = sock.recvmsg(65535, socket.CMSG_SPACE(12))
                except BlockingIOError:
                    return
                dst = sock.getsockname()[0]
                for level, kind, cdata in ancdata:
                    if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(cdata) >= 12:
                        dst = socket.inet_ntoa(cdata[8:12])
                port = sock.getsockname()[1]
                text = f"{prefix}udp {peer[0]}:{peer[1]} > {dst}:{port}"
                self.obs.delivered.append(text + (f" len={len(data)}" if data else ""))

    # results ----------------------------------------------------------------------------------
    def collect(self) -> Observation:
        for _label, conn, _text in list(self.conns):
            self._read(conn)
        if self.conn_bytes:
            self.obs.delivered = [t + (f" len={self.conn_bytes[t]}" if self.conn_bytes.get(t) else "")
                                  for t in self.obs.delivered]
        text = _must(["ip", "netns", "exec", self.ns("h"), "iptables-save", "-c"])
        self.obs.raw_save = text
        self.obs.counters = parse_iptables_save(text)
        return self.obs

    def destroy(self) -> None:
        for _, conn, _ in self.conns:
            conn.close()
        for _, _, sock in self.listen_socks:
            sock.close()
        for sock in self.sniffers.values():
            sock.close()
        self.conns.clear()
        self.listen_socks.clear()
        self.sniffers.clear()
        for role in self.case.namespaces:
            delete_namespace(self.ns(role))


def run_real(case: Case) -> Observation:
    """Run the case in fresh namespaces and return what the kernel did. Namespaces are always deleted."""
    reason = _cached_reason()
    if reason:
        raise Unavailable(reason)
    lab = Lab(case)
    try:
        lab.setup()
        lab.send_all()
        return lab.collect()
    finally:
        lab.destroy()


_REASON: list[str | None] = []


def _cached_reason() -> str | None:
    if not _REASON:
        _REASON.append(unavailable_reason())
    return _REASON[0]
