"""`kill` closes an app's connections as tcp_close() does (FIN, or RST with unread data), and the MIB
counters (`nstat`, `netstat -s`, /proc/net/snmp, /proc/net/netstat) count where the kernel counts;
the real kernel agrees in tests/kernel/multihost/test_tcp_timers_real.py."""

from __future__ import annotations

import re

from netstack_tui.commands.shell import Shell

from .veth_pair import pair_shell as _shell


def _states(sh: Shell, ns: str) -> list[str]:
    rows = sh.run(f"ip netns exec {ns} ss -tanH").output.splitlines()
    return [" ".join(r.split()[:3]) for r in rows if r.strip() and not r.startswith("LISTEN")]


def _flags(sh: Shell, ns: str) -> list[str]:
    return re.findall(r"Flags \[([^\]]+)\]", sh.run(f"ip netns exec {ns} tcpdump -n tcp").output)


def _nstat(sh: Shell, ns: str) -> dict[str, int]:
    text = sh.run(f"ip netns exec {ns} nstat").output
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)", text, re.M)}


def test_kill_sends_fin_and_the_peers_close_ends_in_time_wait() -> None:
    """The client killed: [F.] as a journey of its own; FIN-WAIT-2 / CLOSE-WAIT with a leaking server;
    with a server that closes, its FIN takes the client to TIME-WAIT and the server's socket ends."""
    sh = _shell("ip netns exec b listen tcp 0.0.0.0:80 --app web --leak",
                "ip netns exec a connect tcp 10.0.0.2:80 --from 10.0.0.1:41000 --app cli")
    killed = sh.run("ip netns exec a kill cli")
    assert killed.output.splitlines()[1:] == ["tcp 10.0.0.1:41000 > 10.0.0.2:80 [F.]"]
    assert [t.packet.flags for t in killed.traces] == [0x11]
    assert _states(sh, "a") == ["FIN-WAIT-2 0 0"] and _states(sh, "b") == ["CLOSE-WAIT 0 0"]
    assert _flags(sh, "b") == ["S", "S.", ".", "F.", "."]

    sh = _shell("ip netns exec b listen tcp 0.0.0.0:80 --app web",
                "ip netns exec a connect tcp 10.0.0.2:80 --from 10.0.0.1:41000 --app cli",
                "ip netns exec a kill cli")
    assert _states(sh, "a") == ["TIME-WAIT 0 0"] and _states(sh, "b") == []
    assert _flags(sh, "b") == ["S", "S.", ".", "F.", ".", "F.", "."]


def test_kill_of_a_server_with_unread_data_resets() -> None:
    """Data in the receive queue at close(): [R.] instead of a FIN, the peer's connection reset. (The
    simulated apps read what arrives at once, so the unread bytes are put in the queue here.)"""
    sh = _shell("ip netns exec b listen tcp 0.0.0.0:80 --app web",
                "ip netns exec a connect tcp 10.0.0.2:80 --from 10.0.0.1:41000 --app cli")
    accepted = next(s for s in sh.world.namespaces["b"].sockets.sockets if s.state == "ESTAB")
    accepted.recv_q = 6
    sh.run("ip netns exec b kill web")
    assert _flags(sh, "b")[-1] == "R."
    assert _states(sh, "a") == [] and _states(sh, "b") == []
    counted = _nstat(sh, "b")
    assert counted["TcpExtTCPAbortOnClose"] == 1 and counted["TcpOutRsts"] == 1


def test_kill_of_a_listener_resets_what_it_never_accepted() -> None:
    sh = _shell("ip netns exec b listen tcp 0.0.0.0:80 --app web --no-accept",
                "ip netns exec a connect tcp 10.0.0.2:80 --from 10.0.0.1:41000 --app cli",
                "ip netns exec b kill web")
    assert _flags(sh, "b") == ["S", "S.", ".", "R."]
    assert _states(sh, "a") == []
    assert _nstat(sh, "a")["TcpEstabResets"] == 1


def test_counters_of_a_refused_connection() -> None:
    sh = _shell()
    assert sh.run("ip netns exec a nc -z -p 41000 10.0.0.2 81").status == 1
    assert {k: v for k, v in _nstat(sh, "a").items() if k.startswith("Tcp")} == {
        "TcpActiveOpens": 1, "TcpAttemptFails": 1, "TcpInSegs": 1, "TcpOutSegs": 1}
    assert {k: v for k, v in _nstat(sh, "b").items() if k.startswith("Tcp")} == {
        "TcpInSegs": 1, "TcpOutSegs": 1, "TcpOutRsts": 1}


def test_counters_of_retransmitted_syns_and_synacks() -> None:
    """tcp_syn_retries=1: two SYNs again, three timer firings (the last gives up); a SYN-ACK sent
    again is a new segment and a retransmission at once."""
    sh = _shell("ip netns exec a sysctl -w net.ipv4.tcp_syn_retries=1", "ip netns exec b iptables -A INPUT -j DROP")
    sh.run("ip netns exec a nc -z -p 41000 10.0.0.2 80")
    a = _nstat(sh, "a")
    assert (a["TcpRetransSegs"], a["TcpExtTCPSynRetrans"], a["TcpExtTCPTimeouts"], a["TcpOutSegs"]) == (2, 2, 3, 1)
    assert (a["TcpAttemptFails"], a["TcpExtTCPAbortOnTimeout"]) == (1, 1)
    sh = _shell("ip netns exec b sysctl -w net.ipv4.tcp_synack_retries=1",
                "ip netns exec b listen tcp 0.0.0.0:80 --app web", "ip netns exec a iptables -A INPUT -j DROP",
                "ip netns exec a send 'tcp 10.0.0.1:41000 > 10.0.0.2:80 [S]'", "sleep 4")
    b = _nstat(sh, "b")
    assert (b["TcpOutSegs"], b["TcpRetransSegs"], b["TcpExtTCPTimeouts"]) == (2, 1, 2)


def test_listen_overflow_and_syncookies_are_counted() -> None:
    sh = _shell("ip netns exec b listen tcp 0.0.0.0:80 --app web --backlog 0 --no-accept")
    for port in (41000, 41001):
        sh.run(f"ip netns exec a connect tcp 10.0.0.2:80 --from 10.0.0.1:{port} --app c{port}")
    b = _nstat(sh, "b")
    assert (b["TcpExtListenOverflows"], b["TcpExtListenDrops"], b["TcpPassiveOpens"]) == (1, 1, 1)
    sh = _shell("ip netns exec b listen tcp 0.0.0.0:80 --app web --backlog 1")
    for port in range(42000, 42004):
        sh.run(f"ip netns exec b send 'tcp 10.0.0.1:{port} > 10.0.0.2:80 [S] iface=vb'")
    assert _nstat(sh, "b")["TcpExtSyncookiesSent"] == 2  # the queue keeps backlog + 1 requests


def test_ip_counters_forwarding_address_errors_and_rp_filter() -> None:
    sh = Shell()
    for line in ["ip addr add 10.0.0.1/24 dev eth0", "send icmp 10.0.0.2 > 192.0.2.9 echo-request iface=eth0",
                 "sysctl -w net.ipv4.ip_forward=1", "ip route add 192.0.2.0/24 dev eth0",
                 "send icmp 10.0.0.2 > 192.0.2.9 echo-request iface=eth0", "sysctl -w net.ipv4.conf.all.rp_filter=1",
                 "send icmp 203.0.113.5 > 10.0.0.1 echo-request iface=eth0"]:
        assert sh.run(line).status == 0, line
    counted = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)", sh.run("nstat").output, re.M)}
    assert counted["IpInReceives"] == 3 and counted["IpInAddrErrors"] == 1 and counted["IpForwDatagrams"] == 1
    assert counted["TcpExtIPReversePathFilter"] == 1
    # Forwarded out the device it came in on: the host's only own packet is the ICMP redirect.
    assert counted["IpOutRequests"] == counted["IcmpOutRedirects"] == counted["IcmpOutMsgs"] == 1


def test_proc_files_and_netstat_s_print_the_counters() -> None:
    """/proc/net/snmp's Tcp line (with CurrEstab), the IcmpMsg line once a type is seen, and
    netstat -s's sentences, optional ones only when non-zero."""
    sh = _shell("ip netns exec b listen tcp 0.0.0.0:80 --app web",
                "ip netns exec a connect tcp 10.0.0.2:80 --from 10.0.0.1:41000 --app cli")
    snmp = sh.run("ip netns exec b cat /proc/net/snmp").output.splitlines()
    at = next(i for i, line in enumerate(snmp) if line.startswith("Tcp:"))
    tcp = dict(zip(snmp[at].split()[1:], snmp[at + 1].split()[1:], strict=True))
    assert snmp[at].startswith("Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens")
    assert (tcp["PassiveOpens"], tcp["CurrEstab"], tcp["InSegs"], tcp["OutSegs"]) == ("1", "1", "2", "1")
    assert not any(line.startswith("IcmpMsg") for line in snmp)
    sh.run("ip netns exec a ping -c 1 10.0.0.2")
    assert "IcmpMsg: InType8 OutType0" in sh.run("ip netns exec b cat /proc/net/snmp").output
    netstat = sh.run("ip netns exec b cat /proc/net/netstat").output.splitlines()
    assert [line.split(":")[0] for line in netstat] == ["TcpExt", "TcpExt", "IpExt", "IpExt", "MPTcpExt", "MPTcpExt"]
    stats = sh.run("ip netns exec b netstat -s").output.splitlines()
    assert "    1 passive connection openings" in stats and "        echo requests: 1" in stats
    assert not any("with invalid addresses" in line for line in stats)
    assert stats[stats.index("TcpExt:") + 1] == "    0 packet headers predicted"
