"""Seeded random iptables command lines for the differential test against the real iptables.

Each case is (table, argv); the argv is what follows `iptables`. The generator leans on the
categories where the simulator and iptables 1.8.9 used to disagree: interface options per hook,
`!` with address lists, ICMP type names, port edge cases per protocol, sctp ports, and option
combinations the kernel refuses after iptables accepted them.
"""

from __future__ import annotations

import random

CHAINS = {
    "filter": ("INPUT", "FORWARD", "OUTPUT", "u"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", "u"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING", "u"),
    "raw": ("PREROUTING", "OUTPUT", "u"),
}
"""Built-in chains per table plus the user chain `u` every case starts with."""

PORTS = (
    "22", "80", "0", "65535", "65536", "65537", "70000", "4294967296", "2147483648", "22:80", "80:22",
    "22:22", ":1024", "1024:", ":", "0:65535", "65535:0", "65536:", ":65536", "0x16", "00022", "+22",
    "ssh", "http", "-1", "1:2:3", "22x", "",
)
ICMP_TYPES = (
    "ping", "pong", "ttl-exceeded", "echo-request", "echo-reply", "any", "8", "0", "3/3", "8/0", "3/1:5",
    "0x8", "PING", "echo", "net", "echo-rep", "256", "8/256", "8/", "host-unreachable", "port-unreachable",
    "time-exceeded", "redirect", "echo-reply/0", "-1",
)
ADDRESSES = ("10.0.0.1", "10.0.0.0/8", "192.168.1.0/24", "1.2.3.4/0", "0.0.0.0/0", "10.1.1.1,10.2.2.2", "1.2.3.4/32")
INTERFACES = ("eth0", "lo", "eth+", "+", "veth1")
MATCHES = (
    ("-m", "comment", "--comment", "hi"),
    ("-m", "limit", "--limit", "5/sec"),
    ("-m", "limit", "--limit", "3/min", "--limit-burst", "7"),
    ("-m", "mark", "--mark", "0x1/0xff"),
    ("-m", "state", "--state", "ESTABLISHED,RELATED"),
    ("-m", "conntrack", "--ctstate", "NEW"),
    ("-m", "pkttype", "--pkt-type", "broadcast"),
    ("-m", "ttl", "--ttl-gt", "5"),
    ("-m", "length", "--length", "100:200"),
    ("-m", "iprange", "--src-range", "10.0.0.1-10.0.0.9"),
    ("-m", "addrtype", "--dst-type", "LOCAL"),
    ("-m", "recent", "--set"),
    ("-m", "recent", "--set", "--seconds", "10"),
    ("-m", "recent", "--set", "--hitcount", "2"),
    ("-m", "recent", "--rcheck", "--seconds", "60", "--hitcount", "3"),
    ("-m", "recent", "--update", "--seconds", "60"),
    ("-m", "recent", "--remove", "--seconds", "5"),
    ("-m", "recent", "--rcheck", "--reap"),
    ("-m", "recent", "--set", "--rttl"),
    ("-m", "recent", "--rcheck", "--name", "x"),
)
TARGETS = {
    "filter": (("-j", "ACCEPT"), ("-j", "DROP"), ("-j", "RETURN"), ("-j", "u"), ("-j", "REJECT"),
               ("-j", "LOG", "--log-prefix", "p: ")),
    "nat": (("-j", "ACCEPT"), ("-j", "RETURN"), ("-j", "u"), ("-j", "MASQUERADE"),
            ("-j", "DNAT", "--to-destination", "10.0.0.2"), ("-j", "SNAT", "--to-source", "10.0.0.3")),
    "mangle": (("-j", "ACCEPT"), ("-j", "MARK", "--set-mark", "1"), ("-j", "u"), ("-j", "RETURN")),
    "raw": (("-j", "ACCEPT"), ("-j", "NOTRACK"), ("-j", "CT", "--notrack"), ("-j", "u")),
}


def _maybe_not(rng: random.Random, chance: float = 0.25) -> list[str]:
    return ["!"] if rng.random() < chance else []


def _protocol_part(rng: random.Random) -> list[str]:
    proto = rng.choice(("tcp", "udp", "sctp", "icmp", "tcp", "udp", "sctp", "all"))
    out = ["-p", proto]
    if proto in ("tcp", "udp", "sctp"):
        if rng.random() < 0.3:
            out += ["-m", proto]
        for option in ("--sport", "--dport"):
            if rng.random() < 0.6:
                out += [*_maybe_not(rng), option, rng.choice(PORTS)]
    elif proto == "icmp" and rng.random() < 0.85:
        if rng.random() < 0.2:
            out += ["-m", "icmp"]
        out += [*_maybe_not(rng), "--icmp-type", rng.choice(ICMP_TYPES)]
    return out


def random_case(rng: random.Random) -> tuple[str, list[str]]:
    """One (table, argv) case."""
    table = rng.choice(("filter", "filter", "nat", "mangle", "raw"))
    chain = rng.choice(CHAINS[table])
    op = rng.choice(("-A", "-A", "-A", "-A", "-I", "-C", "-D"))
    argv = ["-t", table, op, chain]
    parts: list[list[str]] = []
    if rng.random() < 0.45:
        parts.append([*_maybe_not(rng), "-i", rng.choice(INTERFACES)])
    if rng.random() < 0.45:
        parts.append([*_maybe_not(rng), "-o", rng.choice(INTERFACES)])
    if rng.random() < 0.4:
        parts.append([*_maybe_not(rng, 0.35), "-s", rng.choice(ADDRESSES)])
    if rng.random() < 0.3:
        parts.append([*_maybe_not(rng, 0.35), "-d", rng.choice(ADDRESSES)])
    if rng.random() < 0.7:
        parts.append(_protocol_part(rng))
    if rng.random() < 0.35:
        parts.append(list(rng.choice(MATCHES)))
    rng.shuffle(parts)
    for part in parts:
        argv += part
    if rng.random() < 0.7:
        argv += list(rng.choice(TARGETS[table]))
    return table, argv


def cases(seed: int, count: int) -> list[tuple[str, list[str]]]:
    """`count` cases from `seed` (the same seed always yields the same cases)."""
    rng = random.Random(seed)
    return [random_case(rng) for _ in range(count)]
