"""A seeded random generator of small multi-namespace topologies, in the `MultiCase` format.

``generate(seed, index)`` is a pure function of its arguments (``random.Random(f"mh:{seed}:{index}")``)::

    python -m tests.kernel.multihost.randomized 20260101 17          # print case 17 (a shell script)
    python -m tests.kernel.multihost.randomized 20260101 17 --run    # run it on the real kernel (root)

Shapes: ``pair`` (a -- b), ``chain`` (a -- r -- b), ``bridge`` (2-3 namespaces on br0 of a switch
namespace, the switch maybe with an address on br0), ``star`` (a router with 2-3 leaves, one of
them maybe "the Internet": 8.8.8.8 on its lo and no route back, so only MASQUERADE makes it
answer). The router or switch is the case's root namespace (prefix-less lines) one time in three.
Addresses are random /24 or /30 subnets of 10.0.0.0/8; MACs ``02:00:00:00:NS:IF``; lo is brought up
at random (it decides whether ping prints the kernel's "Destination Host Unreachable").

Validity by construction (every line succeeds on the real kernel; the recorder raises otherwise):
names are unique, a veth is created where its peer's namespace already exists, addresses are
assigned once, routes only via a directly connected gateway, iptables targets only where the
kernel accepts them (REJECT in filter, DNAT in nat PREROUTING, MASQUERADE in nat POSTROUTING,
``--reject-with tcp-reset`` only with ``-p tcp``).

Determinism: the actions' worst-case time (the sum of their ``-W``/``-w``) stays <= 4 s, under the
5 s an entry stays DELAY, so neighbour states do not depend on timing; TCP connects use ``-w 2``
(SYN at 0 s and its retransmission at 1 s, never a third, so counters cannot race nc's timeout); a
ping to an address nobody owns is always the last action (its entry is INCOMPLETE, 3 s before FAILED).
"""

from __future__ import annotations

import ipaddress
import random
import sys
from dataclasses import dataclass, field

from .case import ROOT, Action, Listener, MultiCase

MAX_WAIT = 4


@dataclass
class _Iface:
    ns: str
    name: str
    mac: str
    ip: str | None = None
    prefix: int = 24


@dataclass
class _Gen:
    rng: random.Random
    lines: list[str] = field(default_factory=list)
    ifaces: list[_Iface] = field(default_factory=list)
    ns_index: dict[str, int] = field(default_factory=dict)
    used_nets: set[str] = field(default_factory=set)
    lo_addrs: dict[str, str] = field(default_factory=dict)
    dnat: list[tuple[str, str, int]] = field(default_factory=list)
    """(router address, proto, published port) a DNAT rule answers on."""

    # -- helpers --------------------------------------------------------------------------------
    def ip_cmd(self, ns: str) -> str:
        return "ip " if ns == ROOT else f"ip -n {ns} "

    def exec_cmd(self, ns: str) -> str:
        return "" if ns == ROOT else f"ip netns exec {ns} "

    def add_ns(self, ns: str) -> None:
        self.ns_index[ns] = len(self.ns_index) + 1
        if ns != ROOT:
            self.lines.append(f"ip netns add {ns}")

    def mac(self, ns: str) -> str:
        count = sum(1 for i in self.ifaces if i.ns == ns) + 1
        return f"02:00:00:00:{self.ns_index[ns]:02x}:{count:02x}"

    def subnet(self, small: bool) -> ipaddress.IPv4Network:
        while True:
            base = f"10.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}."
            net = ipaddress.IPv4Network(base + (f"{4 * self.rng.randint(0, 63)}/30" if small else "0/24"))
            if str(net.supernet(new_prefix=24) if small else net) not in self.used_nets:
                self.used_nets.add(str(net.supernet(new_prefix=24) if small else net))
                return net

    def hosts(self, net: ipaddress.IPv4Network, count: int) -> list[str]:
        pool = [str(h) for h in net.hosts()]
        return self.rng.sample(pool, count) if net.prefixlen < 30 else pool[:count]

    def veth(self, ns1: str, name1: str, ns2: str, name2: str) -> tuple[_Iface, _Iface]:
        """A veth between two existing namespaces, made in one of two ways learners use."""
        if self.rng.random() < 0.5 or ns1 == ns2:
            self.lines.append(
                f"{self.ip_cmd(ns1)}link add {name1} type veth peer name {name2}"
                + (f" netns {ns2}" if ns2 != ns1 else "")
            )
        else:  # made in the root with temporary names, then moved and renamed
            tmp1, tmp2 = f"t{len(self.ifaces)}a", f"t{len(self.ifaces)}b"
            self.lines.append(f"ip link add {tmp1} type veth peer name {tmp2}")
            for ns, tmp, name in ((ns1, tmp1, name1), (ns2, tmp2, name2)):
                if ns != ROOT:
                    self.lines.append(f"ip link set {tmp} netns {ns}")
                self.lines.append(f"{self.ip_cmd(ns)}link set dev {tmp} name {name}")
        ends = []
        for ns, name in ((ns1, name1), (ns2, name2)):
            iface = _Iface(ns, name, self.mac(ns))
            self.ifaces.append(iface)
            self.lines.append(f"{self.ip_cmd(ns)}link set dev {name} address {iface.mac}")
            ends.append(iface)
        return ends[0], ends[1]

    def address(self, iface: _Iface, ip: str, prefix: int) -> None:
        iface.ip, iface.prefix = ip, prefix
        self.lines.append(f"{self.ip_cmd(iface.ns)}addr add {ip}/{prefix} dev {iface.name}")

    def up(self, iface: _Iface) -> None:
        self.lines.append(f"{self.ip_cmd(iface.ns)}link set {iface.name} up")

    def link(self, ns1: str, name1: str, ns2: str, name2: str) -> tuple[_Iface, _Iface, ipaddress.IPv4Network]:
        small = self.rng.random() < 0.4
        net = self.subnet(small)
        a, b = self.veth(ns1, name1, ns2, name2)
        ip1, ip2 = self.hosts(net, 2)
        self.address(a, ip1, net.prefixlen)
        self.address(b, ip2, net.prefixlen)
        self.up(a)
        self.up(b)
        return a, b, net

    def sysctl(self, ns: str, key: str, value: int) -> None:
        self.lines.append(f"{self.exec_cmd(ns)}sysctl -w {key}={value}")

    def iptables(self, ns: str, rule: str) -> None:
        self.lines.append(f"{self.exec_cmd(ns)}iptables {rule}")

    # -- shapes ---------------------------------------------------------------------------------
    def pair(self) -> list[str]:
        for ns in ("a", "b"):
            self.add_ns(ns)
        self.link("a", "eth0", "b", "eth0")
        return ["a", "b"]

    def routed(self, leaves: list[str], internet: bool) -> tuple[str, list[str]]:
        """A router (the root or ``r``) with one link per leaf; leaves route through it."""
        router = ROOT if self.rng.random() < 1 / 3 else "r"
        self.add_ns(router)
        for ns in leaves:
            self.add_ns(ns)
        gateways: dict[str, str] = {}
        nets = []
        for number, ns in enumerate(leaves):
            rif, lif, net = self.link(router, f"eth{number}", ns, "eth0")
            gateways[ns] = str(rif.ip)
            nets.append((ns, net, rif))
        inet = leaves[-1] if internet else None
        if inet:
            self.lines.append(f"ip -n {inet} link set lo up")
            self.lines.append(f"ip -n {inet} addr add 8.8.8.8/32 dev lo")
            self.lo_addrs[inet] = "8.8.8.8"
            self.lines.append(
                f"{self.ip_cmd(router)}route add 8.8.8.8/32 via {next(i.ip for i in self.ifaces if i.ns == inet)}"
            )
        for ns in leaves:
            if ns == inet:
                continue  # the Internet knows no way back: only MASQUERADE makes it answer
            if self.rng.random() < 0.8:
                self.lines.append(f"ip -n {ns} route add default via {gateways[ns]}")
            else:
                for other, net, _rif in nets:
                    if other != ns:
                        self.lines.append(f"ip -n {ns} route add {net} via {gateways[ns]}")
        if self.rng.random() < 0.8:
            self.sysctl(router, "net.ipv4.ip_forward", 1)
        elif self.rng.random() < 0.5:
            self.sysctl(router, "net.ipv4.ip_forward", 0)
        # router rules
        out_if = next(i.name for i in self.ifaces if i.ns == router and i.ip == gateways[leaves[-1]])
        if inet or self.rng.random() < 0.3:
            src = nets[0][1]
            self.iptables(
                router,
                self.rng.choice(
                    (
                        f"-t nat -A POSTROUTING -o {out_if} -j MASQUERADE",
                        f"-t nat -A POSTROUTING -s {src} -o {out_if} -j MASQUERADE",
                    )
                ),
            )
        if self.rng.random() < 0.35:
            target = next(i.ip for i in self.ifaces if i.ns == leaves[-1])
            entry = gateways[leaves[0]]
            self.iptables(router, f"-t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination {target}:80")
            self.dnat.append((entry, "tcp", 8080))
        return router, leaves

    def bridge(self, members: list[str]) -> tuple[str, list[str]]:
        sw = ROOT if self.rng.random() < 1 / 3 else "sw"
        self.add_ns(sw)
        for ns in members:
            self.add_ns(ns)
        self.lines.append(f"{self.ip_cmd(sw)}link add br0 type bridge")
        br = _Iface(sw, "br0", self.mac(sw))
        self.ifaces.append(br)
        if self.rng.random() < 0.7:
            self.lines.append(f"{self.ip_cmd(sw)}link set dev br0 address {br.mac}")
        else:
            br.mac = ""  # takes the lowest port MAC (then `<mac-N>`-free: ports' MACs are fixed)
        net = self.subnet(False)
        ips = self.hosts(net, len(members) + 1)
        for number, ns in enumerate(members):
            port, inside = self.veth(sw, f"v{ns}", ns, "eth0")
            self.lines.append(f"{self.ip_cmd(sw)}link set {port.name} master br0")
            self.up(port)
            self.address(inside, ips[number], 24)
            self.up(inside)
        if self.rng.random() < 0.5:
            self.address(br, ips[-1], 24)
        self.up(br)
        if self.rng.random() < 0.5:
            self.sysctl(sw, "net.bridge.bridge-nf-call-iptables", self.rng.choice((0, 1)))
        return sw, members

    # -- rules, listeners, actions -------------------------------------------------------------
    def random_rules(self, namespaces: list[str]) -> None:
        rng = self.rng
        ports = (80, 22, 81)
        for _ in range(rng.randint(0, 3)):
            ns = rng.choice(namespaces)
            chain = rng.choice(("INPUT", "OUTPUT", "FORWARD"))
            proto = rng.choice(("icmp", "tcp", "tcp", "udp", None))
            match = f"-p {proto}" if proto else ""
            if proto in ("tcp", "udp") and rng.random() < 0.7:
                match += f" --dport {rng.choice(ports) if proto == 'tcp' else rng.choice((53, 54))}"
            addr = [i.ip for i in self.ifaces if i.ip]
            if addr and rng.random() < 0.3:
                match += f" {rng.choice(('-s', '-d'))} {rng.choice(addr)}"
            if rng.random() < 0.2:
                match += " -m conntrack --ctstate NEW"
            targets = ["DROP", "ACCEPT", "REJECT", ""]
            if proto == "tcp":
                targets.append("REJECT --reject-with tcp-reset")
            target = rng.choice(targets)
            rule = f"-A {chain} {match}".rstrip() + (f" -j {target}" if target else "")
            self.iptables(ns, " ".join(rule.split()))

    def listeners(self, namespaces: list[str]) -> list[Listener]:
        out = []
        for ns in namespaces:
            if self.rng.random() < 0.6:
                out.append(Listener(ns, "tcp", "0.0.0.0", 80))
            if self.rng.random() < 0.3:
                ip = next((i.ip for i in self.ifaces if i.ns == ns and i.ip), None)
                if ip:
                    out.append(Listener(ns, "tcp", ip, 22))
            if self.rng.random() < 0.3:
                out.append(Listener(ns, "udp", "0.0.0.0", 53))
        return out

    def actions(self, clients: list[str]) -> list[Action]:
        rng = self.rng
        targets = [i.ip for i in self.ifaces if i.ip] + list(self.lo_addrs.values())
        out: list[Action] = []
        budget = MAX_WAIT
        sport = 41000
        for _ in range(rng.randint(1, 3)):
            ns = rng.choice(clients)
            own = {i.ip for i in self.ifaces if i.ns == ns}
            dsts = [t for t in targets if t not in own] or targets
            kind = rng.choices(("ping", "tcp", "udp", "dnat"), (5, 4, 1, 2 if self.dnat else 0))[0]
            wait = 2 if kind in ("tcp", "dnat") else 1
            if wait > budget:
                break
            budget -= wait
            sport += 1
            if kind == "ping":
                out.append(Action(ns, "ping", rng.choice(dsts)))
            elif kind == "tcp":
                out.append(Action(ns, "tcp", rng.choice(dsts), rng.choice((80, 80, 22, 81)), sport, wait=2))
            elif kind == "udp":
                out.append(Action(ns, "udp", rng.choice(dsts), rng.choice((53, 54)), sport))
            else:
                addr, _proto, port = rng.choice(self.dnat)
                out.append(Action(ns, "tcp", addr, port, sport, wait=2))
        if budget >= 1 and rng.random() < 0.15:
            mine = [i for i in self.ifaces if i.ip and i.prefix == 24]
            if mine:
                iface = rng.choice(mine)
                net = ipaddress.IPv4Network(f"{iface.ip}/24", strict=False)
                taken = {i.ip for i in self.ifaces}
                free = [str(h) for h in net.hosts() if str(h) not in taken]
                out.append(Action(iface.ns, "ping", rng.choice(free)))
        return out


def generate(seed: int, index: int) -> MultiCase:
    """Random case number ``index`` of ``seed`` (deterministic)."""
    rng = random.Random(f"mh:{seed}:{index}")
    gen = _Gen(rng)
    shape = rng.choice(("pair", "chain", "bridge", "star"))
    if shape == "pair":
        namespaces = gen.pair()
        middle = None
        clients = namespaces
    elif shape == "chain":
        middle, clients = gen.routed(["a", "b"], internet=False)
    elif shape == "star":
        leaves = ["a", "b", "c"][: rng.randint(2, 3)]
        middle, clients = gen.routed(leaves, internet=rng.random() < 0.5)
    else:
        middle, clients = gen.bridge(["a", "b", "c"][: rng.randint(2, 3)])
    every = list(gen.ns_index)
    for ns in every:
        if rng.random() < 0.5 and ns not in gen.lo_addrs:
            gen.lines.append(f"{gen.ip_cmd(ns)}link set lo up")
    gen.random_rules([middle] * 2 + clients if middle else clients)
    listeners = gen.listeners([ns for ns in every if ns != middle] or every)
    actions = gen.actions(clients)
    return MultiCase(
        name=f"random_{seed}_{index}",
        commands=tuple(gen.lines),
        listeners=tuple(listeners),
        actions=tuple(actions),
        description=f"generated ({shape}): seed {seed} index {index}",
    )


def replay_command(seed: int, index: int) -> str:
    return f"python -m tests.kernel.multihost.randomized {seed} {index} --run"


def _main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    case = generate(int(argv[0]), int(argv[1]))
    print(f"# {case.name}: {case.description}")
    print(case.script())
    if "--run" in argv:
        from .real import run_real

        print("--- kernel ---\n" + run_real(case).pretty())
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
