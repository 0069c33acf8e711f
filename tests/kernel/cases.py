"""The hand-written differential cases: one behaviour each.

Each case carries what the real kernel is expected to do (replies at s, packets at r, listener
deliveries, selected counters). Byte counts are IP total lengths: a TCP SYN/ACK/RST without options
is 40, the kernel's SYN-ACK to an option-less SYN carries MSS (44), UDP is 28 + payload, an ICMP
echo without payload 28, an ICMP error 28 + the quoted packet (at most 548 bytes of it).
"""

from __future__ import annotations

from .case import Case

BUILTIN = {
    "raw": ("PREROUTING", "OUTPUT"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "security": ("INPUT", "FORWARD", "OUTPUT"),
}
TABLE_ORDER = ("raw", "mangle", "nat", "filter", "security")


def ruleset(policies: dict[str, str] | None = None, **tables: list[str]) -> str:
    """iptables-restore text: ``ruleset(filter=["-A INPUT -j DROP"], policies={"filter INPUT": "DROP"})``.

    User chains are declared from the ``-A NAME`` lines that name no built-in chain.
    """
    policies = policies or {}
    out = []
    for table in TABLE_ORDER:
        if table not in tables:
            continue
        rules = tables[table]
        out.append(f"*{table}")
        for chain in BUILTIN[table]:
            out.append(f":{chain} {policies.get(f'{table} {chain}', 'ACCEPT')} [0:0]")
        users: list[str] = []
        for rule in rules:
            words = rule.split()
            if words[0] in ("-A", "-N") and words[1] not in BUILTIN[table] and words[1] not in users:
                users.append(words[1])
        out += [f":{chain} - [0:0]" for chain in users]
        out += [rule for rule in rules if not rule.startswith("-N ")]
        out.append("COMMIT")
    return "\n".join(out) + "\n"


# Conntrack (and so every nat chain) is active in a namespace only once some rule needs it: a NAT
# target, a conntrack/state match, CT... A nat table holding only counters is never traversed
# (see case nat_chains_need_conntrack). This pure counter turns conntrack on.
CT_ON = "-A FORWARD -m conntrack --ctstate INVALID"


def count_everywhere(*, skip: tuple[str, ...] = (), conntrack: bool = True) -> dict[str, list[str]]:
    """A counting rule (no target) in every built-in chain of every table (+ CT_ON in filter)."""
    tables = {table: [f"-A {chain}" for chain in chains if f"{table} {chain}" not in skip]
              for table, chains in BUILTIN.items()}
    if conntrack:
        tables["filter"].append(CT_ON)
    return tables


SYN = "tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]"
ACK = "tcp 10.0.0.2:40000 > 10.0.0.1:80 [.]"
SYNACK_80 = "tcp 10.0.0.1:80 > 10.0.0.2:40000 [S.]"
FWD = {"net.ipv4.ip_forward": 1}

CASES: list[Case] = []


def case(**kwargs) -> Case:  # noqa: ANN003
    made = Case(**kwargs)
    CASES.append(made)
    return made


# -- plain host behaviour ------------------------------------------------------------------------

case(name="listener_synack", listeners=[("tcp", "10.0.0.1", 80)], packets=[SYN],
     ruleset=ruleset(filter=["-A INPUT", "-A OUTPUT"]),
     expect_replies=(SYNACK_80,), expect_delivered=(),
     expect_counters={"filter INPUT 1": (1, 40), "filter OUTPUT 1": (1, 44)},
     description="SYN to a listening port: SYN-ACK (with MSS option, 44 bytes); not accepted yet.")

case(name="listener_handshake_accept", listeners=[("tcp", "10.0.0.1", 80)], packets=[SYN, ACK],
     ruleset=ruleset(filter=["-A INPUT", "-A OUTPUT"]),
     expect_replies=(SYNACK_80,), expect_delivered=("tcp 10.0.0.2:40000 > 10.0.0.1:80 accepted",),
     expect_counters={"filter INPUT 1": (2, 80), "filter OUTPUT 1": (1, 44)},
     description="SYN then the ACK of the handshake: the connection reaches the accept queue.")

case(name="closed_tcp_port_rst", packets=["tcp 10.0.0.2:40001 > 10.0.0.1:81 [S]"],
     ruleset=ruleset(filter=["-A INPUT", "-A OUTPUT"]),
     expect_replies=("tcp 10.0.0.1:81 > 10.0.0.2:40001 [R.]",),
     expect_counters={"filter INPUT 1": (1, 40), "filter OUTPUT 1": (1, 40)},
     description="SYN to a closed port: the stack answers RST+ACK, through OUTPUT.")

case(name="closed_udp_port_icmp", packets=["udp 10.0.0.2:5353 > 10.0.0.1:54 len=12"],
     ruleset=ruleset(filter=["-A INPUT", "-A OUTPUT"]),
     expect_replies=("icmp 10.0.0.1 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 10.0.0.1:54 len=12}",),
     expect_counters={"filter INPUT 1": (1, 40), "filter OUTPUT 1": (1, 68)},
     description="UDP to a closed port: ICMP port unreachable quoting the datagram.")

case(name="udp_listener_delivery", listeners=[("udp", "0.0.0.0", 53)],
     packets=["udp 10.0.0.2:5353 > 10.0.0.1:53 len=40"],
     ruleset=ruleset(filter=["-A INPUT", "-A OUTPUT"]),
     expect_replies=(), expect_delivered=("udp 10.0.0.2:5353 > 10.0.0.1:53 len=40",),
     expect_counters={"filter INPUT 1": (1, 68), "filter OUTPUT 1": (0, 0)},
     description="UDP to a listener on 0.0.0.0: delivered, nothing answered.")

case(name="icmp_echo", packets=["icmp 10.0.0.2 > 10.0.0.1 echo-request"],
     ruleset=ruleset(filter=["-A INPUT", "-A OUTPUT"]),
     expect_replies=("icmp 10.0.0.1 > 10.0.0.2 echo-reply",),
     expect_counters={"filter INPUT 1": (1, 28), "filter OUTPUT 1": (1, 28)},
     description="Echo request to the host: echo reply.")

case(name="icmp_error_quote_capped_at_576", packets=["udp 10.0.0.2:5353 > 10.0.0.1:54 len=1000"],
     ruleset=ruleset(filter=["-A INPUT", "-A OUTPUT"]),
     expect_replies=("icmp 10.0.0.1 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 10.0.0.1:54 len=1000}",),
     expect_counters={"filter INPUT 1": (1, 1028), "filter OUTPUT 1": (1, 576)},
     description="An ICMP error quotes at most 548 bytes of the offending packet: 576 bytes in all "
                 "(the quoted header still says len=1000).")

case(name="output_drop_blocks_synack", listeners=[("tcp", "10.0.0.1", 80)], packets=[SYN],
     ruleset=ruleset(filter=["-A INPUT", "-A OUTPUT -p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j DROP"]),
     expect_replies=(), expect_delivered=(),
     expect_counters={"filter INPUT 1": (1, 40), "filter OUTPUT 1": (1, 44)},
     description="OUTPUT drops the host's own SYN-ACK: nothing reaches s.")

case(name="handshake_bad_ack_rst", listeners=[("tcp", "10.0.0.1", 80)],
     packets=[SYN, "tcp 10.0.0.2:40000 > 10.0.0.1:80 [.] seq=1 ack=1"],
     ruleset=ruleset(filter=["-A INPUT", "-A OUTPUT"]),
     expect_replies=(SYNACK_80, "tcp 10.0.0.1:80 > 10.0.0.2:40000 [R]"), expect_delivered=(),
     expect_counters={"filter INPUT 1": (2, 80), "filter OUTPUT 1": (2, 84)},
     description="An ACK that does not acknowledge the SYN-ACK's ISN (tcp_check_req) gets a RST "
                 "(seq = its ack) and the connection is not accepted. (The kernel's ISN is random, "
                 "so ack=1 is wrong with probability 1 - 2^-32.)")

case(name="no_ruleset_closed_ports", ruleset="",
     packets=["tcp 10.0.0.2:40001 > 10.0.0.1:81 [S]", "udp 10.0.0.2:5353 > 10.0.0.1:54"],
     expect_replies=("tcp 10.0.0.1:81 > 10.0.0.2:40001 [R.]",
                     "icmp 10.0.0.1 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 10.0.0.1:54}"),
     description="No netfilter at all: the same answers (no tables are printed by iptables-save).")

# -- tables and hook order -----------------------------------------------------------------------

case(name="hook_order_local_in_and_reply", listeners=[("tcp", "10.0.0.1", 80)], packets=[SYN],
     ruleset=ruleset(**count_everywhere()),
     expect_replies=(SYNACK_80,),
     expect_counters={
         "raw PREROUTING 1": (1, 40), "mangle PREROUTING 1": (1, 40), "nat PREROUTING 1": (1, 40),
         "mangle INPUT 1": (1, 40), "filter INPUT 1": (1, 40), "security INPUT 1": (1, 40),
         "nat INPUT 1": (1, 40),
         "raw OUTPUT 1": (1, 44), "mangle OUTPUT 1": (1, 44), "nat OUTPUT 1": (0, 0),
         "filter OUTPUT 1": (1, 44), "security OUTPUT 1": (1, 44),
         "mangle POSTROUTING 1": (1, 44), "nat POSTROUTING 1": (0, 0),
         "mangle FORWARD 1": (0, 0), "filter FORWARD 1": (0, 0), "security FORWARD 1": (0, 0),
     },
     description="A SYN to a listener and its SYN-ACK counted in every chain of every table; nat sees "
                 "only the connection's first packet (the SYN-ACK is a reply).")

case(name="hook_order_forward", topology="router", sysctls=FWD,
     packets=["tcp 10.0.0.2:40000 > 192.168.1.2:80 [S]"],
     ruleset=ruleset(**count_everywhere()),
     expect_replies=(), expect_forwarded=("tcp 10.0.0.2:40000 > 192.168.1.2:80 [S] ttl=63",),
     expect_counters={
         "raw PREROUTING 1": (1, 40), "mangle PREROUTING 1": (1, 40), "nat PREROUTING 1": (1, 40),
         "mangle FORWARD 1": (1, 40), "filter FORWARD 1": (1, 40), "security FORWARD 1": (1, 40),
         "mangle POSTROUTING 1": (1, 40), "nat POSTROUTING 1": (1, 40),
         "mangle INPUT 1": (0, 0), "filter INPUT 1": (0, 0), "nat INPUT 1": (0, 0),
         "raw OUTPUT 1": (0, 0), "filter OUTPUT 1": (0, 0),
     },
     description="A forwarded SYN: PREROUTING, FORWARD, POSTROUTING in every table; nothing local.")

case(name="hook_order_by_marks", listeners=[("tcp", "10.0.0.1", 80)], packets=[SYN],
     ruleset=ruleset(
         raw=["-A PREROUTING -m mark --mark 0x1"],
         mangle=["-A PREROUTING -m mark --mark 0x1", "-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff",
                 "-A INPUT -m mark --mark 0x1", "-A INPUT -j MARK --set-xmark 0x2/0xffffffff"],
         nat=["-A INPUT -m mark --mark 0x3"],
         filter=["-A INPUT -m mark --mark 0x1", "-A INPUT -m mark --mark 0x2",
                 "-A INPUT -j MARK --set-xmark 0x3/0xffffffff", CT_ON],
         security=["-A INPUT -m mark --mark 0x3"]),
     expect_replies=(SYNACK_80,),
     expect_counters={"raw PREROUTING 1": (0, 0), "mangle PREROUTING 1": (0, 0),
                      "mangle INPUT 1": (1, 40), "filter INPUT 1": (0, 0), "filter INPUT 2": (1, 40),
                      "security INPUT 1": (1, 40), "nat INPUT 1": (1, 40)},
     description="Order proved by marks: raw < mangle(PRE) < mangle(IN) < filter < security < nat(IN).")

case(name="nat_chains_need_conntrack", listeners=[("tcp", "10.0.0.1", 80)], packets=[SYN],
     ruleset=ruleset(**count_everywhere(conntrack=False)),
     expect_replies=(SYNACK_80,),
     expect_counters={"raw PREROUTING 1": (1, 40), "filter INPUT 1": (1, 40), "filter OUTPUT 1": (1, 44),
                      "nat PREROUTING 1": (0, 0), "nat INPUT 1": (0, 0), "nat PREROUTING policy": (0, 0)},
     description="Surprise: with no rule that needs conntrack (no NAT target, no state match), "
                 "conntrack is off in the namespace and the nat chains are never traversed: even "
                 "their policy counters stay 0 while every other table counts the SYN.")

# -- user chains -------------------------------------------------------------------------------------

case(name="user_chains_return_and_goto",
     packets=[f"tcp 10.0.0.2:4000{i} > 10.0.0.1:{port} [S]" for i, port in enumerate((80, 81, 82, 83, 84))],
     ruleset=ruleset(filter=[
         "-A INPUT -p tcp -m tcp --dport 80:81 -j CALLED",
         "-A INPUT -p tcp -m tcp --dport 80:81",
         "-A INPUT -p tcp -m tcp --dport 82:83 -g GONE",
         "-A INPUT -p tcp -m tcp --dport 82:83",
         "-A INPUT -p tcp -m tcp --dport 84 -j EMPTY",
         "-A INPUT -p tcp -m tcp --dport 84",
         "-A CALLED -p tcp -m tcp --dport 81 -j RETURN",
         "-A CALLED -j ACCEPT",
         "-A GONE -p tcp -m tcp --dport 83 -j RETURN",
         "-A GONE -j ACCEPT",
         "-A EMPTY -p tcp",
         "-A OUTPUT"]),
     expect_replies=tuple(f"tcp 10.0.0.1:{port} > 10.0.0.2:4000{i} [R.]"
                          for i, port in enumerate((80, 81, 82, 83, 84))),
     expect_counters={"filter INPUT 1": (2, 80), "filter INPUT 2": (1, 40), "filter INPUT 3": (2, 80),
                      "filter INPUT 4": (0, 0), "filter INPUT 5": (1, 40), "filter INPUT 6": (1, 40),
                      "filter CALLED 1": (1, 40), "filter CALLED 2": (1, 40),
                      "filter GONE 1": (1, 40), "filter GONE 2": (1, 40), "filter EMPTY 1": (1, 40),
                      "filter INPUT policy": (3, 120), "filter OUTPUT 1": (5, 200)},
     description="-j returns to the next rule; RETURN from a -g chain returns to the caller's caller "
                 "(here: INPUT's policy); falling off a user chain is a RETURN.")

# -- REJECT --------------------------------------------------------------------------------------

_REJECT_NAMES = {
    "icmp-net-unreachable": "network-unreachable",
    "icmp-host-unreachable": "host-unreachable",
    "icmp-port-unreachable": "port-unreachable",
    "icmp-proto-unreachable": "protocol-unreachable",
    "icmp-net-prohibited": "network-prohibited",
    "icmp-host-prohibited": "host-prohibited",
    "icmp-admin-prohibited": "communication-prohibited",
}
for _with, _name in _REJECT_NAMES.items():
    case(name=f"reject_{_with.replace('-', '_')}", listeners=[("udp", "0.0.0.0", 9)],
         packets=["udp 10.0.0.2:5353 > 10.0.0.1:9 len=12"],
         ruleset=ruleset(filter=[f"-A INPUT -p udp -m udp --dport 9 -j REJECT --reject-with {_with}",
                                 "-A OUTPUT"]),
         expect_replies=(f"icmp 10.0.0.1 > 10.0.0.2 {_name} {{udp 10.0.0.2:5353 > 10.0.0.1:9 len=12}}",),
         expect_delivered=(),
         expect_counters={"filter INPUT 1": (1, 40), "filter OUTPUT 1": (1, 68)},
         description=f"REJECT --reject-with {_with}: the ICMP error goes through OUTPUT (68 bytes).")

case(name="reject_tcp_reset", listeners=[("tcp", "10.0.0.1", 80)], packets=[SYN],
     ruleset=ruleset(filter=["-A INPUT -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset", "-A OUTPUT"]),
     expect_replies=("tcp 10.0.0.1:80 > 10.0.0.2:40000 [R.]",),
     expect_counters={"filter INPUT 1": (1, 40), "filter OUTPUT 1": (1, 40)},
     description="REJECT --reject-with tcp-reset: RST+ACK even though a listener exists.")

case(name="reject_default_is_port_unreachable", packets=[SYN],
     ruleset=ruleset(filter=["-A INPUT -p tcp -j REJECT", "-A OUTPUT"]),
     expect_replies=("icmp 10.0.0.1 > 10.0.0.2 port-unreachable {tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]}",),
     expect_counters={"filter INPUT 1": (1, 40), "filter OUTPUT 1": (1, 68)},
     description="Plain REJECT of TCP answers ICMP port unreachable, not a RST.")

case(name="reject_in_forward", topology="router", sysctls=FWD,
     packets=["tcp 10.0.0.2:40000 > 192.168.1.2:80 [S]", "udp 10.0.0.2:5353 > 192.168.1.2:53 len=4"],
     ruleset=ruleset(filter=["-A FORWARD -p tcp -j REJECT --reject-with tcp-reset",
                             "-A FORWARD -p udp -j REJECT --reject-with icmp-host-prohibited",
                             "-A OUTPUT"]),
     expect_replies=("tcp 192.168.1.2:80 > 10.0.0.2:40000 [R.]",
                     "icmp 10.0.0.1 > 10.0.0.2 host-prohibited {udp 10.0.0.2:5353 > 192.168.1.2:53 len=4 ttl=63}"),
     expect_forwarded=(),
     expect_counters={"filter FORWARD 1": (1, 40), "filter FORWARD 2": (1, 32), "filter OUTPUT 1": (2, 100)},
     description="REJECT in FORWARD: the RST claims to come from the destination; the ICMP error "
                 "from h's address on the incoming side, quoting the packet with its TTL already "
                 "decremented (ip_forward decrements before the FORWARD hook). Both go through OUTPUT.")

# -- conntrack states ----------------------------------------------------------------------------

_STATES = ["NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED"]


def _state_rules(chain: str) -> list[str]:
    return [f"-A {chain} -m conntrack --ctstate {state}" for state in _STATES]


case(name="ct_new_established_related_local", listeners=[("tcp", "10.0.0.1", 80)],
     packets=[SYN, ACK,
              "icmp 10.0.0.2 > 10.0.0.1 port-unreachable {tcp 10.0.0.1:80 > 10.0.0.2:40000 [S.]}"],
     ruleset=ruleset(filter=_state_rules("INPUT") + _state_rules("OUTPUT")),
     expect_replies=(SYNACK_80,), expect_delivered=("tcp 10.0.0.2:40000 > 10.0.0.1:80 accepted",),
     expect_counters={"filter INPUT 1": (1, 40), "filter INPUT 2": (1, 40), "filter INPUT 3": (1, 68),
                      "filter INPUT 4": (0, 0), "filter OUTPUT 2": (1, 44), "filter OUTPUT 1": (0, 0)},
     description="SYN is NEW, the handshake ACK ESTABLISHED, the SYN-ACK (a reply) ESTABLISHED, an "
                 "ICMP error quoting the SYN-ACK RELATED.")

case(name="ct_state_of_stack_replies",
     listeners=[("tcp", "10.0.0.1", 80)],
     packets=[SYN,
              "tcp 10.0.0.2:40001 > 10.0.0.1:81 [S]",
              "udp 10.0.0.2:5353 > 10.0.0.1:54",
              "tcp 10.0.0.2:40002 > 10.0.0.1:82 [S]",
              "udp 10.0.0.2:5353 > 10.0.0.1:55",
              "icmp 10.0.0.2 > 10.0.0.1 echo-request"],
     ruleset=ruleset(filter=["-A INPUT -p tcp -m tcp --dport 82 -j REJECT --reject-with tcp-reset",
                             "-A INPUT -p udp -m udp --dport 55 -j REJECT"] + _state_rules("OUTPUT")),
     expect_replies=(SYNACK_80, "tcp 10.0.0.1:81 > 10.0.0.2:40001 [R.]",
                     "icmp 10.0.0.1 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 10.0.0.1:54}",
                     "tcp 10.0.0.1:82 > 10.0.0.2:40002 [R.]",
                     "icmp 10.0.0.1 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 10.0.0.1:55}",
                     "icmp 10.0.0.1 > 10.0.0.2 echo-reply"),
     description="Conntrack state, in OUTPUT, of each packet the host itself answers with: SYN-ACK, "
                 "stack RST, stack ICMP error, REJECT's RST, REJECT's ICMP, echo reply.")

case(name="ct_bare_ack_is_new_with_loose",
     packets=["tcp 10.0.0.2:40005 > 10.0.0.1:80 [.] seq=1000 ack=2000"],
     ruleset=ruleset(filter=_state_rules("INPUT") + _state_rules("OUTPUT")),
     expect_replies=("tcp 10.0.0.1:80 > 10.0.0.2:40005 [R]",),
     expect_counters={"filter INPUT 1": (1, 40), "filter INPUT 4": (0, 0)},
     description="A bare ACK with no connection is NEW, not INVALID, while nf_conntrack_tcp_loose=1 "
                 "(the default): conntrack picks up the connection mid-stream. The stack answers RST.")

case(name="ct_bare_ack_invalid_without_loose", sysctls={"net.netfilter.nf_conntrack_tcp_loose": 0},
     packets=["tcp 10.0.0.2:40005 > 10.0.0.1:80 [.] seq=1000 ack=2000"],
     ruleset=ruleset(filter=_state_rules("INPUT") + _state_rules("OUTPUT")),
     expect_replies=("tcp 10.0.0.1:80 > 10.0.0.2:40005 [R]",),
     expect_counters={"filter INPUT 1": (0, 0), "filter INPUT 4": (1, 40)},
     description="With nf_conntrack_tcp_loose=0 the same bare ACK is INVALID.")

case(name="ct_invalid_synack_fin_rst",
     packets=["tcp 10.0.0.2:40006 > 10.0.0.1:80 [S.] seq=1000 ack=2000",
              "tcp 10.0.0.2:40007 > 10.0.0.1:80 [F.] seq=1000 ack=2000",
              "tcp 10.0.0.2:40008 > 10.0.0.1:80 [R] seq=1000"],
     ruleset=ruleset(filter=_state_rules("INPUT") + ["-A INPUT -m conntrack --ctstate INVALID -j DROP"]),
     expect_replies=(),
     expect_counters={"filter INPUT 1": (0, 0), "filter INPUT 4": (3, 120), "filter INPUT 6": (3, 120)},
     description="SYN-ACK, FIN and RST that open nothing are INVALID (dropped here, so no RST back).")

case(name="ct_notrack_untracked", listeners=[("udp", "0.0.0.0", 53)],
     packets=["udp 10.0.0.2:5353 > 10.0.0.1:53 len=8"],
     ruleset=ruleset(raw=["-A PREROUTING -p udp -j CT --notrack"], filter=_state_rules("INPUT")),
     expect_delivered=("udp 10.0.0.2:5353 > 10.0.0.1:53 len=8",),
     expect_counters={"raw PREROUTING 1": (1, 36), "filter INPUT 5": (1, 36), "filter INPUT 1": (0, 0)},
     description="raw NOTRACK (iptables-save prints it as -j CT --notrack): state UNTRACKED.")

case(name="ct_related_icmp_forward", topology="router", sysctls=FWD,
     packets=["udp 10.0.0.2:5353 > 192.168.1.2:53 len=4",
              "icmp 192.168.1.2 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 192.168.1.2:53 len=4 ttl=63}"
              " iface=eth1"],
     ruleset=ruleset(filter=_state_rules("FORWARD")),
     expect_forwarded=("udp 10.0.0.2:5353 > 192.168.1.2:53 len=4 ttl=63",),
     expect_replies=("icmp 192.168.1.2 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 192.168.1.2:53 len=4 ttl=63}"
                     " ttl=63",),
     expect_counters={"filter FORWARD 1": (1, 32), "filter FORWARD 3": (1, 60)},
     description="An ICMP error from r about s's datagram is RELATED when h forwards it back.")

# -- NAT (router) ----------------------------------------------------------------------------------

case(name="dnat_first_packet_only_and_unnat", topology="router", sysctls=FWD,
     packets=["tcp 10.0.0.2:40000 > 10.0.0.1:8080 [S]",
              "tcp 192.168.1.2:80 > 10.0.0.2:40000 [S.] seq=5000 ack=1 iface=eth1",
              "tcp 10.0.0.2:40000 > 10.0.0.1:8080 [.]"],
     ruleset=ruleset(nat=["-A PREROUTING -d 10.0.0.1/32 -p tcp -m tcp --dport 8080"
                          " -j DNAT --to-destination 192.168.1.2:80",
                          "-A PREROUTING", "-A POSTROUTING"],
                     filter=["-A FORWARD", "-A INPUT"]),
     expect_forwarded=("tcp 10.0.0.2:40000 > 192.168.1.2:80 [S] ttl=63",
                       "tcp 10.0.0.2:40000 > 192.168.1.2:80 [.] ttl=63"),
     expect_replies=("tcp 10.0.0.1:8080 > 10.0.0.2:40000 [S.] ttl=63",),
     expect_counters={"nat PREROUTING 1": (1, 40), "nat PREROUTING 2": (0, 0), "nat POSTROUTING 1": (1, 40),
                      "filter FORWARD 1": (3, 120), "filter INPUT 1": (0, 0)},
     description="DNAT is consulted for the first packet only; the reply is un-DNATed on its way back.")

case(name="snat_first_packet_only_and_unnat", topology="router", sysctls=FWD,
     packets=["tcp 10.0.0.2:40000 > 192.168.1.2:80 [S]",
              "tcp 192.168.1.2:80 > 192.168.1.1:40000 [S.] seq=5000 ack=1 iface=eth1",
              "tcp 10.0.0.2:40000 > 192.168.1.2:80 [.]"],
     ruleset=ruleset(nat=["-A POSTROUTING -o eth1 -j SNAT --to-source 192.168.1.1"], filter=["-A FORWARD"]),
     expect_forwarded=("tcp 192.168.1.1:40000 > 192.168.1.2:80 [S] ttl=63",
                       "tcp 192.168.1.1:40000 > 192.168.1.2:80 [.] ttl=63"),
     expect_replies=("tcp 192.168.1.2:80 > 10.0.0.2:40000 [S.] ttl=63",),
     expect_counters={"nat POSTROUTING 1": (1, 40), "filter FORWARD 1": (3, 120)},
     description="SNAT on the first packet only; the SYN-ACK to 192.168.1.1 is un-SNATed to s.")

case(name="masquerade_first_packet_only_and_unnat", topology="router", sysctls=FWD,
     packets=["udp 10.0.0.2:5353 > 192.168.1.2:53 len=10",
              "udp 10.0.0.2:5353 > 192.168.1.2:53 len=10",
              "udp 192.168.1.2:53 > 192.168.1.1:5353 len=20 iface=eth1"],
     ruleset=ruleset(nat=["-A POSTROUTING -o eth1 -j MASQUERADE"]),
     expect_forwarded=("udp 192.168.1.1:5353 > 192.168.1.2:53 len=10 ttl=63",) * 2,
     expect_replies=("udp 192.168.1.2:53 > 10.0.0.2:5353 len=20 ttl=63",),
     expect_counters={"nat POSTROUTING 1": (1, 38)},
     description="MASQUERADE: the outgoing interface's address, first packet only, reply un-NATed.")

case(name="redirect_to_local_listener", listeners=[("tcp", "10.0.0.1", 80)],
     packets=["tcp 10.0.0.2:40000 > 10.0.0.1:8080 [S]", "tcp 10.0.0.2:40000 > 10.0.0.1:8080 [.]"],
     ruleset=ruleset(nat=["-A PREROUTING -p tcp -m tcp --dport 8080 -j REDIRECT --to-ports 80"],
                     filter=["-A INPUT -p tcp -m tcp --dport 80", "-A INPUT -p tcp -m tcp --dport 8080"]),
     expect_replies=("tcp 10.0.0.1:8080 > 10.0.0.2:40000 [S.]",),
     expect_delivered=("tcp 10.0.0.2:40000 > 10.0.0.1:80 accepted",),
     expect_counters={"nat PREROUTING 1": (1, 40), "filter INPUT 1": (2, 80), "filter INPUT 2": (0, 0)},
     description="REDIRECT to a local port: INPUT sees the rewritten port; the SYN-ACK is un-NATed.")

# -- forwarding, rp_filter, TTL ------------------------------------------------------------------

case(name="ip_forward_off", topology="router",
     packets=["tcp 10.0.0.2:40000 > 192.168.1.2:80 [S]", "tcp 10.0.0.2:40001 > 192.168.1.1:81 [S]"],
     ruleset=ruleset(**count_everywhere()),
     expect_forwarded=(), expect_replies=("tcp 192.168.1.1:81 > 10.0.0.2:40001 [R.]",),
     expect_counters={"raw PREROUTING 1": (2, 80), "mangle PREROUTING 1": (2, 80), "nat PREROUTING 1": (2, 80),
                      "mangle FORWARD 1": (0, 0), "filter FORWARD 1": (0, 0), "filter INPUT 1": (1, 40),
                      "filter OUTPUT 1": (1, 40)},
     description="ip_forward=0: a packet for a non-local address passes PREROUTING and is silently "
                 "dropped by routing (no ICMP); h's eth1 address is still local when reached via eth0.")

case(name="ip_forward_on_echo", topology="router", sysctls=FWD,
     packets=["icmp 10.0.0.2 > 192.168.1.2 echo-request",
              "icmp 10.0.0.2 > 192.168.1.2 echo-request ttl=2"],
     ruleset=ruleset(filter=["-A FORWARD"]),
     expect_forwarded=("icmp 10.0.0.2 > 192.168.1.2 echo-request ttl=63",
                       "icmp 10.0.0.2 > 192.168.1.2 echo-request ttl=1"),
     expect_replies=(),
     expect_counters={"filter FORWARD 1": (2, 56)},
     description="ip_forward=1: forwarded with TTL-1.")

case(name="ttl_expiry_in_forward", topology="router", sysctls=FWD,
     packets=["icmp 10.0.0.2 > 192.168.1.2 echo-request ttl=1", "icmp 10.0.0.2 > 10.0.0.1 echo-request ttl=1"],
     ruleset=ruleset(mangle=["-A PREROUTING", "-A FORWARD"], filter=["-A FORWARD", "-A OUTPUT"]),
     expect_forwarded=(),
     expect_replies=("icmp 10.0.0.1 > 10.0.0.2 ttl-zero-during-transit"
                     " {icmp 10.0.0.2 > 192.168.1.2 echo-request ttl=1}",
                     "icmp 10.0.0.1 > 10.0.0.2 echo-reply"),
     expect_counters={"mangle PREROUTING 1": (2, 56), "mangle FORWARD 1": (0, 0), "filter FORWARD 1": (0, 0),
                      "filter OUTPUT 1": (2, 84)},
     description="TTL 1 to be forwarded: time exceeded from h, before the FORWARD hook; TTL 1 to h "
                 "itself is fine.")

for _rp, _spoofed_ok, _unroutable_ok in ((0, True, True), (1, False, False), (2, True, False)):
    case(name=f"rp_filter_{_rp}", topology="router", sysctls={"net.ipv4.conf.all.rp_filter": _rp},
         listeners=[("udp", "0.0.0.0", 53)],
         packets=["udp 10.0.0.2:5353 > 10.0.0.1:53 len=1",
                  "udp 192.168.1.50:5353 > 10.0.0.1:53 len=2",
                  "udp 203.0.113.9:5353 > 10.0.0.1:53 len=3"],
         ruleset=ruleset(raw=["-A PREROUTING"], filter=["-A INPUT"]),
         expect_delivered=tuple(text for text, ok in (
             ("udp 10.0.0.2:5353 > 10.0.0.1:53 len=1", True),
             ("udp 192.168.1.50:5353 > 10.0.0.1:53 len=2", _spoofed_ok),
             ("udp 203.0.113.9:5353 > 10.0.0.1:53 len=3", _unroutable_ok)) if ok),
         expect_counters={"raw PREROUTING 1": (3, 90),
                          "filter INPUT 1": (1 + _spoofed_ok + _unroutable_ok,
                                             29 + 30 * _spoofed_ok + 31 * _unroutable_ok)},
         description=f"rp_filter={_rp} (all): a source that routes back via eth1 and one with no route, "
                     "arriving on eth0. Dropped after PREROUTING, before INPUT.")

case(name="rp_filter_max_of_all_and_iface", topology="router",
     sysctls={"net.ipv4.conf.all.rp_filter": 0, "net.ipv4.conf.eth0.rp_filter": 1},
     listeners=[("udp", "0.0.0.0", 53)],
     packets=["udp 192.168.1.50:5353 > 10.0.0.1:53 len=2"],
     ruleset=ruleset(raw=["-A PREROUTING"], filter=["-A INPUT"]),
     expect_delivered=(), expect_counters={"raw PREROUTING 1": (1, 30), "filter INPUT 1": (0, 0)},
     description="The effective rp_filter is max(all, interface): eth0=1 wins over all=0.")

# -- matches with state: limit, recent; other matches --------------------------------------------

case(name="limit_burst", packets=["icmp 10.0.0.2 > 10.0.0.1 echo-request"] * 4,
     ruleset=ruleset(filter=[
         "-A INPUT -p icmp -m icmp --icmp-type 8 -m limit --limit 1/min --limit-burst 2 -j ACCEPT",
         "-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP"]),
     expect_replies=("icmp 10.0.0.1 > 10.0.0.2 echo-reply",) * 2,
     expect_counters={"filter INPUT 1": (2, 56), "filter INPUT 2": (2, 56)},
     description="limit 1/min burst 2: two pass, the rest drop (the run takes milliseconds, so no "
                 "token is refilled on the real clock).")

case(name="recent_hitcount",
     packets=[f"tcp 10.0.0.2:4100{i} > 10.0.0.1:22 [S]" for i in range(4)],
     ruleset=ruleset(filter=[
         "-A INPUT -p tcp -m tcp --dport 22 -m recent --set --name ssh --mask 255.255.255.255 --rsource",
         "-A INPUT -p tcp -m tcp --dport 22 -m recent --rcheck --seconds 60 --hitcount 3 --name ssh "
         "--mask 255.255.255.255 --rsource -j DROP"]),
     expect_replies=tuple(f"tcp 10.0.0.1:22 > 10.0.0.2:4100{i} [R.]" for i in range(2)),
     expect_counters={"filter INPUT 1": (4, 160), "filter INPUT 2": (2, 80)},
     description="recent --set then --rcheck --hitcount 3 within 60 s: the 3rd and 4th SYN drop.")

case(name="typical_stateful_firewall", listeners=[("tcp", "10.0.0.1", 22)],
     packets=["tcp 10.0.0.2:40000 > 10.0.0.1:22 [S]", "tcp 10.0.0.2:40000 > 10.0.0.1:22 [.]",
              SYN, "udp 10.0.0.2:5353 > 10.0.0.1:54"],
     ruleset=ruleset(policies={"filter INPUT": "DROP"}, filter=[
         "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
         "-A INPUT -i lo -j ACCEPT",
         "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"]),
     expect_replies=("tcp 10.0.0.1:22 > 10.0.0.2:40000 [S.]",),
     expect_delivered=("tcp 10.0.0.2:40000 > 10.0.0.1:22 accepted",),
     expect_counters={"filter INPUT 1": (1, 40), "filter INPUT 3": (1, 40), "filter INPUT policy": (2, 68)},
     description="Policy DROP with ESTABLISHED accept: ssh handshake completes, port 80 and UDP silently dropped.")

case(name="matches_misc",
     packets=["tcp 10.0.0.2:40000 > 10.0.0.1:443 [S]", "udp 10.0.0.2:5353 > 10.0.0.1:53 len=4"],
     ruleset=ruleset(filter=[
         "-A INPUT -p tcp -m multiport --dports 80,443",
         "-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.5",
         "-A INPUT -m addrtype --dst-type LOCAL",
         "-A INPUT -m addrtype --dst-type UNICAST",
         "-A INPUT -m comment --comment \"just a counter\"",
         "-A INPUT -s 10.0.0.0/24 ! -d 10.0.0.1/32",
         "-A INPUT -i eth0",
         "-A INPUT ! -i eth0",
         "-A INPUT -p udp -m udp --sport 5353 --dport 53",
         "-A INPUT -p tcp -m tcp --tcp-flags SYN,ACK SYN",
         "-A INPUT -m pkttype --pkt-type unicast",
         "-A OUTPUT -o eth0",
         "-A OUTPUT -m addrtype --src-type LOCAL"]),
     expect_counters={"filter INPUT 1": (1, 40), "filter INPUT 2": (2, 72), "filter INPUT 3": (2, 72),
                      "filter INPUT 4": (0, 0), "filter INPUT 5": (2, 72), "filter INPUT 6": (0, 0),
                      "filter INPUT 7": (2, 72), "filter INPUT 8": (0, 0), "filter INPUT 9": (1, 32),
                      "filter INPUT 10": (1, 40)},
     description="Assorted matches counted on a SYN and a datagram (addrtype UNICAST does not match "
                 "a LOCAL destination; OUTPUT counts the RST and the ICMP error).")


# -- found by the randomized generator (randomized.py); the simulator disagreed when they were added --
# Each is listed in SIM_KNOWN_DIFFERENT (test_differential.py marks them xfail(strict=True) on the
# simulator side only; the real-kernel expectation is always checked).

SIM_KNOWN_DIFFERENT: dict[str, str] = {}


def known_different(made: Case, reason: str) -> Case:
    SIM_KNOWN_DIFFERENT[made.name] = reason
    return made


# The simulator disagreed when this was found (randomized.py); fixed since.
case(
    name="ct_rst_answering_syn_kills_conntrack",
    packets=["tcp 10.0.0.2:40001 > 10.0.0.1:81 [S]", "tcp 10.0.0.2:40001 > 10.0.0.1:81 [.]"],
    ruleset=ruleset(nat=["-A PREROUTING"], filter=["-A INPUT -m conntrack --ctstate NEW"]),
    expect_replies=("tcp 10.0.0.1:81 > 10.0.0.2:40001 [R.]", "tcp 10.0.0.1:81 > 10.0.0.2:40001 [R]"),
    expect_counters={"nat PREROUTING 1": (2, 80), "filter INPUT 1": (2, 80)},
    description="The kernel's RST to a SYN is the connection's only reply, so conntrack deletes the entry "
                "at once (nf_conntrack_tcp_packet: !IPS_SEEN_REPLY && th->rst -> nf_ct_kill_acct). The next "
                "packet of the same 4-tuple is NEW again and is seen by nat PREROUTING.")

# The simulator disagreed when this was found (randomized.py); fixed since.
case(
    name="ct_state_invalid_before_conntrack",
    packets=["udp 10.0.0.2:5353 > 10.0.0.1:54 len=4", "icmp 10.0.0.2 > 10.0.0.1 echo-request"],
    ruleset=ruleset(raw=["-A PREROUTING -m conntrack --ctstate INVALID", "-A PREROUTING -m state --state NEW",
                         "-A OUTPUT -m conntrack --ctstate INVALID", "-A OUTPUT -m state --state NEW"],
                    filter=["-A INPUT -m conntrack --ctstate NEW"]),
    expect_replies=("icmp 10.0.0.1 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 10.0.0.1:54 len=4}",
                    "icmp 10.0.0.1 > 10.0.0.2 echo-reply"),
    expect_counters={"raw PREROUTING 1": (2, 60), "raw PREROUTING 2": (0, 0), "filter INPUT 1": (2, 60)},
    description="raw (priority -300) runs before conntrack (-200): the skb has no ct yet, and "
                "conntrack_mt/state_mt read a missing ct as INVALID (xt_conntrack.c: ct == NULL and "
                "ctinfo != IP_CT_UNTRACKED -> XT_CONNTRACK_STATE_INVALID), in PREROUTING and OUTPUT alike.")

# The simulator disagreed when this was found (randomized.py); fixed since.
case(
    name="icmp_error_quote_is_unnatted",
    packets=["udp 10.0.0.2:5353 > 10.0.0.1:123 len=4"],
    ruleset=ruleset(nat=["-A PREROUTING -p udp -m udp --dport 123 -j REDIRECT --to-ports 80"],
                    filter=["-A INPUT -p udp -m udp --dport 80"]),
    expect_replies=("icmp 10.0.0.1 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 10.0.0.1:123 len=4}",),
    expect_counters={"nat PREROUTING 1": (1, 32), "filter INPUT 1": (1, 32)},
    description="A datagram REDIRECTed to a closed port: the ICMP error is RELATED to the NATed "
                "connection, and on its way out NAT rewrites the quoted header back to what the sender "
                "sent (nf_nat_icmp_reply_translation), so the quote shows port 123, not 80.")

# The simulator disagreed when this was found (randomized.py); fixed since.
case(
    name="ack_after_dropped_synack_gets_rst", listeners=[("tcp", "10.0.0.1", 22)],
    packets=["tcp 10.0.0.2:40000 > 10.0.0.1:22 [S]", "tcp 10.0.0.2:40000 > 10.0.0.1:22 [.]"],
    ruleset=ruleset(filter=["-A OUTPUT -p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j DROP", "-A OUTPUT"]),
    expect_replies=("tcp 10.0.0.1:22 > 10.0.0.2:40000 [R]",),
    expect_delivered=(),
    expect_counters={"filter OUTPUT 1": (1, 44), "filter OUTPUT 2": (1, 40)},
    description="The SYN-ACK is dropped in OUTPUT, so s never learns h's ISN and its ACK carries ack=0 "
                "(the handshake rule only fills numbers from a SYN-ACK that arrived). tcp_check_req finds "
                "ack != snt_isn + 1 and the listener answers with a RST (tcp_v4_send_reset); no accept().")

# The simulator disagreed when this was found (randomized.py); fixed since.
case(
    name="save_negated_port_range_from_zero",
    ruleset=ruleset(filter=["-A INPUT -p tcp -m tcp ! --dport :1023", "-A INPUT -p udp -m udp ! --sport 0:1023",
                            "-A INPUT -p tcp -m tcp --dport 0:65535"]),
    description="iptables-nft turns `! --dport 0:N` into `dport > N` and prints it back as "
                "`--dport N+1:65535` (no `!`); a full range 0:65535 is not printed at all. Text only.")

# The simulator disagreed when this was found (randomized.py); fixed since.
case(
    name="ct_ack_in_syn_sent_is_invalid_not_natted", topology="router", sysctls=FWD,
    packets=["tcp 10.0.0.2:40000 > 10.0.0.1:8080 [S]", "tcp 10.0.0.2:40000 > 10.0.0.1:8080 [.]"],
    ruleset=ruleset(nat=["-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.1.2:80"],
                    filter=["-A INPUT -m conntrack --ctstate INVALID", "-A FORWARD"]),
    expect_forwarded=("tcp 10.0.0.2:40000 > 192.168.1.2:80 [S] ttl=63",),
    expect_replies=("tcp 10.0.0.1:8080 > 10.0.0.2:40000 [R]",),
    expect_counters={"filter INPUT 1": (1, 40), "filter FORWARD 1": (1, 40)},
    description="No SYN-ACK came back from r, so the conntrack entry is still SYN_SENT; an ACK from the "
                "originator in SYN_SENT is invalid (tcp_conntracks[ORIGINAL][ACK][SYN_SENT] = sIV; "
                "nf_conntrack_tcp_packet returns -NF_ACCEPT and the skb loses its ct). Without a ct it is "
                "not DNATed: it is routed to h itself, INVALID in INPUT, and h answers with a RST.")

# The simulator disagreed when this was found (randomized.py); fixed since.
case(
    name="connmark_save_then_match_same_chain",
    packets=["udp 10.0.0.2:5353 > 10.0.0.1:54 len=4"],
    ruleset=ruleset(mangle=["-A PREROUTING -j MARK --set-xmark 0x2/0xffffffff",
                            "-A PREROUTING -j CONNMARK --save-mark",
                            "-A PREROUTING -m connmark --mark 0x2"]),
    expect_counters={"mangle PREROUTING 3": (1, 32)},
    description="CONNMARK --save-mark writes ct->mark of the (still unconfirmed) conntrack at once, so "
                "a connmark match in the very next rule sees it (connmark_tg / connmark_mt both use "
                "nf_ct_get(skb)->mark). Found on real ruleset d13.")

# The simulator disagreed when this was found (randomized.py); fixed since.
case(
    name="forward_same_interface_sends_redirect", topology="router", sysctls=FWD,
    packets=["udp 192.168.1.2:5353 > 192.168.1.2:53 len=4 iface=eth1"],
    ruleset=ruleset(filter=["-A FORWARD", "-A OUTPUT"]),
    expect_forwarded=("icmp 192.168.1.1 > 192.168.1.2 host-redirect"
                      " {udp 192.168.1.2:5353 > 192.168.1.2:53 len=4 ttl=63}",
                      "udp 192.168.1.2:5353 > 192.168.1.2:53 len=4 ttl=63"),
    expect_counters={"filter FORWARD 1": (1, 32), "filter OUTPUT 1": (1, 60)},
    description="A packet forwarded out of the interface it came in on, from an on-link source, makes h "
                "send an ICMP host redirect first (ip_route_input_slow sets IPSKB_DOREDIRECT; ip_forward "
                "calls ip_rt_send_redirect) through OUTPUT, then forwards the packet. One packet only: "
                "later redirects to the same peer are rate limited by time (ip_rt_redirect_load).")

# Found by the randomized generator (seed 777 case 0): iptables-nft puts security at priority 150.
case(
    name="security_runs_after_nat_input",
    packets=["udp 10.0.0.2:5000 > 10.0.0.1:5353 len=4"],
    ruleset=ruleset(nat=["-A INPUT -m conntrack --ctstate NEW"], security=["-A INPUT"],
                    policies={"security INPUT": "DROP"}),
    expect_replies=(),
    expect_counters={"nat INPUT 1": (1, 32), "security INPUT 1": (1, 32)},
    description="iptables-nft registers the security table's chains at priority 150 (nft list ruleset: "
                "`type filter hook input priority 150`), not NF_IP_PRI_SECURITY (50): nat INPUT (100) "
                "sees the packet before security's DROP policy ends it.")

# Found by the randomized generator (seed 777 case 163).
case(
    name="reject_rst_traverses_nat_postrouting",
    packets=["tcp 10.0.0.2:40001 > 10.0.0.1:443 [S]"],
    ruleset=ruleset(nat=["-A POSTROUTING -p tcp -m conntrack --ctstate RELATED"],
                    filter=["-A INPUT -p tcp -j REJECT --reject-with tcp-reset"]),
    expect_replies=("tcp 10.0.0.1:443 > 10.0.0.2:40001 [R.]",),
    expect_counters={"nat POSTROUTING 1": (1, 40)},
    description="REJECT's RST carries its cause's conntrack entry as RELATED; nf_nat_inet_fn() treats a "
                "RELATED packet that is not ICMP like a NEW one, and the connection has no source-NAT "
                "binding yet (nat INPUT never ran), so the nat POSTROUTING chain sees the RST.")

# Found by the randomized generator (seed 777 case 204): over lo the skb keeps its conntrack entry.
case(
    name="loopback_keeps_conntrack_in_raw",
    packets=["udp 10.0.0.2:40000 > 10.0.0.1:9 len=4"],
    ruleset=ruleset(raw=["-A PREROUTING -i lo -p icmp -m state --state RELATED"],
                    filter=["-A OUTPUT -p icmp -j REJECT --reject-with icmp-host-prohibited"]),
    expect_replies=(),
    expect_counters={"raw PREROUTING 1": (0, 0)},
    description="A REJECT in OUTPUT answers the host's own ICMP error with an ICMP error to itself, "
                "which icmp_send() refuses (no error about an error): nothing loops back.")

# Found by the randomized generator (seed 777 cases 83, 102, 133, 191, 215, 258).
case(
    name="output_reject_of_own_echo_reply_sends_nothing",
    packets=["icmp 10.0.0.2 > 10.0.0.1 echo-request"],
    ruleset=ruleset(filter=["-A OUTPUT -p icmp -j REJECT --reject-with icmp-port-unreachable"],
                    raw=["-A PREROUTING -i lo"]),
    expect_replies=(),
    expect_counters={"filter OUTPUT 1": (1, 28), "raw PREROUTING 1": (0, 0)},
    description="The echo reply goes out through the per-CPU ICMP socket, whose lock is held while it "
                "runs through OUTPUT; REJECT's icmp_send() cannot take it (icmp_xmit_lock) and sends "
                "no error: nothing comes back over lo.")

case(
    name="output_reject_of_own_rst_answers_itself_over_lo",
    packets=["tcp 10.0.0.2:40001 > 10.0.0.1:81 [S]"],
    ruleset=ruleset(filter=["-A OUTPUT -p tcp -j REJECT --reject-with icmp-port-unreachable"],
                    raw=["-A PREROUTING -i lo -p icmp"]),
    expect_replies=(),
    expect_counters={"filter OUTPUT 1": (1, 40), "raw PREROUTING 1": (1, 68)},
    description="The RST for a closed port is sent by TCP's own control socket, so REJECT in OUTPUT can "
                "answer it: the ICMP error goes to the RST's source, this host, over lo (and errors to "
                "loopback are not rate limited).")

# Found by the randomized generator (seed 777 cases 57, 200, 244).
case(
    name="icmp_error_quoting_an_echo_reply_is_related",
    packets=["icmp 10.0.0.2 > 10.0.0.1 echo-request",
             "icmp 10.0.0.2 > 10.0.0.1 port-unreachable {icmp 10.0.0.1 > 10.0.0.2 echo-reply}"],
    ruleset=ruleset(filter=["-A INPUT -m conntrack --ctstate RELATED", "-A INPUT -m conntrack --ctstate INVALID"]),
    expect_replies=("icmp 10.0.0.1 > 10.0.0.2 echo-reply",),
    expect_counters={"filter INPUT 1": (1, 56), "filter INPUT 2": (0, 0)},
    description="An error about our echo reply: conntrack inverts the quoted reply (type 0 becomes 8, "
                "nf_conntrack_proto_icmp's invmap works both ways), finds the ping's entry and marks the "
                "error RELATED.")

# Found by the randomized generator (seed 9001 cases 92, 248, 271).
STATES = ["-A OUTPUT -m state --state NEW", "-A OUTPUT -m state --state RELATED", "-A OUTPUT -m state --state INVALID"]
case(
    name="forward_path_icmp_error_carries_its_entry",
    topology="router", sysctls=FWD,
    packets=["icmp 10.0.0.2 > 192.168.1.2 echo-request ttl=1", "udp 10.0.0.2:5353 > 10.0.0.1:54 len=4"],
    ruleset=ruleset(raw=STATES, filter=STATES),
    expect_replies=("icmp 10.0.0.1 > 10.0.0.2 ttl-zero-during-transit {icmp 10.0.0.2 > 192.168.1.2 echo-request ttl=1}",
                    "icmp 10.0.0.1 > 10.0.0.2 port-unreachable {udp 10.0.0.2:5353 > 10.0.0.1:54 len=4}"),
    expect_counters={"raw OUTPUT 2": (1, 56), "raw OUTPUT 3": (1, 60), "filter OUTPUT 2": (2, 116)},
    description="icmp_send() attaches the offending packet's conntrack entry when the packet still holds "
                "one: the time-exceeded of ip_forward() is RELATED already in raw OUTPUT, though the "
                "echo's entry was never confirmed. UDP lets go of its entry before the socket lookup, so "
                "its port-unreachable is INVALID in raw and RELATED only after conntrack finds it by the quote.")

# Found by the randomized generator (seed 9001 case 248).
case(
    name="iptables_nft_negated_port_pair_is_one_test",
    packets=["tcp 10.0.0.2:40001 > 10.0.0.1:23 [S]", "tcp 10.0.0.2:40002 > 10.0.0.1:8080 [S]",
             "tcp 10.0.0.2:40001 > 10.0.0.1:8080 [S]"],
    ruleset=ruleset(filter=["-A INPUT -p tcp -m tcp ! --sport 40001 ! --dport 8080 -j DROP"]),
    expect_replies=("tcp 10.0.0.1:8080 > 10.0.0.2:40001 [R.]",),
    expect_counters={"filter INPUT 1": (2, 80)},
    description="iptables-nft 1.8.9 turns `! --sport S ! --dport D` into one 32-bit compare of both ports "
                "(`cmp neq 0x...`), so the rule matches when either port differs; iptables-legacy matches "
                "only when both do. Only the packet with both ports equal gets through (and a RST).")

# Found by the randomized generator (seed 2026 case 234).
case(
    name="dnat_to_the_same_address_sets_no_nat_bit",
    topology="router", sysctls=FWD,
    packets=["tcp 10.0.0.2:40001 > 192.168.1.2:443 [S]"],
    ruleset=ruleset(nat=["-A PREROUTING -j DNAT --to-destination 192.168.1.2"],
                    filter=["-A FORWARD -m conntrack --ctstate DNAT", "-A FORWARD -p tcp -j REJECT"]),
    expect_replies=("icmp 10.0.0.1 > 10.0.0.2 port-unreachable {tcp 10.0.0.2:40001 > 192.168.1.2:443 [S] ttl=63}",),
    expect_counters={"filter FORWARD 1": (0, 0), "filter FORWARD 2": (1, 40)},
    description="A DNAT to the address the packet already has binds the connection but changes no tuple, so "
                "nf_nat_setup_info() sets no IPS_DST_NAT: `--ctstate DNAT` does not match, and REJECT's error "
                "keeps the router's own source address instead of being rewritten as a reply of the 'DNAT'.")

# Found by the randomized generator (seed 7 case 248).
case(
    name="reject_rst_of_a_dnat_connection_is_unnatted",
    topology="router", sysctls=FWD,
    packets=["tcp 10.0.0.2:40007 > 10.0.0.1:8080 [S]"],
    ruleset=ruleset(nat=["-A PREROUTING -j DNAT --to-destination 192.168.1.2", "-A POSTROUTING"],
                    filter=["-A FORWARD -p tcp -j REJECT --reject-with tcp-reset"]),
    expect_replies=("tcp 10.0.0.1:8080 > 10.0.0.2:40007 [R.]",),
    expect_counters={"nat POSTROUTING 1": (1, 40)},
    description="REJECT's RST is built from the DNATed packet (from 192.168.1.2); the nat POSTROUTING chain "
                "gives it a null source binding, and nf_nat_packet() then applies the connection's DNAT "
                "backwards, as for any reply: the client sees the RST come from the address it called.")

# Found by the randomized generator (seed 7 case 116).
case(
    name="notrack_does_not_load_conntrack",
    listeners=[("tcp", "10.0.0.1", 80)], packets=[SYN],
    ruleset=ruleset(raw=["-A PREROUTING -p udp -j NOTRACK", "-A OUTPUT -p udp -j CT --notrack"],
                    nat=["-A PREROUTING", "-A INPUT"]),
    expect_replies=(SYNACK_80,),
    expect_counters={"nat PREROUTING 1": (0, 0), "nat INPUT 1": (0, 0)},
    description="NOTRACK and CT --notrack do not load conntrack (xt_ct_tg_check returns before "
                "nf_ct_netns_get): with no other rule needing it, the nat chains never see a packet.")

# Found by the randomized generator (seed 7 case 74).
case(
    name="reject_answer_to_an_untracked_packet_escapes_notrack",
    packets=["tcp 10.0.0.2:40001 > 10.0.0.1:81 [S]"],
    ruleset=ruleset(raw=["-A PREROUTING ! -p icmp -j NOTRACK", "-A PREROUTING -i lo", "-A OUTPUT -j CT --notrack"],
                    filter=["-A INPUT -p tcp -j REJECT --reject-with tcp-reset",
                            "-A OUTPUT -m conntrack --ctstate INVALID,RELATED"
                            " -j REJECT --reject-with icmp-port-unreachable",
                            "-A OUTPUT -m conntrack --ctstate UNTRACKED"]),
    expect_replies=(),
    expect_counters={"raw PREROUTING 2": (1, 68), "filter OUTPUT 1": (1, 40), "filter OUTPUT 2": (1, 68)},
    description="REJECT's RST about an untracked SYN inherits its conntrack reference without an entry "
                "(nf_conntrack_attach), so CT --notrack in raw OUTPUT leaves it alone and conntrack finds it "
                "INVALID; REJECTed again, it becomes an ICMP error to this host, which CT --notrack does "
                "untrack, and which comes back over lo.")

CASES_BY_NAME = {c.name: c for c in CASES}
assert len(CASES_BY_NAME) == len(CASES), "case names must be unique"
