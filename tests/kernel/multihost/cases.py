"""The hand-written multi-host cases: one behaviour each, with what the real kernel does.

MACs follow ``02:00:00:00:NS:IF`` (NS: 0a = a, 0b = b, 0c = c, 01 = root, 05 = sw/switch, 08 =
inet, 0e = r); every interface a case creates gets one, so neighbours and FDBs are deterministic.
A fresh namespace's ``lo`` is DOWN: cases bring it up only where it matters (an address on lo, or
the kernel's own ICMP errors to a local sender, see ``unanswered_arp_lo_up``).
"""

from __future__ import annotations

from .case import Action, Listener, MultiCase

CASES: list[MultiCase] = []


def case(**kwargs: object) -> MultiCase:
    made = MultiCase(**kwargs)  # type: ignore[arg-type]
    CASES.append(made)
    return made


def veth_pair(lo_up: bool = False) -> list[str]:
    """a -- b over one veth made in the root and moved into both (the material's way)."""
    lines = [
        "ip netns add a",
        "ip netns add b",
        "ip link add veth-a type veth peer name veth-b",
        "ip link set dev veth-a address 02:00:00:00:0a:01",
        "ip link set dev veth-b address 02:00:00:00:0b:01",
        "ip link set veth-a netns a",
        "ip link set veth-b netns b",
        "ip -n a addr add 10.0.0.1/24 dev veth-a",
        "ip -n b addr add 10.0.0.2/24 dev veth-b",
        "ip -n a link set veth-a up",
        "ip -n b link set veth-b up",
    ]
    if lo_up:
        lines += ["ip -n a link set lo up", "ip -n b link set lo up"]
    return lines


# -- two namespaces over a veth ------------------------------------------------------------------

case(
    name="veth_pair_ping_tcp",
    description="a -- b: ping both ways, TCP to a listener and to a closed port, UDP to a closed port",
    commands=veth_pair(),
    listeners=[Listener("b", "tcp", "0.0.0.0", 80)],
    actions=[
        Action("a", "ping", "10.0.0.2"),
        Action("b", "ping", "10.0.0.1"),
        Action("a", "tcp", "10.0.0.2", 80, 40001),
        Action("a", "tcp", "10.0.0.2", 81, 40002),
        Action("a", "udp", "10.0.0.2", 53, 40003),
    ],
    expect={
        "action 1": "reply from 10.0.0.2 ttl=64",
        "action 1 exit": 0,
        "action 2": "reply from 10.0.0.1 ttl=64",
        "action 3": "connected",
        "action 3 exit": 0,
        "action 4": "refused",
        "action 4 exit": 1,
        # nc -u gets ECONNREFUSED from the ICMP port unreachable and exits at once, status 0
        "action 5": "sent",
        "action 5 exit": 0,
        "delivered": ["b: tcp 10.0.0.1:40001 > 10.0.0.2:80 accepted"],
        # a asked (REACHABLE); b learnt a from a's ARP request, then used it (DELAY)
        "a neigh": ["10.0.0.2 dev veth-a lladdr 02:00:00:00:0b:01 REACHABLE"],
        "b neigh": ["10.0.0.1 dev veth-b lladdr 02:00:00:00:0a:01 DELAY"],
        "a conntrack": [],
        "b conntrack": [],
        "a links": ["lo DOWN 00:00:00:00:00:00", "veth-a UP,LOWER_UP 02:00:00:00:0a:01"],
    },
)

# -- three namespaces over a bridge --------------------------------------------------------------


def bridged(names: tuple[str, ...] = ("a", "b", "c"), *, sw: str = "sw") -> list[str]:
    """Namespaces ``names`` on ``br0`` of namespace ``sw``; 10.0.1.N/24 (a=1, b=2, c=3)."""
    lines = (
        [f"ip netns add {sw}"]
        + [f"ip netns add {n}" for n in names]
        + [
            f"ip -n {sw} link add br0 type bridge",
            f"ip -n {sw} link set dev br0 address 02:00:00:00:05:01",
        ]
    )
    for number, n in enumerate(names, 1):
        code = f"0{n}" if len(n) == 1 else n
        lines += [
            f"ip -n {sw} link add v{n} type veth peer name eth0 netns {n}",
            f"ip -n {sw} link set dev v{n} address 02:00:00:00:05:{code}",
            f"ip -n {n} link set dev eth0 address 02:00:00:00:{code}:01",
            f"ip -n {sw} link set v{n} master br0",
            f"ip -n {sw} link set v{n} up",
            f"ip -n {n} addr add 10.0.1.{number}/24 dev eth0",
            f"ip -n {n} link set eth0 up",
        ]
    lines.append(f"ip -n {sw} link set br0 up")
    return lines


case(
    name="bridge_three_namespaces",
    description="a, b, c on br0 in sw: learning FDB, ARP through the bridge, TCP across it",
    commands=bridged(),
    listeners=[Listener("b", "tcp", "10.0.1.2", 80)],
    actions=[
        Action("a", "ping", "10.0.1.2"),
        Action("a", "ping", "10.0.1.3"),
        Action("c", "tcp", "10.0.1.2", 80, 40010),
    ],
    expect={
        "action 1": "reply from 10.0.1.2 ttl=64",
        "action 2": "reply from 10.0.1.3 ttl=64",
        "action 3": "connected",
        "delivered": ["b: tcp 10.0.1.3:40010 > 10.0.1.2:80 accepted"],
        "sw fdb": [
            "02:00:00:00:05:01 dev br0 master br0 permanent",
            "02:00:00:00:05:0a dev va master br0 permanent",
            "02:00:00:00:0a:01 dev va master br0",
            "02:00:00:00:05:0b dev vb master br0 permanent",
            "02:00:00:00:0b:01 dev vb master br0",
            "02:00:00:00:05:0c dev vc master br0 permanent",
            "02:00:00:00:0c:01 dev vc master br0",
        ],
        "sw neigh": [],
    },
)

# -- a namespace behind NAT ----------------------------------------------------------------------


def behind_nat(forward: int, *, router: str = "") -> list[str]:
    """a (10.0.0.2) -- router -- inet (203.0.113.1, 8.8.8.8 on lo); the router MASQUERADEs.

    ``router`` "" = the case's root namespace (prefix-less lines), else a namespace name.
    """
    on = f"ip netns exec {router} " if router else ""
    ipn = f"ip -n {router} " if router else "ip "
    lines = [f"ip netns add {router}"] if router else []
    lines += [
        "ip netns add a",
        "ip netns add inet",
        f"{ipn}link add eth1 type veth peer name eth0 netns a",
        f"{ipn}link set dev eth1 address 02:00:00:00:01:02",
        "ip -n a link set dev eth0 address 02:00:00:00:0a:01",
        f"{ipn}link add eth0 type veth peer name eth0 netns inet",
        f"{ipn}link set dev eth0 address 02:00:00:00:01:01",
        "ip -n inet link set dev eth0 address 02:00:00:00:08:01",
        f"{ipn}addr add 10.0.0.1/24 dev eth1",
        f"{ipn}addr add 203.0.113.2/24 dev eth0",
        f"{ipn}link set eth1 up",
        f"{ipn}link set eth0 up",
        "ip -n a addr add 10.0.0.2/24 dev eth0",
        "ip -n a link set eth0 up",
        "ip -n a route add default via 10.0.0.1",
        "ip -n inet addr add 203.0.113.1/24 dev eth0",
        "ip -n inet link set eth0 up",
        "ip -n inet link set lo up",
        "ip -n inet addr add 8.8.8.8/32 dev lo",
        f"{ipn}route add default via 203.0.113.1",
        f"{on}sysctl -w net.ipv4.ip_forward={forward}",
        f"{on}iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o eth0 -j MASQUERADE",
    ]
    return lines


_NAT_ACTIONS = [Action("a", "ping", "8.8.8.8"), Action("a", "tcp", "8.8.8.8", 80, 40020)]
_NAT_LISTEN = [Listener("inet", "tcp", "0.0.0.0", 80)]

case(
    name="masquerade_forward_on",
    description="a behind the root namespace: ip_forward=1 + MASQUERADE -o eth0; 8.8.8.8 answers",
    commands=behind_nat(1),
    listeners=_NAT_LISTEN,
    actions=_NAT_ACTIONS,
    expect={
        "action 1": "reply from 8.8.8.8 ttl=63",
        "action 2": "connected",
        "delivered": ["inet: tcp 203.0.113.2:40020 > 8.8.8.8:80 accepted"],
        "root iptables nat POSTROUTING 1": [2, 144],
        "root conntrack": [
            "icmp src=10.0.0.2 dst=8.8.8.8 type=8 code=0 | src=8.8.8.8 dst=203.0.113.2 type=0 code=0",
            "tcp TIME_WAIT src=10.0.0.2 dst=8.8.8.8 sport=40020 dport=80 | src=8.8.8.8 dst=203.0.113.2 "
            "sport=80 dport=40020 [ASSURED]",
        ],
        "inet neigh": ["203.0.113.2 dev eth0 lladdr 02:00:00:00:01:01 DELAY"],
    },
)

case(
    name="masquerade_forward_off",
    description="the same with ip_forward=0: the root drops a's packets silently (no ICMP error)",
    commands=behind_nat(0),
    listeners=_NAT_LISTEN,
    actions=_NAT_ACTIONS,
    expect={
        "action 1": "no reply",
        "action 1 exit": 1,
        "action 2": "timeout",
        "delivered": [],
        "root iptables nat POSTROUTING 1": [0, 0],
        "root conntrack": [],
        "inet neigh": [],
        # the root learnt a from its ARP request and never used the entry
        "root neigh": ["10.0.0.2 dev eth1 lladdr 02:00:00:00:0a:01 STALE"],
    },
)

case(
    name="masquerade_router_namespace",
    description="the same with a router namespace r instead of the root (ip netns exec r ...)",
    commands=behind_nat(1, router="r"),
    listeners=_NAT_LISTEN,
    actions=_NAT_ACTIONS[:1],
    expect={"action 1": "reply from 8.8.8.8 ttl=63", "r iptables nat POSTROUTING 1": [1, 84]},
)

# -- two containers behind DNAT ------------------------------------------------------------------

case(
    name="dnat_two_containers",
    description="c1, c2 on the root's br0 (docker0-like), both on :80; DNAT 8080/8081 from the uplink",
    commands=[
        "ip netns add c1",
        "ip netns add c2",
        "ip netns add inet",
        "ip link add br0 type bridge",
        "ip link set dev br0 address 02:00:00:00:01:0b",
        "ip addr add 172.17.0.1/16 dev br0",
        "ip link set br0 up",
        "ip link add veth1 type veth peer name eth0 netns c1",
        "ip link set dev veth1 address 02:00:00:00:01:c1",
        "ip -n c1 link set dev eth0 address 02:00:00:00:c1:01",
        "ip link set veth1 master br0",
        "ip link set veth1 up",
        "ip link add veth2 type veth peer name eth0 netns c2",
        "ip link set dev veth2 address 02:00:00:00:01:c2",
        "ip -n c2 link set dev eth0 address 02:00:00:00:c2:01",
        "ip link set veth2 master br0",
        "ip link set veth2 up",
        "ip -n c1 addr add 172.17.0.2/16 dev eth0",
        "ip -n c1 link set eth0 up",
        "ip -n c1 route add default via 172.17.0.1",
        "ip -n c2 addr add 172.17.0.3/16 dev eth0",
        "ip -n c2 link set eth0 up",
        "ip -n c2 route add default via 172.17.0.1",
        "ip link add eth0 type veth peer name eth0 netns inet",
        "ip link set dev eth0 address 02:00:00:00:01:01",
        "ip -n inet link set dev eth0 address 02:00:00:00:08:01",
        "ip addr add 203.0.113.2/24 dev eth0",
        "ip link set eth0 up",
        "ip -n inet addr add 203.0.113.1/24 dev eth0",
        "ip -n inet link set eth0 up",
        "sysctl -w net.ipv4.ip_forward=1",
        "iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
        "iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 8081 -j DNAT --to-destination 172.17.0.3:80",
        "iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o br0 -j MASQUERADE",
        "iptables -A FORWARD -i eth0 -o br0",
        "iptables -A FORWARD -i br0 -o br0",
    ],
    listeners=[Listener("c1", "tcp", "0.0.0.0", 80), Listener("c2", "tcp", "0.0.0.0", 80)],
    actions=[
        Action("inet", "tcp", "203.0.113.2", 8080, 40030),
        Action("inet", "tcp", "203.0.113.2", 8081, 40031),
        Action("inet", "tcp", "203.0.113.2", 8082, 40032),
        Action("c1", "ping", "172.17.0.3"),
    ],
    expect={
        "action 1": "connected",
        "action 2": "connected",
        "action 3": "refused",
        "action 4": "reply from 172.17.0.3 ttl=64",
        "delivered": [
            "c1: tcp 203.0.113.1:40030 > 172.17.0.2:80 accepted",
            "c2: tcp 203.0.113.1:40031 > 172.17.0.3:80 accepted",
        ],
        "root iptables nat PREROUTING 1": [1, 60],
        "root iptables nat PREROUTING 2": [1, 60],
        "root iptables nat POSTROUTING 1": [0, 0],
        # c1 -> c2 is bridged inside the root's br0, and with br_netfilter it still passes FORWARD
        "root iptables filter FORWARD 2": [2, 168],
        "root conntrack": [
            "icmp src=172.17.0.2 dst=172.17.0.3 type=8 code=0 | src=172.17.0.3 dst=172.17.0.2 type=0 code=0",
            "tcp TIME_WAIT src=203.0.113.1 dst=203.0.113.2 sport=40030 dport=8080 | src=172.17.0.2 "
            "dst=203.0.113.1 sport=80 dport=40030 [ASSURED]",
            "tcp TIME_WAIT src=203.0.113.1 dst=203.0.113.2 sport=40031 dport=8081 | src=172.17.0.3 "
            "dst=203.0.113.1 sport=80 dport=40031 [ASSURED]",
        ],
    },
)

# -- ARP nobody answers --------------------------------------------------------------------------

case(
    name="unanswered_arp_lo_up",
    description="ping to an address of the subnet nobody owns: 3 ARP probes, FAILED, Host Unreachable",
    commands=veth_pair(lo_up=True),
    actions=[Action("a", "ping", "10.0.0.9", wait=4)],
    expect={
        "action 1": "error from 10.0.0.1: Destination Host Unreachable",
        "action 1 exit": 1,
        # after 3 unanswered probes 1 s apart; "Destination Host Unreachable" is the kernel's own ICMP
        # error to the local sender, delivered through lo: with lo DOWN ping never prints it
        "a neigh": ["10.0.0.9 dev veth-a FAILED"],
    },
)

case(
    name="unanswered_arp_lo_down",
    description="the same with -W 1 and lo DOWN (a fresh namespace): no error line, INCOMPLETE",
    commands=veth_pair(),
    actions=[Action("a", "ping", "10.0.0.9")],
    expect={"action 1": "no reply", "action 1 exit": 1, "a neigh": ["10.0.0.9 dev veth-a INCOMPLETE"]},
)

# -- what netfilter sees of bridged traffic ------------------------------------------------------


def bridge_nf(value: int) -> list[str]:
    return bridged(("a", "b")) + [
        f"ip netns exec sw sysctl -w net.bridge.bridge-nf-call-iptables={value}",
        "ip netns exec sw iptables -A FORWARD -i br0 -o br0",
        "ip netns exec sw iptables -A FORWARD -m physdev --physdev-in va --physdev-out vb",
        "ip netns exec sw iptables -A FORWARD -m conntrack --ctstate NEW,ESTABLISHED",
        "ip netns exec sw iptables -A INPUT",
        "ip netns exec sw iptables -A OUTPUT",
        "ip netns exec sw iptables -t nat -A POSTROUTING -o br0 -j RETURN",
        "ip netns exec sw iptables -t mangle -A PREROUTING",
    ]


_BNF_ACTIONS = [Action("a", "ping", "10.0.1.2"), Action("a", "tcp", "10.0.1.2", 80, 40040)]
_BNF_LISTEN = [Listener("b", "tcp", "0.0.0.0", 80)]

case(
    name="bridge_nf_call_iptables_1",
    description="br_netfilter on (a new namespace's default here): bridged IPv4 traverses FORWARD of sw",
    commands=bridge_nf(1),
    listeners=_BNF_LISTEN,
    actions=_BNF_ACTIONS,
    expect={
        "action 1": "reply from 10.0.1.2 ttl=64",
        "action 2": "connected",
        # every bridged IPv4 packet (ping 2 + TCP 7: the server ACKs the FIN, then sends its own)
        # in mangle PREROUTING and filter FORWARD with -i br0 -o br0; physdev sees the bridge ports
        # (a -> b only: 5); nat sees each flow's first packet (POSTROUTING -o br0); INPUT/OUTPUT of
        # sw see nothing; sw's conntrack tracks the bridged flows
        "sw iptables filter FORWARD 1": [9, 548],
        "sw iptables filter FORWARD 2": [5, 300],
        "sw iptables filter FORWARD 3": [9, 548],
        "sw iptables mangle PREROUTING 1": [9, 548],
        "sw iptables nat POSTROUTING 1": [2, 144],
        "sw iptables filter INPUT 1": [0, 0],
        "sw conntrack": [
            "icmp src=10.0.1.1 dst=10.0.1.2 type=8 code=0 | src=10.0.1.2 dst=10.0.1.1 type=0 code=0",
            "tcp TIME_WAIT src=10.0.1.1 dst=10.0.1.2 sport=40040 dport=80 | src=10.0.1.2 dst=10.0.1.1 "
            "sport=80 dport=40040 [ASSURED]",
        ],
    },
)

case(
    name="bridge_nf_call_iptables_0",
    description="bridge-nf-call-iptables=0: the bridge forwards without any iptables chain seeing it",
    commands=bridge_nf(0),
    listeners=_BNF_LISTEN,
    actions=_BNF_ACTIONS,
    expect={
        "action 1": "reply from 10.0.1.2 ttl=64",
        "action 2": "connected",
        "sw iptables filter FORWARD 1": [0, 0],
        "sw iptables filter FORWARD 2": [0, 0],
        "sw iptables filter FORWARD 3": [0, 0],
        "sw iptables mangle PREROUTING 1": [0, 0],
        "sw conntrack": [],
    },
)

# -- topology commands that fail ---------------------------------------------------------------

case(
    name="topology_errors",
    description="iproute2's own errors, and that a failed command changes nothing",
    commands=[
        "ip netns add a",
        "ip link add veth0 type veth peer name veth1",
        "! ip link set veth1 netns missing_ns",
        "! ip link add veth2 type veth peer name veth0",
        "! ip link set veth0 master veth1",
        "! ip netns add a",
        "ip netns del a",
        "! ip netns del a",
        "! ip link add veth0 type veth peer name veth3",
        "! ip link set nosuchdev up",
        "! ip -n nosuchns link show",
    ],
    expect={
        "setup 3": 'exit 255: Error: argument "missing_ns" is wrong: Invalid "netns" value',
        "setup 4": "exit 2: RTNETLINK answers: File exists",
        "setup 5": "exit 2: RTNETLINK answers: Operation not supported",
        "setup 6": 'exit 1: Cannot create namespace file "/run/netns/a": File exists',
        "setup 8": 'exit 1: Cannot remove namespace file "/run/netns/a": No such file or directory',
        "setup 9": "exit 2: RTNETLINK answers: File exists",
        "setup 10": 'exit 1: Cannot find device "nosuchdev"',
        "setup 11": 'exit 255: Cannot open network namespace "nosuchns": No such file or directory',
        # nothing changed: still the first pair, both down, no veth2/veth3, no master
        "root links": ["lo DOWN 00:00:00:00:00:00", "veth0 DOWN <mac-2>", "veth1 DOWN <mac-1>"],
    },
)

# -- a Docker host (Docker Engine 28.2.2's rules, typed by hand) ---------------------------------

DOCKER_RULES: tuple[str, ...] = (
    # raw: filterDirectAccess, one per container (endpoint.go)
    "iptables -t raw -A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP",
    # filter: the chains of the daemon's start and of the docker0 network, the published port's ACCEPT
    "iptables -P FORWARD DROP",
    "iptables -N DOCKER",
    "iptables -N DOCKER-BRIDGE",
    "iptables -N DOCKER-CT",
    "iptables -N DOCKER-FORWARD",
    "iptables -N DOCKER-ISOLATION-STAGE-1",
    "iptables -N DOCKER-ISOLATION-STAGE-2",
    "iptables -N DOCKER-USER",
    "iptables -A FORWARD -j DOCKER-USER",
    "iptables -A FORWARD -j DOCKER-FORWARD",
    "iptables -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
    "iptables -A DOCKER ! -i docker0 -o docker0 -j DROP",
    "iptables -A DOCKER-BRIDGE -o docker0 -j DOCKER",
    "iptables -A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "iptables -A DOCKER-FORWARD -j DOCKER-CT",
    "iptables -A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1",
    "iptables -A DOCKER-FORWARD -j DOCKER-BRIDGE",
    "iptables -A DOCKER-FORWARD -i docker0 -j ACCEPT",
    "iptables -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
    "iptables -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP",
    # nat: the DOCKER chain, MASQUERADE for the bridge's subnet, the published port's DNAT
    "iptables -t nat -N DOCKER",
    "iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
    "iptables -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER",
    "iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
    "iptables -t nat -A DOCKER -i docker0 -j RETURN",
    "iptables -t nat -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
)
"""What the simulated ``docker run -d --name web -p 8080:80 nginx`` writes on a fresh host (its
``iptables-save``; tests/commands/docker_reference/engine-28.2.2/iptables-save-after-run.txt), as
``iptables`` lines in the order that prints the same ``iptables-save`` (test_docker_rules.py checks it)."""

DOCKER_SECOND_CONTAINER_RULES = ("iptables -t raw -A PREROUTING -d 172.17.0.3/32 ! -i docker0 -j DROP",)
"""``docker run -d --name db IMAGE`` (no -p) adds only its direct-access guard."""


def docker_host(containers: tuple[str, ...] = ("web",), *, extra: tuple[str, ...] = ()) -> list[str]:
    """The root as a Docker host: eth0 (203.0.113.2/24) to ``inet`` (the client 203.0.113.7 and,
    on its lo, the server 8.8.8.8), docker0 172.17.0.1/16, one namespace per container on it with
    eth0 172.17.0.N/16 (web = .2, db = .3), ip_forward=1, Docker's rules, then ``extra`` lines."""
    lines = [f"ip netns add {c}" for c in containers] + [
        "ip netns add inet",
        "ip link add docker0 type bridge",
        "ip link set dev docker0 address 02:00:00:00:01:0d",
        "ip addr add 172.17.0.1/16 dev docker0",
        "ip link set docker0 up",
    ]
    for number, name in enumerate(containers, 1):
        code = f"c{number}"
        lines += [
            f"ip link add veth{number} type veth peer name eth0 netns {name}",
            f"ip link set dev veth{number} address 02:00:00:00:01:{code}",
            f"ip -n {name} link set dev eth0 address 02:00:00:00:{code}:01",
            f"ip link set veth{number} master docker0",
            f"ip link set veth{number} up",
            f"ip -n {name} addr add 172.17.0.{number + 1}/16 dev eth0",
            f"ip -n {name} link set eth0 up",
            f"ip -n {name} route add default via 172.17.0.1",
        ]
    lines += [
        "ip link add eth0 type veth peer name eth0 netns inet",
        "ip link set dev eth0 address 02:00:00:00:01:01",
        "ip -n inet link set dev eth0 address 02:00:00:00:08:01",
        "ip addr add 203.0.113.2/24 dev eth0",
        "ip link set eth0 up",
        "ip route add default via 203.0.113.7",
        "ip -n inet addr add 203.0.113.7/24 dev eth0",
        "ip -n inet link set eth0 up",
        "ip -n inet link set lo up",
        "ip -n inet addr add 8.8.8.8/32 dev lo",
        "sysctl -w net.ipv4.ip_forward=1",
        *DOCKER_RULES,
    ]
    if len(containers) > 1:
        lines += DOCKER_SECOND_CONTAINER_RULES
    return lines + list(extra)


_WEB = [Listener("web", "tcp", "0.0.0.0", 80)]

case(
    name="docker_published_port",
    description="docker run -p 8080:80: the Internet reaches the container through DNAT and FORWARD, "
    "never INPUT (an INPUT DROP of 8080 counts nothing)",
    commands=docker_host(extra=("iptables -A INPUT -p tcp --dport 8080 -j DROP",)),
    listeners=_WEB,
    actions=[Action("inet", "tcp", "203.0.113.2", 8080, 40100, wait=2)],
    expect={
        "action 1": "connected",
        "delivered": ["web: tcp 203.0.113.7:40100 > 172.17.0.2:80 accepted"],
        # the SYN is DNATed in nat PREROUTING (addrtype LOCAL -> DOCKER); nat sees a flow's first packet
        "root iptables nat PREROUTING 1": [1, 60],
        "root iptables nat DOCKER 2": [1, 60],
        # the DNATed flow is forwarded, never input: the INPUT DROP of 8080 sees nothing; the raw
        # guard sees 203.0.113.2 (raw comes before the DNAT), not 172.17.0.2
        "root iptables filter INPUT 1": [0, 0],
        "root iptables raw PREROUTING 1": [0, 0],
        # FORWARD: the client's 4 segments (SYN, ACK, FIN, ACK) and the container's 3 (SYN-ACK, ACK,
        # FIN) all through DOCKER-USER (empty) and DOCKER-FORWARD
        "root iptables filter FORWARD 1": [7, 380],
        "root iptables filter FORWARD 2": [7, 380],
        # DOCKER-FORWARD -> DOCKER-CT: the client's 3 later segments (-o docker0, ESTABLISHED)
        "root iptables filter DOCKER-CT 1": [3, 156],
        # the SYN: DOCKER-BRIDGE (-o docker0) -> DOCKER, the published port's ACCEPT
        "root iptables filter DOCKER-BRIDGE 1": [1, 60],
        "root iptables filter DOCKER 1": [1, 60],
        "root iptables filter DOCKER 2": [0, 0],
        # the container's 3 segments: ISOLATION-STAGE-1 (-i docker0 ! -o docker0, back), then -i docker0 ACCEPT
        "root iptables filter DOCKER-ISOLATION-STAGE-1 1": [3, 164],
        "root iptables filter DOCKER-ISOLATION-STAGE-2 1": [0, 0],
        "root iptables filter DOCKER-FORWARD 4": [3, 164],
        "root iptables filter FORWARD policy": [0, 0],
        "root conntrack": [
            "tcp TIME_WAIT src=203.0.113.7 dst=203.0.113.2 sport=40100 dport=8080 | src=172.17.0.2 "
            "dst=203.0.113.7 sport=80 dport=40100 [ASSURED]",
        ],
    },
)

case(
    name="docker_user_ctorigdstport",
    description="DOCKER-USER: --dport 8080 never matches (the DNAT came first); -m conntrack "
    "--ctorigdstport 8080 does and blocks the published port",
    commands=docker_host(
        extra=(
            "iptables -A DOCKER-USER -p tcp --dport 8080 -j DROP",
            "iptables -A DOCKER-USER -p tcp -m conntrack --ctorigdstport 8080 -j DROP",
        )
    ),
    listeners=_WEB,
    # -w 2: the SYN and its retransmission at 1 s, both dropped
    actions=[Action("inet", "tcp", "203.0.113.2", 8080, 40110, wait=2)],
    expect={
        "action 1": "timeout",
        "action 1 exit": 1,
        "delivered": [],
        "root iptables nat DOCKER 2": [2, 120],
        "root iptables filter DOCKER-USER 1": [0, 0],
        "root iptables filter DOCKER-USER 2": [2, 120],
        "root iptables filter DOCKER-FORWARD 1": [0, 0],
        "root iptables filter DOCKER 1": [0, 0],
        # a dropped first packet never confirms its conntrack entry
        "root conntrack": [],
        "web neigh": [],
    },
)

case(
    name="docker_container_masquerade",
    description="the container reaches 8.8.8.8: FORWARD -i docker0 ACCEPT, POSTROUTING MASQUERADE to 203.0.113.2",
    commands=docker_host(),
    listeners=[Listener("inet", "tcp", "0.0.0.0", 80)],
    actions=[Action("web", "ping", "8.8.8.8"), Action("web", "tcp", "8.8.8.8", 80, 40120, wait=2)],
    expect={
        "action 1": "reply from 8.8.8.8 ttl=63",
        "action 2": "connected",
        "delivered": ["inet: tcp 203.0.113.2:40120 > 8.8.8.8:80 accepted"],
        "root iptables nat POSTROUTING 1": [2, 144],
        # the container's 5 packets (echo request; SYN, ACK, FIN, ACK): -i docker0 ! -o docker0 into
        # ISOLATION-STAGE-1 -> STAGE-2 (-o docker0: no), back, then DOCKER-FORWARD's -i docker0 ACCEPT
        "root iptables filter DOCKER-ISOLATION-STAGE-1 1": [5, 300],
        "root iptables filter DOCKER-ISOLATION-STAGE-2 1": [0, 0],
        "root iptables filter DOCKER-FORWARD 4": [5, 300],
        # the 4 answers (echo reply; SYN-ACK, ACK, FIN), un-NATed to 172.17.0.2: DOCKER-CT's ESTABLISHED
        "root iptables filter DOCKER-CT 1": [4, 248],
        "root iptables filter DOCKER-BRIDGE 1": [0, 0],
        # nat PREROUTING: 8.8.8.8 is not LOCAL, the DOCKER chain is never entered
        "root iptables nat PREROUTING 1": [0, 0],
        "root iptables raw PREROUTING 1": [0, 0],
        "root conntrack": [
            "icmp src=172.17.0.2 dst=8.8.8.8 type=8 code=0 | src=8.8.8.8 dst=203.0.113.2 type=0 code=0",
            "tcp TIME_WAIT src=172.17.0.2 dst=8.8.8.8 sport=40120 dport=80 | src=8.8.8.8 dst=203.0.113.2 "
            "sport=80 dport=40120 [ASSURED]",
        ],
        "inet neigh": ["203.0.113.2 dev eth0 lladdr 02:00:00:00:01:01 DELAY"],
    },
)

case(
    name="docker_container_to_container",
    description="web -> db over docker0: bridged, and with br_netfilter (a new namespace's default) "
    "through the root's FORWARD as -i docker0 -o docker0",
    commands=docker_host(("web", "db")),
    listeners=[Listener("db", "tcp", "0.0.0.0", 80)],
    actions=[Action("web", "ping", "172.17.0.3"), Action("web", "tcp", "172.17.0.3", 80, 40130, wait=2)],
    expect={
        "action 1": "reply from 172.17.0.3 ttl=64",
        "action 2": "connected",
        "delivered": ["db: tcp 172.17.0.2:40130 > 172.17.0.3:80 accepted"],
        # the raw guards: bridged packets come in on docker0 (-i is the bridge), never dropped
        "root iptables raw PREROUTING 1": [0, 0],
        "root iptables raw PREROUTING 2": [0, 0],
        "root iptables nat POSTROUTING 1": [0, 0],
        # all 9 bridged packets (ping 2, TCP 7) pass FORWARD; every one is -o docker0: the 7 after each
        # flow's first are DOCKER-CT's ESTABLISHED; the 2 first ones go DOCKER-BRIDGE -> DOCKER (both
        # rules need ! -i docker0: no match) and back to DOCKER-FORWARD's -i docker0 ACCEPT
        "root iptables filter FORWARD 1": [9, 548],
        "root iptables filter DOCKER-CT 1": [7, 404],
        "root iptables filter DOCKER-BRIDGE 1": [2, 144],
        "root iptables filter DOCKER 1": [0, 0],
        "root iptables filter DOCKER 2": [0, 0],
        "root iptables filter DOCKER-FORWARD 4": [2, 144],
        "root conntrack": [
            "icmp src=172.17.0.2 dst=172.17.0.3 type=8 code=0 | src=172.17.0.3 dst=172.17.0.2 type=0 code=0",
            "tcp TIME_WAIT src=172.17.0.2 dst=172.17.0.3 sport=40130 dport=80 | src=172.17.0.3 dst=172.17.0.2 "
            "sport=80 dport=40130 [ASSURED]",
        ],
        "root neigh": [],
    },
)

case(
    name="docker_direct_access_guard",
    description="a packet routed straight to 172.17.0.2 from outside: raw PREROUTING's guard drops it",
    commands=docker_host(extra=("ip -n inet route add 172.17.0.0/16 via 203.0.113.2",)),
    listeners=_WEB,
    actions=[Action("inet", "ping", "172.17.0.2"), Action("inet", "tcp", "172.17.0.2", 80, 40140, wait=2)],
    expect={
        "action 1": "no reply",
        "action 1 exit": 1,
        "action 2": "timeout",
        "delivered": [],
        # the echo request, then the SYN and its retransmission
        "root iptables raw PREROUTING 1": [3, 204],
        "root iptables filter FORWARD 1": [0, 0],
        "root conntrack": [],
        "web neigh": [],
    },
)
