"""A seeded random generator of differential cases: rulesets over every table and built-in chain the
shell supports, and packet sequences that exercise them.

``generate(seed, index)`` is a pure function of its arguments (``random.Random(f"{seed}:{index}")``),
so a failing case is replayed exactly by its seed and index::

    NETSTACK_DIFF_SEED=1234 NETSTACK_DIFF_CASES=30 python -m pytest tests/kernel/test_random_differential.py
    python -m tests.kernel.randomized 1234 17          # print case 17 of seed 1234 (ruleset, packets)
    python -m tests.kernel.randomized 1234 17 --run    # run it on both sides and print the diff (root)

Validity by construction (each generated case loads into the real kernel with ``iptables-restore``):

* targets are only used where the kernel accepts them: REJECT in filter INPUT/FORWARD/OUTPUT (and
  user chains reached only from those), DNAT/REDIRECT in nat PREROUTING/OUTPUT, SNAT in nat
  POSTROUTING/INPUT, MASQUERADE in nat POSTROUTING, NOTRACK in raw, MARK in mangle; ``--reject-with
  tcp-reset`` and NAT ports only with ``-p tcp``/``-p udp``; the nat table gets no DROP;
* ``-i`` only on input hooks, ``-o`` only on output hooks; every user chain belongs to one built-in
  chain (its "home") and is reached only from it or from user chains of the same home created
  before it (no loops);
* time cannot matter: ``limit`` only as ``--limit 1/hour`` (no token refills during a run),
  ``recent`` only with ``--seconds 3600``;
* noise the harness cannot make deterministic is avoided: every packet's source is the sending
  namespace's own address (so every answer has a static neighbour), at most six packets per case
  (the kernel's per-destination ICMP error rate limit allows a burst of six), no listeners in r.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field

from .case import Case
from .cases import BUILTIN, TABLE_ORDER

HOOK_OF_CHAIN = {"PREROUTING": "pre", "INPUT": "in", "FORWARD": "fwd", "OUTPUT": "out", "POSTROUTING": "post"}
INPUT_HOOKS = {"pre", "in", "fwd"}
OUTPUT_HOOKS = {"fwd", "out", "post"}

S_IP, H_IP, H1_IP, R_IP = "10.0.0.2", "10.0.0.1", "192.168.1.1", "192.168.1.2"
TCP_OPEN = (22, 80, 443)
TCP_CLOSED = (23, 81, 8080)
UDP_OPEN = (53,)
UDP_CLOSED = (54, 123, 5353)
SPORTS = tuple(range(40000, 40010))
MAX_PACKETS = 6

NETS = ("10.0.0.2", "10.0.0.2/32", "10.0.0.0/24", "10.0.0.1", "10.0.0.7/24", "192.168.1.0/24",
        "192.168.1.2/32", "192.168.0.0/16", "203.0.113.0/24", "0.0.0.0/0", "10.0.0.0/8")
CTSTATES = ("NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED")
ICMP_TYPES = ("echo-request", "echo-reply", "8", "0", "destination-unreachable", "port-unreachable",
              "3/3", "time-exceeded", "11/0", "any", "host-unreachable")
REJECT_ICMP = ("icmp-net-unreachable", "icmp-host-unreachable", "icmp-port-unreachable",
               "icmp-proto-unreachable", "icmp-net-prohibited", "icmp-host-prohibited",
               "icmp-admin-prohibited")
TCP_FLAG_SETS = (("SYN,ACK,FIN,RST", "SYN"), ("SYN,ACK", "SYN,ACK"), ("ALL", "ACK"), ("FIN,SYN,RST,ACK", "RST"),
                 ("ACK,FIN", "ACK,FIN"), ("SYN,RST", "NONE"), ("ALL", "NONE"), ("ACK,PSH", "ACK,PSH"))
MARKS = ("0x1", "0x2", "0x3", "0x10", "0x1/0x1", "0x2/0xf", "0x0")
RECENT_NAMES = ("A", "B")


@dataclass
class _Gen:
    rng: random.Random
    topology: str
    tables: dict[str, list[str]] = field(default_factory=dict)
    policies: dict[str, str] = field(default_factory=dict)
    user_chains: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """table -> [(user chain name, home built-in chain)] in creation order."""
    nat_actions: list[tuple[str, str, int]] = field(default_factory=list)
    """DNAT/REDIRECT rewrites the packets should exercise: (proto, dst ip, dst port)."""

    # -- matches ---------------------------------------------------------------------------------
    def neg(self, p: float = 0.2) -> str:
        return "! " if self.rng.random() < p else ""

    def port_expr(self, proto: str) -> str:
        rng = self.rng
        pool = (TCP_OPEN + TCP_CLOSED) if proto == "tcp" else (UDP_OPEN + UDP_CLOSED)
        kind = rng.random()
        if kind < 0.6:
            return str(rng.choice(pool))
        if kind < 0.8:
            lo = rng.choice(pool)
            return f"{lo}:{lo + rng.choice((0, 1, 5, 100))}"
        return rng.choice((":1023", "1024:", "20:25", "50:60", "80:90", "440:8080"))

    def sport_expr(self) -> str:
        rng = self.rng
        return rng.choice(("40000", "40001", "40000:40004", "40005:40009", "1024:65535", "0:1023", "5353"))

    def proto_matches(self, proto: str | None) -> list[str]:
        rng = self.rng
        out: list[str] = []
        if proto in ("tcp", "udp"):
            if rng.random() < 0.55:
                explicit = f"-m {proto} " if rng.random() < 0.6 else ""
                parts = []
                if rng.random() < 0.8:
                    parts.append(f"{self.neg()}--dport {self.port_expr(proto)}")
                if rng.random() < 0.3:
                    parts.append(f"{self.neg()}--sport {self.sport_expr()}")
                if proto == "tcp" and rng.random() < 0.35:
                    if rng.random() < 0.4:
                        parts.append(f"{self.neg()}--syn")
                    else:
                        mask, comp = rng.choice(TCP_FLAG_SETS)
                        parts.append(f"{self.neg()}--tcp-flags {mask} {comp}")
                if parts:
                    out.append(explicit + " ".join(parts))
            elif rng.random() < 0.35:
                which = rng.choice(("--dports", "--sports", "--ports"))
                ports = sorted({self.rng.choice((TCP_OPEN + TCP_CLOSED) if proto == "tcp" else (UDP_OPEN + UDP_CLOSED))
                                for _ in range(rng.randint(1, 3))})
                items = [str(p) for p in ports]
                if which == "--sports":
                    items = [rng.choice(("40000", "40002:40006", "5353", "53"))]
                if rng.random() < 0.3:
                    items.append("8000:8100")
                out.append(f"-m multiport {self.neg()}{which} {','.join(items)}")
        elif proto == "icmp" and rng.random() < 0.6:
            explicit = "-m icmp " if rng.random() < 0.5 else ""
            out.append(f"{explicit}{self.neg()}--icmp-type {rng.choice(ICMP_TYPES)}")
        return out

    def extra_match(self, hook: str) -> str:
        rng = self.rng
        kinds = ["src", "dst", "ct", "state", "mark", "iprange", "addrtype", "comment", "limit", "recent"]
        if hook in INPUT_HOOKS:
            kinds.append("in")
        if hook in OUTPUT_HOOKS:
            kinds.append("out")
        kind = rng.choice(kinds)
        if kind in ("src", "dst"):
            net = rng.choice(NETS)
            # `! -s 0.0.0.0/0` is refused by iptables-nft on 6.x (RULE_APPEND: Invalid argument)
            neg = self.neg() if net != "0.0.0.0/0" else ""
            return f"{neg}-{kind[0]} {net}"
        if kind == "in":
            return f"{self.neg()}-i {rng.choice(('eth0', 'eth1', 'eth+', 'lo'))}"
        if kind == "out":
            return f"{self.neg()}-o {rng.choice(('eth0', 'eth1', 'eth+', 'lo'))}"
        if kind in ("ct", "state"):
            states = ",".join(rng.sample(CTSTATES[:4] if kind == "state" else CTSTATES, rng.randint(1, 2)))
            return (f"-m conntrack {self.neg()}--ctstate {states}" if kind == "ct"
                    else f"-m state {self.neg()}--state {states}")
        if kind == "mark":
            return f"-m mark {self.neg()}--mark {rng.choice(MARKS)}"
        if kind == "iprange":
            which = rng.choice(("--src-range", "--dst-range"))
            rng_text = rng.choice(("10.0.0.1-10.0.0.5", "10.0.0.3-10.0.0.200", "192.168.1.1-192.168.1.2",
                                   "192.168.1.2-192.168.1.2", "10.0.0.0-10.255.255.255"))
            return f"-m iprange {self.neg()}{which} {rng_text}"
        if kind == "addrtype":
            which = rng.choice(("--src-type", "--dst-type"))
            return f"-m addrtype {self.neg()}{which} {rng.choice(('LOCAL', 'UNICAST', 'BROADCAST', 'MULTICAST'))}"
        if kind == "comment":
            return rng.choice(('-m comment --comment "allow web"', "-m comment --comment x-1"))
        if kind == "limit":
            return f"-m limit --limit 1/hour --limit-burst {rng.randint(1, 4)}"
        # recent
        name = rng.choice(RECENT_NAMES)
        mode = rng.choice(("--set", "--rcheck", "--update", "--rcheck"))
        if mode == "--set":
            return f"-m recent --set --name {name}" + (" --rsource" if rng.random() < 0.3 else "")
        tail = " --seconds 3600" if rng.random() < 0.7 else ""
        if tail and rng.random() < 0.6:
            tail += f" --hitcount {rng.randint(1, 3)}"
        return f"-m recent {self.neg(0.1)}{mode}{tail} --name {name}"

    # -- targets ---------------------------------------------------------------------------------
    def target(self, table: str, hook: str, proto: str | None, neg_proto: bool, chain: str,
               in_user: bool) -> str:
        rng = self.rng
        choices: list[str] = ["", "", "ACCEPT", "LOG"]
        if table != "nat":
            choices += ["DROP"]
        if in_user:
            choices += ["RETURN", "RETURN"]
        elif rng.random() < 0.1:
            choices.append("RETURN")  # RETURN in a built-in chain = its policy
        if table == "filter" and hook in ("in", "fwd", "out"):
            choices += ["REJECT", "REJECT"]
        if table == "mangle":
            choices += ["MARK", "MARK", "MARK"]
        if table == "raw":
            choices += ["NOTRACK", "CT"]
        if table == "nat":
            if hook in ("pre", "out"):
                choices += ["DNAT", "DNAT", "REDIRECT"]
            if hook in ("post", "in"):
                choices += ["SNAT"]
            if hook == "post":
                choices += ["MASQUERADE"]
        home = self._home(table, chain)
        names = [n for n, _ in self.user_chains.get(table, [])]
        users = [n for n, h in self.user_chains.get(table, []) if h == home
                 and (not in_user or names.index(n) > names.index(chain))]  # no loops
        if users:
            choices += ["JUMP", "JUMP", "GOTO"]
        kind = rng.choice(choices)
        if not kind:
            return ""
        if kind in ("JUMP", "GOTO"):
            return f"{'-j' if kind == 'JUMP' else '-g'} {rng.choice(users)}"
        if kind == "LOG":
            return rng.choice(("-j LOG", '-j LOG --log-prefix "gen: "', "-j LOG --log-level 4"))
        if kind == "REJECT":
            kinds = list(REJECT_ICMP) + [""]
            if proto == "tcp" and not neg_proto:
                kinds += ["tcp-reset", "tcp-reset", "tcp-reset"]
            with_ = rng.choice(kinds)
            return "-j REJECT" + (f" --reject-with {with_}" if with_ else "")
        if kind == "MARK":
            op = rng.choice(("--set-mark", "--set-xmark", "--or-mark", "--and-mark", "--xor-mark"))
            value = rng.choice(("0x1", "0x2", "0x3", "0x10")) if op != "--and-mark" else rng.choice(("0x1", "0x0"))
            if op in ("--set-mark", "--set-xmark") and rng.random() < 0.3:
                value += "/0xf"
            return f"-j MARK {op} {value}"
        if kind == "NOTRACK":
            return "-j NOTRACK"
        if kind == "CT":
            return "-j CT --notrack"
        ported = proto in ("tcp", "udp") and not neg_proto
        if kind == "DNAT":
            if self.topology == "router":
                to_ip, port = rng.choice(((R_IP, 80), (R_IP, 53), (H_IP, 22)))
            else:
                to_ip, port = H_IP, rng.choice((22, 80, 53))
            if ported:
                self.nat_actions.append((proto, to_ip, port))
                return f"-j DNAT --to-destination {to_ip}:{port}"
            return f"-j DNAT --to-destination {to_ip}"
        if kind == "REDIRECT":
            if ported:
                port = rng.choice((22, 80, 53))
                self.nat_actions.append((proto, H_IP, port))
                return f"-j REDIRECT --to-ports {port}"
            return "-j REDIRECT"
        if kind == "SNAT":
            return f"-j SNAT --to-source {rng.choice((H1_IP, H_IP, '192.168.1.1-192.168.1.1'))}"
        if kind == "MASQUERADE":
            return "-j MASQUERADE"
        return f"-j {kind}"

    def _home(self, table: str, chain: str) -> str:
        for name, home in self.user_chains.get(table, []):
            if name == chain:
                return home
        return chain

    def rule(self, table: str, chain: str, home: str) -> str:
        rng = self.rng
        hook = HOOK_OF_CHAIN[home]
        words: list[str] = []
        proto = rng.choice((None, None, "tcp", "tcp", "udp", "icmp"))
        neg_proto = False
        if proto is not None:
            neg_proto = rng.random() < 0.1
            words.append(f"{'! ' if neg_proto else ''}-p {proto}")
        used: set[str] = set()
        for _ in range(rng.choice((0, 1, 1, 2))):
            match = self.extra_match(hook)
            flag = match.replace("! ", "").split()[0]
            if flag in ("-s", "-d", "-i", "-o"):
                if flag in used:
                    continue
                used.add(flag)
            words.append(match)
        if not neg_proto:
            words += self.proto_matches(proto)
        target = self.target(table, hook, proto, neg_proto, chain, in_user=chain != home)
        if target:
            words.append(target)
        return " ".join([f"-A {chain}"] + words)

    # -- ruleset ---------------------------------------------------------------------------------
    def ruleset(self) -> str:
        rng = self.rng
        tables = ["filter"] if rng.random() < 0.7 else []
        for table in ("raw", "mangle", "nat", "security"):
            if rng.random() < 0.4:
                tables.append(table)
        if not tables:
            tables = [rng.choice(TABLE_ORDER)]
        for table in tables:
            chains = BUILTIN[table]
            # user chains, each with a home built-in chain
            for i in range(rng.choice((0, 0, 1, 2))):
                home = rng.choice(chains)
                self.user_chains.setdefault(table, []).append((f"U{table[0].upper()}{i}", home))
            rules: list[str] = []
            for chain in chains:
                if table != "nat" and rng.random() < 0.08:
                    self.policies[f"{table} {chain}"] = "DROP"
                for _ in range(rng.choice((0, 1, 1, 2, 3))):
                    rules.append(self.rule(table, chain, chain))
            for name, home in self.user_chains.get(table, []):
                for _ in range(rng.randint(0, 3)):
                    rules.append(self.rule(table, name, home))
            if rng.random() < 0.6:  # a plain counter at the end of some chains: shows who got there
                rules.append(f"-A {rng.choice(chains)}")
            self.tables[table] = rules
        return _restore_text(self.tables, self.policies, self.user_chains)

    # -- packets ---------------------------------------------------------------------------------
    def packets(self, listeners: list[tuple[str, str, int]]) -> list[str]:
        rng = self.rng
        router = self.topology == "router"
        out: list[str] = []
        sports = iter(rng.sample(SPORTS, len(SPORTS)))
        flows = []
        while len(out) < MAX_PACKETS and len(flows) < 6:
            kind = rng.choice(["tcp_hs", "tcp_hs", "tcp_syn", "tcp_odd", "udp", "udp", "icmp_echo", "icmp_err"]
                              + (["fwd_tcp", "fwd_udp", "fwd_icmp", "fwd_tcp"] if router else []))
            flows.append(kind)
            sport = next(sports)
            dst = H_IP if not router or rng.random() < 0.7 else H1_IP
            if self.nat_actions and rng.random() < 0.4:
                proto, _ip, _port = rng.choice(self.nat_actions)
                kind = "tcp_hs" if proto == "tcp" else "udp"
            if kind in ("tcp_hs", "tcp_syn"):
                port = rng.choice(TCP_OPEN + TCP_CLOSED + TCP_OPEN)
                if router and port in (80,) and rng.random() < 0.5:
                    dst = H_IP
                syn = f"tcp {S_IP}:{sport} > {dst}:{port} [S]"
                out.append(syn)
                if kind == "tcp_hs":
                    out.append(f"tcp {S_IP}:{sport} > {dst}:{port} [.]")
                    extra = rng.random()
                    if extra < 0.3:
                        out.append(f"tcp {S_IP}:{sport} > {dst}:{port} [P.] len={rng.randint(1, 30)}")
                    elif extra < 0.45:
                        out.append(f"tcp {S_IP}:{sport} > {dst}:{port} [R.]")
            elif kind == "tcp_odd":
                port = rng.choice(TCP_OPEN + TCP_CLOSED)
                flags = rng.choice(("[.]", "[R]", "[F.]", "[S.]", "[P.] len=5", "[R.]"))
                out.append(f"tcp {S_IP}:{sport} > {dst}:{port} {flags} seq=1000 ack=2000")
            elif kind == "udp":
                port = rng.choice(UDP_OPEN + UDP_CLOSED)
                n = rng.randint(1, 2)
                for _ in range(n):
                    out.append(f"udp {S_IP}:{sport} > {dst}:{port} len={rng.randint(0, 40)}")
            elif kind == "icmp_echo":
                ttl = " ttl=1" if rng.random() < 0.2 else ""
                out.append(f"icmp {S_IP} > {dst} echo-request{ttl}")
            elif kind == "icmp_err":
                # an ICMP error from s about a datagram h would have sent it: RELATED once s->h exists
                port = rng.choice(UDP_OPEN + UDP_CLOSED)
                if rng.random() < 0.6:
                    out.append(f"udp {S_IP}:{sport} > {H_IP}:{port} len=4")
                out.append(f"icmp {S_IP} > {H_IP} port-unreachable {{udp {H_IP}:{port} > {S_IP}:{sport} len=4}}")
            elif kind == "fwd_tcp":
                port = rng.choice((80, 22, 443))
                out.append(f"tcp {S_IP}:{sport} > {R_IP}:{port} [S]")
                if rng.random() < 0.8:
                    back = H1_IP if rng.random() < 0.3 else S_IP
                    out.append(f"tcp {R_IP}:{port} > {back}:{sport} [S.] seq=5000 ack=1 iface=eth1")
                    out.append(f"tcp {S_IP}:{sport} > {R_IP}:{port} [.]")
            elif kind == "fwd_udp":
                port = rng.choice((53, 123))
                out.append(f"udp {S_IP}:{sport} > {R_IP}:{port} len={rng.randint(0, 20)}")
                if rng.random() < 0.7:
                    back = H1_IP if rng.random() < 0.3 else S_IP
                    out.append(f"udp {R_IP}:{port} > {back}:{sport} len={rng.randint(0, 20)} iface=eth1")
            elif kind == "fwd_icmp":
                ttl = " ttl=1" if rng.random() < 0.25 else ""
                out.append(f"icmp {S_IP} > {R_IP} echo-request{ttl}")
                if not ttl and rng.random() < 0.6:
                    out.append(f"icmp {R_IP} > {S_IP} echo-reply iface=eth1")
        return out[:MAX_PACKETS]


def _restore_text(tables: dict[str, list[str]], policies: dict[str, str],
                  user_chains: dict[str, list[tuple[str, str]]]) -> str:
    out: list[str] = []
    for table in TABLE_ORDER:
        if table not in tables:
            continue
        out.append(f"*{table}")
        for chain in BUILTIN[table]:
            out.append(f":{chain} {policies.get(f'{table} {chain}', 'ACCEPT')} [0:0]")
        out += [f":{name} - [0:0]" for name, _ in user_chains.get(table, [])]
        out += tables[table]
        out.append("COMMIT")
    return "\n".join(out) + "\n"


def generate(seed: int, index: int) -> Case:
    """Random case number ``index`` of ``seed`` (deterministic)."""
    rng = random.Random(f"{seed}:{index}")
    topology = "router" if rng.random() < 0.4 else "host"
    gen = _Gen(rng, topology)
    text = gen.ruleset()
    listeners: list[tuple[str, str, int]] = []
    for port in TCP_OPEN:
        if rng.random() < 0.6:
            listeners.append(("tcp", rng.choice((H_IP, "0.0.0.0")), port))
    for port in UDP_OPEN:
        if rng.random() < 0.6:
            listeners.append(("udp", "0.0.0.0", port))
    packets = gen.packets(listeners)
    sysctls: dict[str, str | int] = {}
    if topology == "router":
        sysctls["net.ipv4.ip_forward"] = 1 if rng.random() < 0.85 else 0
    if rng.random() < 0.1:
        sysctls["net.netfilter.nf_conntrack_tcp_loose"] = 0
    return Case(name=f"random_{seed}_{index}", topology=topology, sysctls=sysctls, ruleset=text,
                listeners=tuple(listeners), packets=tuple(packets),
                description=f"generated: seed {seed} index {index}")


def replay_command(seed: int, index: int) -> str:
    return f"python -m tests.kernel.randomized {seed} {index} --run"


def _main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    seed, index = int(argv[0]), int(argv[1])
    case = generate(seed, index)
    print(f"# {case.name} ({case.topology}) sysctls={dict(case.sysctls)}")
    print(f"# listeners: {list(case.listeners)}")
    print(case.ruleset, end="")
    print("# packets:")
    for spec in case.packets:
        print("  " + spec)
    if "--run" in argv:
        from .netns import run_real
        from .observe import diff
        from .simside import run_sim

        real = run_real(case)
        sim = run_sim(case)
        found = diff(real, sim, case.tables)
        print("--- kernel ---\n" + real.pretty())
        print("--- sim ---\n" + sim.pretty())
        print("DIFF: " + (found or "none (agree)"))
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
