"""Outputs of the real `tc` (iproute2 6.1.0, kernel 6.18) recorded in a scratch namespace on a veth
pair created with `numtxqueues 1` (so `refcnt 2`, as on the model's single-queue devices), after
the commands given. Regenerate by running the same commands in `ip netns exec`; `test_real.py`
checks them live when it can.

That kernel had sch_htb, sch_tbf, the fifos, ingress/clsact, cls_u32 and act_mirred, but no
sch_fq_codel, sch_netem, act_gact, act_police or ifb: those layouts are not recorded here.
"""

from __future__ import annotations

HTB_SETUP = (
    "tc qdisc add dev va root handle 1: htb default 10",
    "tc class add dev va parent 1: classid 1:1 htb rate 10mbit",
    "tc class add dev va parent 1:1 classid 1:10 htb rate 1mbit ceil 2mbit",
    "tc class add dev va parent 1:1 classid 1:20 htb rate 5mbit ceil 10mbit prio 1",
    "tc qdisc add dev va parent 1:10 handle 10: pfifo limit 20",
    "tc filter add dev va parent 1: protocol ip prio 1 u32 match ip dst 10.9.0.2/32 flowid 1:20",
    "tc filter add dev va parent 1: protocol ip prio 2 u32 match ip dport 80 0xffff flowid 1:10",
)
HTB_OUTPUTS = {
    "tc qdisc show dev va": (
        "qdisc htb 1: root refcnt 2 r2q 10 default 0x10 direct_packets_stat 0 direct_qlen 1000\n"
        "qdisc pfifo 10: parent 1:10 limit 20p"),
    "tc -s qdisc show dev va": (
        "qdisc htb 1: root refcnt 2 r2q 10 default 0x10 direct_packets_stat 0 direct_qlen 1000\n"
        " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n"
        " backlog 0b 0p requeues 0\n"
        "qdisc pfifo 10: parent 1:10 limit 20p\n"
        " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n"
        " backlog 0b 0p requeues 0"),
    "tc class show dev va": (
        "class htb 1:10 parent 1:1 leaf 10: prio 0 rate 1Mbit ceil 2Mbit burst 1600b cburst 1600b \n"
        "class htb 1:1 root rate 10Mbit ceil 10Mbit burst 1600b cburst 1600b \n"
        "class htb 1:20 parent 1:1 prio 1 rate 5Mbit ceil 10Mbit burst 1600b cburst 1600b "),
    "tc -s class show dev va": (
        "class htb 1:10 parent 1:1 leaf 10: prio 0 rate 1Mbit ceil 2Mbit burst 1600b cburst 1600b \n"
        " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n"
        " backlog 0b 0p requeues 0\n"
        " lended: 0 borrowed: 0 giants: 0\n"
        " tokens: 200000 ctokens: 100000\n"
        "\n"
        "class htb 1:1 root rate 10Mbit ceil 10Mbit burst 1600b cburst 1600b \n"
        " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n"
        " backlog 0b 0p requeues 0\n"
        " lended: 0 borrowed: 0 giants: 0\n"
        " tokens: 20000 ctokens: 20000\n"
        "\n"
        "class htb 1:20 parent 1:1 prio 1 rate 5Mbit ceil 10Mbit burst 1600b cburst 1600b \n"
        " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n"
        " backlog 0b 0p requeues 0\n"
        " lended: 0 borrowed: 0 giants: 0\n"
        " tokens: 40000 ctokens: 20000\n"),
    "tc filter show dev va": (
        "filter parent 1: protocol ip pref 1 u32 chain 0 \n"
        "filter parent 1: protocol ip pref 1 u32 chain 0 fh 800: ht divisor 1 \n"
        "filter parent 1: protocol ip pref 1 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 *flowid 1:20 "
        "not_in_hw \n"
        "  match 0a090002/ffffffff at 16\n"
        "filter parent 1: protocol ip pref 2 u32 chain 0 \n"
        "filter parent 1: protocol ip pref 2 u32 chain 0 fh 801: ht divisor 1 \n"
        "filter parent 1: protocol ip pref 2 u32 chain 0 fh 801::800 order 2048 key ht 801 bkt 0 *flowid 1:10 "
        "not_in_hw \n"
        "  match 00000050/0000ffff at 20"),
}

SINGLE_QDISCS = {
    # command after `tc qdisc add dev va root handle 1:` → `tc qdisc show dev va`
    "tbf rate 1mbit burst 10k limit 20k": "qdisc tbf 1: root refcnt 2 rate 1Mbit burst 10Kb lat 81.9ms ",
    "tbf rate 1mbit burst 10k latency 50ms": "qdisc tbf 1: root refcnt 2 rate 1Mbit burst 10Kb lat 50ms ",
    "pfifo": "qdisc pfifo 1: root refcnt 2 limit 1000p",
    "pfifo limit 50": "qdisc pfifo 1: root refcnt 2 limit 50p",
    "pfifo_fast": "qdisc pfifo_fast 1: root refcnt 2 bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1",
    "noqueue": "qdisc noqueue 1: root refcnt 2 ",
    "bfifo": "qdisc bfifo 1: root refcnt 2 limit 1514000b",
}

CLSACT_SETUP = (
    "tc qdisc add dev va clsact",
    "tc filter add dev va ingress protocol ip prio 1 u32 match ip src 10.0.0.0/8 match ip protocol 6 0xff "
    "action mirred egress redirect dev vb",
)
CLSACT_OUTPUTS = {
    "tc qdisc show dev va": "qdisc noqueue 0: root refcnt 2 \nqdisc clsact ffff: parent ffff:fff1 ",
    "tc filter show dev va ingress": (
        "filter protocol ip pref 1 u32 chain 0 \n"
        "filter protocol ip pref 1 u32 chain 0 fh 800: ht divisor 1 \n"
        "filter protocol ip pref 1 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 terminal flowid not_in_hw \n"
        "  match 0a000000/ff000000 at 12\n"
        "  match 00060000/00ff0000 at 8\n"
        "\taction order 1: mirred (Egress Redirect to device vb) stolen\n"
        "\tindex 1 ref 1 bind 1\n"),
    "tc filter show dev va": "",
}
INGRESS_LINE = "qdisc ingress ffff: parent ffff:fff1 ---------------- "

ERRORS = (
    # (command on a fresh pair, exit status, message)
    ("tc qdisc add dev va root tbf rate 1mbit burst 10k", 1,
     'tbf: either "limit" or "latency" is required.\n'
     "Usage: ... tbf limit BYTES burst BYTES[/BYTES] rate KBPS [ mtu BYTES[/BYTES] ]\n"
     "\t[ peakrate KBPS ] [ latency TIME ] [ overhead BYTES ] [ linklayer TYPE ]"),
    ("tc qdisc add dev va root tbf rate 1mbit burst 10k limit 10k latency 5ms", 1,
     'tbf: specifying both "limit" and "/latency" is not allowed'),
    ("tc qdisc add dev va root tbf rate xx burst 10k limit 10k", 1, 'tbf: illegal value for "rate": "xx"'),
    ("tc qdisc add dev va root pfifo limit x", 1, 'pfifo: Illegal value for "limit": "x"'),
    ("tc class add dev va parent 1: classid 1:10 htb rate 1mbit", 2, "RTNETLINK answers: No such file or directory"),
    ("tc qdisc change dev va root pfifo", 2, "Error: Qdisc not found. To create specify NLM_F_CREATE flag."),
    ("tc qdisc del dev va root", 2, "Error: Cannot delete qdisc with handle of zero."),
    ("tc qdisc del dev va ingress", 2, "Error: Cannot find specified qdisc on specified device."),
)

BURSTS = {
    # 50 UDP datagrams of 1000 bytes (1042-byte frames) sent back to back from 10.9.0.1 on va,
    # counters read at once: (dropped, sent + backlog). Sent alone depends on how long the real
    # run took, their sum does not as long as nothing leaves during the burst: at 100 kbit a frame
    # takes 83 ms, far longer than the burst (at 1 Mbit, 8.3 ms, a loaded machine lost one drop).
    "tbf": (("tc qdisc add dev va root tbf rate 100kbit burst 10k limit 20k",), 22, 28),
    "htb": (("tc qdisc add dev va root handle 1: htb default 10",
             "tc class add dev va parent 1: classid 1:10 htb rate 100kbit ceil 100kbit",
             "tc qdisc add dev va parent 1:10 handle 10: pfifo limit 20"), 28, 22),
}
"""Recorded at 1 Mbit: tbf Sent 10 pkt, backlog 18p, dropped 22; htb Sent 4, backlog 18p, dropped 28."""
