"""The shell's system commands answer as the real tools do.

Expected strings marked "captured" were taken from iproute2 6.1 / ss (iproute2 6.1) / procps-ng
sysctl / conntrack-tools 1.4.7 / ethtool 6.1 on kernel 6.18 in scratch network namespaces, with the
machine-specific parts (MACs, ifindexes, IPv6 lines, which the simulator leaves out) adjusted.
"""

from __future__ import annotations

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.sockets import Socket


@pytest.fixture
def sh() -> Shell:
    shell = Shell()
    assert shell.run("ip addr add 10.0.0.1/24 dev eth0").status == 0
    return shell


# (command, expected output, expected status)
CASES = [
    # captured: ip route / ip route get on a veth with 10.0.0.1/24
    ("ip route", "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1 ", 0),
    ("ip route get 10.0.0.5", "10.0.0.5 dev eth0 src 10.0.0.1 uid 0 \n    cache ", 0),
    ("ip route get 10.0.0.1", "local 10.0.0.1 dev lo src 10.0.0.1 uid 0 \n    cache <local> ", 0),
    ("ip route get 10.0.0.255", "broadcast 10.0.0.255 dev eth0 src 10.0.0.1 uid 0 \n    cache <local,brd> ", 0),
    ("ip route get 8.8.8.8", "RTNETLINK answers: Network is unreachable", 2),
    ("ip route get 10.0.0.5 mark 5", "10.0.0.5 dev eth0 src 10.0.0.1 mark 5 uid 0 \n    cache ", 0),
    ("ip route get 10.0.0.5 from 10.0.0.7 iif eth0", "RTNETLINK answers: No route to host", 2),
    ("ip route get 10.0.0.1 from 10.0.0.7 iif eth0",
     "local 10.0.0.1 from 10.0.0.7 dev lo \n    cache <local> iif eth0 ", 0),
    ("ip route show table local",
     "local 10.0.0.1 dev eth0 proto kernel scope host src 10.0.0.1 \n"
     "broadcast 10.0.0.255 dev eth0 proto kernel scope link src 10.0.0.1 \n"
     "local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1 \n"
     "local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1 \n"
     "broadcast 127.255.255.255 dev lo proto kernel scope link src 127.0.0.1 ", 0),
    ("ip route show table 8", "Error: ipv4: FIB table does not exist.\nDump terminated", 2),
    ("ip route show table foo", 'Error: argument "foo" is wrong: table id value is invalid\n', 255),
    ("ip route add 192.168.0.0/16 via 172.16.0.1", "Error: Nexthop has invalid gateway.", 2),
    ("ip route add 10.0.0.5/24 dev eth0", "Error: Invalid prefix for given prefix length.", 2),
    ("ip route add 5.5.5.0/24", "RTNETLINK answers: No such device", 2),
    ("ip route del 1.2.3.0/24", "RTNETLINK answers: No such process", 2),
    ("ip route add 1.1.1.0/24 dev nope", 'Cannot find device "nope"', 1),
    ("ip rule", "0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default", 0),
    ("ip rule del pref 70", "RTNETLINK answers: No such file or directory", 2),
    ("ip addr add 10.0.0.1/24 dev eth0", "Error: ipv4: Address already assigned.", 2),
    ("ip addr add 10.0.0.300/24 dev eth0", 'Error: any valid prefix is expected rather than "10.0.0.300/24".', 1),
    ("ip addr del 10.9.9.9/24 dev eth0", "Error: ipv4: Address not found.", 2),
    ("ip addr add 10.0.0.9/24", 'Not enough information: "dev" argument is required.', 1),
    ("ip link show dev nope", 'Device "nope" does not exist.', 1),
    ("ip link set dev eth0 mtu 70000", "Error: mtu greater than device maximum.", 2),
    ("ip link set dev eth0 mtu abc", 'Error: argument "abc" is wrong: Invalid "mtu" value\n', 255),
    ("ip link add x0 type bogus", "Error: Unknown device type.", 2),
    ("ip link add eth0 type dummy", "RTNETLINK answers: File exists", 2),
    ("ip link del lo", "RTNETLINK answers: Operation not supported", 2),
    ("ip neigh add 10.0.0.11 lladdr zz dev eth0", '"zz" is invalid lladdr.', 1),
    ("ip neigh add 10.0.0.50 dev eth0", "Error: No link layer address given.", 2),
    ("ip foo", 'Object "foo" is unknown, try "ip help".', 1),
    ("ip addr xyz", 'Command "xyz" is unknown, try "ip address help".', 255),
    ("ip -z addr", 'Option "-z" is unknown, try "ip -help".', 255),
    ("ip maddr", "ip: 'maddress' is not simulated here", 1),
    ("ip link set dev eth0 xdp obj nope.o", "Cannot initialize ELF context!", 255),
    ("ip link set dev eth0 xdp obj xdp_pass.o sec nosec", "object file doesn't contain sec nosec", 255),
    # captured: procps-ng sysctl
    ("sysctl net.ipv4.ip_forward", "net.ipv4.ip_forward = 0", 0),
    ("sysctl -n net.ipv4.ip_forward", "0", 0),
    ("sysctl -w net.ipv4.ip_forward=1", "net.ipv4.ip_forward = 1", 0),
    ("sysctl net.ipv4.ip_forward=1", "net.ipv4.ip_forward = 1", 0),
    ("sysctl net.ipv4.nope", "sysctl: cannot stat /proc/sys/net/ipv4/nope: No such file or directory", 1),
    ("sysctl -w net.ipv4.ip_forward=abc", 'sysctl: setting key "net.ipv4.ip_forward": Invalid argument', 1),
    ("sysctl -w net.ipv4.ip_forward", "sysctl: command line(0): invalid syntax, continuing...", 1),
    ("sysctl -q -w net.ipv4.ip_forward=1", "", 0),
    ("sysctl -w net.netfilter.nf_conntrack_count=5",
     'sysctl: setting key "net.netfilter.nf_conntrack_count": Invalid argument', 0),
    ("sysctl net.ipv4.ip_local_port_range", "net.ipv4.ip_local_port_range = 32768\t60999", 0),
    ("sysctl -p /nonexistent", 'sysctl: cannot open "/nonexistent": No such file or directory', 1),
    ("sysctl", "sysctl: no variables specified\nTry `sysctl --help' for more information.", 1),
    # captured: conntrack-tools 1.4.7 (the summary line goes to stderr there)
    ("conntrack -L", "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.", 0),
    ("conntrack -F", "conntrack v1.4.7 (conntrack-tools): connection tracking table has been emptied.", 0),
    ("conntrack -C", "0", 0),
    ("conntrack -S", "cpu=0   \tfound=0 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 "
                     "search_restart=0 clash_resolve=0 chaintoolong=0 ", 0),
    ("conntrack -L -p foo", "conntrack v1.4.7 (conntrack-tools): `foo' unsupported protocol\n"
                            "Try `conntrack -h' or 'conntrack --help' for more information.", 2),
    ("conntrack -X", "conntrack v1.4.7 (conntrack-tools): unknown option `-X'\n"
                     "Try `conntrack -h' or 'conntrack --help' for more information.", 2),
    # captured: ethtool 6.1
    ("ethtool -i nope", "Cannot get driver information: No such device", 71),
    ("ethtool -i lo", "Cannot get driver information: Operation not supported", 71),
    ("ethtool -Z eth0", "ethtool: '-Z' is not simulated here", 1),
    ("ethtool -G eth0 rx abc", "ethtool (-G): invalid value 'abc' for parameter 'rx'", 1),
    # bash
    ("ulimit -n", "1024", 0),
    ("ulimit -Hn", "524288", 0),
    ("ulimit -n 999999", "bash: ulimit: open files: cannot modify limit: Operation not permitted", 1),
    ("cat /proc/sys/net/ipv4/tcp_syncookies", "1", 0),
    ("cat /nope", "cat: /nope: No such file or directory", 1),
    ("echo hello  world", "hello world", 0),
]


@pytest.mark.parametrize(("line", "output", "status"), CASES)
def test_command_output(sh: Shell, line: str, output: str, status: int) -> None:
    result = sh.run(line)
    assert (result.output, result.status) == (output, status)


def test_ip_addr_and_link_layout(sh: Shell) -> None:
    # captured (iproute2 6.1): a veth with one address; MAC/ifindex are the simulator's
    assert sh.run("ip addr show dev eth0").output == (
        "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n"
        "    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n"
        "    inet 10.0.0.1/24 scope global eth0\n"
        "       valid_lft forever preferred_lft forever")
    assert sh.run("ip -br addr").output == ("lo               UNKNOWN        127.0.0.1/8 \n"
                                            "eth0             UP             10.0.0.1/24 ")
    assert sh.run("ip -s link show lo").output == (
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n"
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
        "    RX:  bytes packets errors dropped  missed   mcast           \n"
        "             0       0      0       0       0       0 \n"
        "    TX:  bytes packets errors dropped carrier collsns           \n"
        "             0       0      0       0       0       0 ")


def test_secondary_address_adds_no_second_prefix_route(sh: Shell) -> None:
    sh.run("ip addr add 10.0.0.2/24 dev eth0")
    assert "inet 10.0.0.2/24 scope global secondary eth0" in sh.run("ip addr").output
    assert sh.run("ip route").output == "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1 "


def test_link_down_removes_routes_and_up_restores_connected(sh: Shell) -> None:
    sh.run("ip route add default via 10.0.0.254")
    assert sh.run("ip route get 8.8.8.8").output == "8.8.8.8 via 10.0.0.254 dev eth0 src 10.0.0.1 uid 0 \n    cache "
    assert sh.run("ip link set dev eth0 down").changed
    assert sh.run("ip route").output == ""
    assert sh.run("ip route add 1.2.3.0/24 dev eth0").output == "Error: Device for nexthop is not up."
    sh.run("ip link set eth0 up")
    assert sh.run("ip route").output == "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1 "


def test_route_types_and_errors(sh: Shell) -> None:
    for line in ("ip route add blackhole 203.0.113.0/24", "ip route add unreachable 198.51.100.0/24 metric 5",
                 "ip route add 172.16.0.0/12 via 10.0.0.2 dev eth0 metric 100 proto static"):
        assert sh.run(line).status == 0
    assert sh.run("ip route add blackhole 203.0.113.0/24").output == "RTNETLINK answers: File exists"
    # captured: ip route
    assert sh.run("ip route").output == ("10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1 \n"
                                         "172.16.0.0/12 via 10.0.0.2 dev eth0 proto static metric 100 \n"
                                         "unreachable 198.51.100.0/24 metric 5 \n"
                                         "blackhole 203.0.113.0/24 ")
    assert sh.run("ip route get 203.0.113.1").output == "RTNETLINK answers: Invalid argument"
    assert sh.run("ip route get 198.51.100.1").output == "RTNETLINK answers: No route to host"
    assert sh.run("ip route get 172.16.5.5 from 10.0.0.1").output == (
        "172.16.5.5 from 10.0.0.1 via 10.0.0.2 dev eth0 uid 0 \n    cache ")


def test_forwarding_redirect_and_rp_filter(sh: Shell) -> None:
    sh.run("ip route add default via 10.0.0.254")
    sh.run("sysctl -w net.ipv4.ip_forward=1")
    # captured: a packet routed back out the interface it came in on gets <redirect>
    assert sh.run("ip route get 8.8.8.8 from 10.0.0.7 iif eth0").output == (
        "8.8.8.8 from 10.0.0.7 via 10.0.0.254 dev eth0 \n    cache <redirect> iif eth0 ")
    assert sh.run("ip route get 8.8.8.8 from 192.168.99.1 iif eth0").output == (
        "8.8.8.8 from 192.168.99.1 via 10.0.0.254 dev eth0 \n    cache iif eth0 ")
    sh.run("sysctl -w net.ipv4.conf.all.rp_filter=1")
    sh.run("ip route del default")
    assert sh.run("ip route get 10.0.0.1 from 192.168.99.1 iif eth0").output == "RTNETLINK answers: Invalid argument"
    sh.run("ip link add v1 type veth peer name v1p")
    sh.run("ip link set v1 up")
    sh.run("ip link set v1p up")
    sh.run("ip addr add 192.168.1.1/24 dev v1")
    result = sh.run("ip route get 192.168.1.9 from 10.0.0.7 iif v1")
    assert (result.output, result.status) == ("RTNETLINK answers: Invalid cross-device link", 2)


def test_custom_rules_show_local_table(sh: Shell) -> None:
    sh.run("ip rule add fwmark 0x1/0xff to 1.2.3.4 iif eth9 pref 50 table 100")
    sh.run("ip rule add from 1.1.1.1 blackhole")
    # captured: a rule naming a missing device is [detached]; the next priority is one below
    assert sh.run("ip rule").output == ("0:\tfrom all lookup local\n49:\tfrom 1.1.1.1 blackhole\n"
                                        "50:\tfrom all to 1.2.3.4 fwmark 0x1/0xff iif eth9 [detached] lookup 100\n"
                                        "32766:\tfrom all lookup main\n32767:\tfrom all lookup default")
    assert sh.run("ip route get 10.0.0.1").output == (
        "local 10.0.0.1 dev lo table local src 10.0.0.1 uid 0 \n    cache <local> ")


def test_xdp_modes(sh: Shell) -> None:
    assert sh.run("ip link set dev eth0 xdp obj xdp_pass.o sec xdp").status == 0
    iface = sh.host.interfaces["eth0"]
    assert iface.xdp_mode == "native"
    out = sh.run("ip link show dev eth0").output.splitlines()
    assert out[0] == ("2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 xdp qdisc fq_codel state UP "
                      "mode DEFAULT group default qlen 1000")
    assert out[2].startswith(f"    prog/xdp id {iface.xdp.prog_id} name xdp_pass tag ") and out[2].endswith(" jited ")
    assert sh.run("ip link set dev eth0 xdp obj xdp_pass.o sec xdp").output == "Error: XDP program already attached."
    assert sh.run("ip link set dev eth0 xdpgeneric obj xdp_pass.o").output == (
        "Error: Native and generic XDP can't be active at the same time.")
    sh.run("ip link set dev eth0 xdp off")
    assert iface.xdp is None
    iface.driver = "r8169"
    assert sh.run("ip link set dev eth0 xdpdrv obj xdp_drop").output == (
        "Error: Underlying driver does not support XDP in native mode.")
    sh.run("ip link set dev eth0 xdp obj xdp_drop.o")
    assert iface.xdp_mode == "generic"
    assert " xdpgeneric/id:" in sh.run("ip addr show eth0").output


def test_veth_pair_flags(sh: Shell) -> None:
    sh.run("ip link add v1 type veth peer name v1p")
    sh.run("ip link set v1 up")
    # captured: the up end of a pair whose peer is down
    assert sh.run("ip link show v1").output.splitlines()[0] == (
        "4: v1@v1p: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN "
        "mode DEFAULT group default qlen 1000")
    sh.run("ip link del v1")
    assert "v1p" not in sh.host.interfaces


def _sockets(sh: Shell) -> None:
    t = sh.host.sockets
    proc = t.spawn("python3")
    for addr, port, backlog in ((0x0A000001, 8080, 4096), (0x7F000001, 5432, 5), (0, 80, 511)):
        sock = t.bind(proc, "tcp", addr, port, reuseaddr=True)
        t.listen(sock, backlog, 4096)
    t.bind(proc, "udp", 0, 53)
    listener = t.sockets[2]
    for port in (37520, 37526, 37538):
        listener.accept_queue.append(Socket("tcp", (0x0A000001, 80), (0x0A000001, port), "ESTAB", parent=listener))


def test_ss_layouts(sh: Shell) -> None:
    _sockets(sh)
    # captured: ss -tln / -tlnp / -tuln (piped, iproute2 6.1), pids adjusted
    assert sh.run("ss -tln").output == (
        "State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n"
        "LISTEN 0      4096        10.0.0.1:8080      0.0.0.0:*          \n"
        "LISTEN 0      5          127.0.0.1:5432      0.0.0.0:*          \n"
        "LISTEN 3      511          0.0.0.0:80        0.0.0.0:*          ")
    assert sh.run("ss -tlnp").output == (
        "State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess                          \n"
        "LISTEN 0      4096        10.0.0.1:8080      0.0.0.0:*    users:((\"python3\",pid=101,fd=3))\n"
        "LISTEN 0      5          127.0.0.1:5432      0.0.0.0:*    users:((\"python3\",pid=101,fd=4))\n"
        "LISTEN 3      511          0.0.0.0:80        0.0.0.0:*    users:((\"python3\",pid=101,fd=5))")
    assert sh.run("ss -tuln").output == (
        "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n"
        "udp   UNCONN 0      0            0.0.0.0:53        0.0.0.0:*          \n"
        "tcp   LISTEN 0      4096        10.0.0.1:8080      0.0.0.0:*          \n"
        "tcp   LISTEN 0      5          127.0.0.1:5432      0.0.0.0:*          \n"
        "tcp   LISTEN 3      511          0.0.0.0:80        0.0.0.0:*          ")
    assert sh.run("ss -tn state listening").output == (
        "Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n"
        "0      4096        10.0.0.1:8080      0.0.0.0:*          \n"
        "0      5          127.0.0.1:5432      0.0.0.0:*          \n"
        "3      511          0.0.0.0:80        0.0.0.0:*          ")
    assert sh.run("ss -tn state established").output.splitlines()[1] == (
        "0      0           10.0.0.1:80       10.0.0.1:37520       ")
    assert "10.0.0.1:http-alt " in sh.run("ss -ta").output.splitlines()[1]
    assert sh.run("ss -tan state time-wait").output == "Recv-Q Send-Q Local Address:Port Peer Address:PortProcess"
    assert sh.run("ss -x").status == 1


def test_ulimit_is_inherited_and_limits_file(sh: Shell) -> None:
    sh.run("ulimit -n 65535")
    proc = sh.host.sockets.spawn("nginx")
    assert proc.nofile == 65535
    assert sh.run(f"cat /proc/{proc.pid}/limits").output.splitlines()[1] == (
        "Max open files            65535                524288               files     ")
    assert sh.run(f"ls /proc/{proc.pid}/fd").output == "0  1  2"


def test_proc_sys_write_and_count(sh: Shell) -> None:
    assert sh.run("echo 1 > /proc/sys/net/ipv4/ip_forward").status == 0
    assert sh.run("cat /proc/sys/net/ipv4/ip_forward").output == "1"
    assert sh.run("sysctl -n net.netfilter.nf_conntrack_count").output == "0"


def test_sysctl_load_file(sh: Shell, tmp_path) -> None:
    conf = tmp_path / "s.conf"
    conf.write_text("# c\nnet.ipv4.ip_forward = 1\n; x\n\nnet.ipv4.bogus = 3\nnet.core.somaxconn=1024\nbadline\n")
    result = sh.run(f"sysctl -p {conf}")
    # captured (procps-ng, lines in file order)
    assert result.output.splitlines() == [
        "net.ipv4.ip_forward = 1", "sysctl: cannot stat /proc/sys/net/ipv4/bogus: No such file or directory",
        "net.core.somaxconn = 1024", f"sysctl: {conf}(7): invalid syntax, continuing..."]
    assert result.status == 1


def test_ethtool_rings(sh: Shell) -> None:
    assert sh.run("ethtool -G eth0 rx 128").status == 0
    assert sh.host.interfaces["eth0"].rx_ring == 128
    lines = sh.run("ethtool -g eth0").output.splitlines()
    assert lines[:3] == ["Ring parameters for eth0:", "Pre-set maximums:", "RX:\t\t256"]
    assert lines[7] == "RX:\t\t128"


def test_dmesg_and_help(sh: Shell) -> None:
    sh.host.clock = 12.5
    sh.host.log("nf_conntrack: table full, dropping packet")
    assert sh.run("dmesg").output == "[   12.500000] nf_conntrack: table full, dropping packet"
    text = sh.run("help").output
    assert "sysctl" in text and "send" in text and "conntrack" in text
