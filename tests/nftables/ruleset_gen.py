"""Random nftables rulesets for the differential test: tables of the ip and inet families with named
sets and maps, anonymous sets and verdict maps, `define` variables, statements and verdicts, and a
share of deliberately broken files (an unknown set, a datatype mismatch, tcp reset after UDP, an
unknown variable, a jump loop, a `}` straight after a rule)."""

from __future__ import annotations

import random

ADDRS = ["10.0.0.1", "10.0.0.2", "192.168.1.7", "172.16.0.9", "203.0.113.5", "8.8.8.8"]
PREFIXES = ["10.0.0.0/24", "10.0.1.0/24", "192.168.0.0/16", "203.0.113.0/28", "10.0.2.0/23"]
RANGES = ["10.0.3.1-10.0.3.9", "10.0.0.0-10.0.0.255", "172.16.0.0-172.16.0.127"]
PORTS = ["22", "80", "443", "53", "8080", "1000-2000", "2001-3000", "ssh", "http"]
IFACES = ['"lo"', '"eth0"', '"eth1"', '"veth0"', '"wg0"', '"abc"']
STATES = ["new", "established", "related", "invalid"]
VERDICTS = ["accept", "drop"]


def _pick(rng: random.Random, pool: list[str], low: int = 1, high: int = 3) -> list[str]:
    return rng.sample(pool, rng.randint(low, min(high, len(pool))))


class _Gen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sets: dict[str, str] = {}  # name -> key type
        self.maps: dict[str, str] = {}
        self.defines: dict[str, str] = {}
        self.chains: list[str] = []

    def set_decl(self, name: str) -> str:
        rng = self.rng
        kind = rng.choice(["ipv4_addr", "inet_service", "ifname"])
        interval = kind != "ifname" and rng.random() < 0.5
        if kind == "ipv4_addr":
            pool = ADDRS + (PREFIXES + RANGES if interval else [])
        elif kind == "inet_service":
            pool = [p for p in PORTS if interval or "-" not in p]
        else:
            pool = IFACES
        self.sets[name] = kind
        body = f"type {kind}"
        if interval:
            body += "; flags interval"
        if rng.random() < 0.85:
            body += "; elements = { " + ", ".join(_pick(rng, pool, 1, 5)) + " }"
        return f"\tset {name} {{ {body}; }}"

    def map_decl(self, name: str) -> str:
        kind = self.rng.choice(["inet_service", "ipv4_addr"])
        pool = [p for p in PORTS if "-" not in p] if kind == "inet_service" else ADDRS
        keys = _pick(self.rng, pool, 1, 3)
        self.maps[name] = kind
        elems = ", ".join(f"{k} : {self.rng.choice(VERDICTS)}" for k in keys)
        return f"\tmap {name} {{ type {kind} : verdict; elements = {{ {elems} }}; }}"

    def match(self) -> str:
        rng = self.rng
        choice = rng.randrange(16)
        if choice == 0:
            return f"ip saddr {rng.choice(ADDRS + PREFIXES)}"
        if choice == 1:
            return "ip saddr { " + ", ".join(_pick(rng, ADDRS + PREFIXES + RANGES, 1, 4)) + " }"
        if choice == 2:
            return f"tcp dport {rng.choice(PORTS)}"
        if choice == 3:
            return "tcp dport { " + ", ".join(_pick(rng, PORTS, 1, 4)) + " }"
        if choice == 4:
            return f"udp dport {rng.choice(['53', '123', '5000-5100'])}"
        if choice == 5:
            return "iifname { " + ", ".join(_pick(rng, IFACES, 1, 4)) + " }"
        if choice == 6:
            return "ct state { " + ", ".join(_pick(rng, STATES, 1, 3)) + " }"
        if choice == 7:
            return rng.choice(["meta l4proto tcp", "ip protocol tcp", "meta l4proto udp", "ip protocol icmp"])
        if choice == 8 and self.sets:
            name = rng.choice(list(self.sets))
            sel = {"ipv4_addr": "ip saddr", "inet_service": "tcp dport", "ifname": "iifname"}[self.sets[name]]
            if rng.random() < 0.1:  # a datatype mismatch
                sel = rng.choice(["ip daddr", "tcp sport", "oifname", "udp dport"])
            return f"{sel} {'!= ' if rng.random() < 0.2 else ''}@{name}"
        if choice == 9 and self.defines:
            name = rng.choice(list(self.defines))
            return f"{self.defines[name]} ${name}"
        if choice == 10:
            return "tcp flags & (syn|ack) == " + rng.choice(["syn", "syn|ack", "ack"])
        if choice == 11:
            return "icmp type " + rng.choice(["echo-request", "{ echo-request, echo-reply }"])
        return f"ip daddr {rng.choice(ADDRS)}"

    def verdict(self) -> str:
        rng = self.rng
        choice = rng.randrange(12)
        if choice < 4:
            return rng.choice(VERDICTS)
        if choice == 4:
            return "reject"
        if choice == 5:
            return "reject with tcp reset"
        if choice == 6:
            return "reject with icmp type host-unreachable"
        if choice == 7 and len(self.chains) > 1:
            return f"jump {rng.choice(self.chains[1:])}"
        if choice == 8:
            return "tcp dport vmap { " + ", ".join(f"{p} : {rng.choice(VERDICTS)}" for p in
                                                  _pick(rng, ["22", "80", "443", "8080"], 1, 3)) + " }"
        if choice == 9:
            return "ct state vmap { " + ", ".join(f"{s} : {rng.choice(VERDICTS)}" for s in
                                                   _pick(rng, STATES, 1, 3)) + " }"
        if choice == 10 and self.maps:
            name = rng.choice(list(self.maps))
            sel = "tcp dport" if self.maps[name] == "inet_service" else "ip saddr"
            return f"{sel} vmap @{name}"
        return ""

    def rule(self) -> str:
        rng = self.rng
        words = [self.match() for _ in range(rng.randint(0, 2))]
        if rng.random() < 0.4:
            words.append(rng.choice(["counter", 'log prefix "nft: "', "limit rate 10/second"]))
        words.append(self.verdict())
        text = " ".join(w for w in words if w)
        return text or "counter"

    def ruleset(self) -> str:
        rng = self.rng
        lines = []
        if rng.random() < 0.4:
            self.defines["WAN"] = "iifname"
            lines.append(f'define WAN = {rng.choice(IFACES)}')
        if rng.random() < 0.3:
            self.defines["WEB"] = "tcp dport"
            lines.append("define WEB = { " + ", ".join(_pick(rng, ["80", "443", "8080"], 1, 3)) + " }")
        for t in range(rng.randint(1, 2)):
            family = rng.choice(["ip", "inet"])
            lines.append(f"table {family} t{t} {{")
            self.sets, self.maps = {}, {}
            for s in range(rng.choice([0, 0, 1, 2, 3])):
                lines.append(self.set_decl(f"s{s}"))
            for m in range(rng.choice([0, 0, 1])):
                lines.append(self.map_decl(f"m{m}"))
            self.chains = ["input"] + [f"c{i}" for i in range(rng.randint(0, 2))]
            for name in self.chains:
                lines.append(f"\tchain {name} {{")
                if name == "input":
                    hook = rng.choice(["input", "forward", "output"])
                    lines.append(f"\t\ttype filter hook {hook} priority {rng.choice(['0', 'filter', '10', '-5'])};"
                                 f" policy {rng.choice(VERDICTS)};")
                for _ in range(rng.randint(0, 5)):
                    lines.append("\t\t" + self.rule())
                lines.append("\t}")
            lines.append("}")
        text = "\n".join(lines) + "\n"
        return self.breakage(text) if rng.random() < 0.2 else text

    def breakage(self, text: str) -> str:
        rng = self.rng
        kind = rng.randrange(5)
        rule = ["ip saddr @nosuch drop", "udp dport 53 reject with tcp reset", "iifname $NOPE accept",
                "tcp dport vmap { 22 : accept, 22 : drop }", "jump input"][kind]
        lines = text.splitlines()
        spots = [i for i, line in enumerate(lines) if line.startswith("\t\ttype filter")]
        lines.insert(spots[0] + 1, "\t\t" + rule)
        return "\n".join(lines) + "\n"


def random_ruleset(rng: random.Random) -> str:
    """One random ruleset file's text."""
    return _Gen(rng).ruleset()
