"""Pipes and filters, files, at/atq/atrm on the simulated clock, iptables-apply, netstat/lsof/tc/ping.

Expected layouts marked "real:" were captured from net-tools netstat 2.10, lsof 4.95, iproute2 6.1 tc,
at 3.2.5 and iptables-apply 1.1 on Debian 12 (kernel 6.x), in a scratch network namespace with a
python3 process listening on 0.0.0.0:8080 and 10.0.0.1:22 (tcp) and 0.0.0.0:5353 (udp). PIDs,
inode numbers and dates differ; the column layout must not.
"""

from __future__ import annotations

import re

import pytest

from netstack_tui.commands.shell import Shell


@pytest.fixture
def sh() -> Shell:
    shell = Shell()
    for line in ("ip addr add 10.0.0.1/24 dev eth0", "listen tcp 0.0.0.0:8080 --app python3",
                 "listen tcp 10.0.0.1:22 --app python3", "listen udp 0.0.0.0:5353 --app python3"):
        assert shell.run(line).status == 0, line
    return shell


def out(sh: Shell, line: str, status: int = 0) -> str:
    result = sh.run(line)
    assert result.status == status, (line, result.status, result.output)
    return result.output


# ---- pipes and filters ----------------------------------------------------------------------------


def test_grep_and_wc_on_a_pipe(sh: Shell) -> None:
    assert out(sh, "netstat -tlnp | grep 8080").startswith("tcp        0      0 0.0.0.0:8080")
    assert out(sh, "netstat -tlnp | grep -c LISTEN") == "2"
    assert out(sh, "netstat -tlnp | grep 9999", 1) == ""
    assert out(sh, "ethtool -i eth0 | grep driver") == "driver: virtio_net"
    assert out(sh, "ss -tln | grep -v State | wc -l") == "2"
    assert out(sh, "lsof -p 101 | wc -l") == "10"  # header, cwd, rtd, txt, fds 0-2, three sockets
    assert out(sh, "ls /proc/101/fd | wc -l") == "6"


def test_grep_options(sh: Shell) -> None:
    text = "alpha\nBeta\nalphabet\ngamma"
    assert sh.run("grep -i beta", stdin=text).output == "Beta"
    assert sh.run("grep -w alpha", stdin=text).output == "alpha"
    assert sh.run("grep -E 'alpha|gamma' -c", stdin=text).output == "3"
    assert sh.run("grep 'alpha|gamma'", stdin=text).status == 1  # basic regex: | is a literal
    assert sh.run("grep 'alpha\\|gamma' -c", stdin=text).output == "3"
    assert sh.run("grep -v a", stdin=text).output == ""
    assert sh.run("grep -vi A", stdin=text).status == 1
    assert sh.run("grep -E '('", stdin=text).status == 2


def test_other_filters() -> None:
    sh = Shell()
    text = "3 c\n1 a\n10 b\n1 a"
    assert sh.run("sort -n", stdin=text).output == "1 a\n1 a\n3 c\n10 b"
    assert sh.run("sort -rn", stdin=text).output == "10 b\n3 c\n1 a\n1 a"
    assert sh.run("sort | uniq -c", stdin=text).output == "      2 1 a\n      1 10 b\n      1 3 c"
    assert sh.run("head -n 2", stdin=text).output == "3 c\n1 a"
    assert sh.run("tail -1", stdin=text).output == "1 a"
    assert sh.run("awk '{print $2}'", stdin=text).output == "c\na\nb\na"
    assert sh.run("awk '{print $2, $1}' | head -1", stdin=text).output == "c 3"
    assert sh.run("wc", stdin=text + "\n").output == "      4       8      17"
    assert "only '{print $N}'" in sh.run("awk '{sum+=$1} END {print sum}'", stdin=text).output
    lone = sh.run("grep x")
    assert lone.status == 2 and "after a pipe" in lone.output


def test_pipeline_status_and_errors() -> None:
    sh = Shell()
    assert sh.run("echo hi | grep hi").status == 0
    assert sh.run("echo hi | grep ho").status == 1
    failed = sh.run("ss -Z | wc -l")  # the failing command's message shows, nothing is piped on
    assert failed.status == 0 and failed.output.splitlines() == ["ss: '-Z' is not simulated here", "0"]
    assert sh.run("echo a | grep b || echo none").output == "none"
    assert sh.run("echo a | grep a && echo yes").output == "a\nyes"
    assert sh.run("echo a |").status == 2
    assert sh.run("echo a && ").status == 2


def test_send_keeps_its_arrow_inside_a_pipe(sh: Shell) -> None:
    result = sh.run("send tcp 10.0.0.9:40000 > 10.0.0.1:8080 [S] iface=eth0 | grep -c delivered")
    assert result.output == "1" and result.traces


def test_pipe_into_iptables_restore(sh: Shell) -> None:
    out(sh, "iptables -A INPUT -p tcp --dport 22 -j ACCEPT")
    rules = out(sh, "iptables-save").replace(":INPUT ACCEPT", ":INPUT DROP")
    assert out(sh, "iptables-save | grep -c COMMIT") == "1"
    assert sh.run("iptables-restore", stdin=rules).status == 0
    assert out(sh, "iptables -S INPUT").splitlines()[0] == "-P INPUT DROP"
    out(sh, "iptables -P INPUT ACCEPT")
    out(sh, "iptables-save > /tmp/x")
    out(sh, "iptables -F")
    assert out(sh, "cat /tmp/x | iptables-restore") == ""
    assert out(sh, "iptables -S INPUT").splitlines()[1] == "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"


def test_files_live_in_memory() -> None:
    sh = Shell()
    # Creating a file says where it went, once; a real shell says nothing, so later writes are silent.
    assert out(sh, 'echo "net.ipv4.ip_forward = 1" >> /etc/sysctl.conf') == (
        "(new file /etc/sysctl.conf is kept in this session's memory, not on disk: 'cat /etc/sysctl.conf' or "
        "'ls -l /etc/sysctl.conf')")
    assert out(sh, "echo net.ipv4.tcp_fin_timeout=15 >> /etc/sysctl.conf") == ""
    assert out(sh, "cat /etc/sysctl.conf") == "net.ipv4.ip_forward = 1\nnet.ipv4.tcp_fin_timeout=15"
    assert out(sh, "sysctl -p") == "net.ipv4.ip_forward = 1\nnet.ipv4.tcp_fin_timeout = 15"
    assert out(sh, "echo 0 > /proc/sys/net/ipv4/ip_forward") == ""
    assert out(sh, "cat /proc/sys/net/ipv4/ip_forward") == "0"
    assert out(sh, "echo gone > /dev/null") == ""
    assert "not simulated" in sh.run("echo 1 > /sys/class/net/eth0/mtu").output
    assert out(sh, "wc -l /etc/sysctl.conf") == "2 /etc/sysctl.conf"


def test_cat_file_nr_counts_open_files(sh: Shell) -> None:
    used, free, top = out(sh, "cat /proc/sys/fs/file-nr").split("\t")
    assert int(used) >= 6 and free == "0" and top == "2466170"


# ---- at / atq / atrm ------------------------------------------------------------------------------


def test_at_job_rolls_back_when_the_clock_passes() -> None:
    sh = Shell()
    # real: "warning: commands will be executed using /bin/sh" / "job 1 at Sun Nov 22 04:29:00 2026"
    queued = out(sh, 'echo "iptables -P INPUT ACCEPT" | at now + 5 minutes')
    assert queued == "warning: commands will be executed using /bin/sh\njob 1 at Thu Jan  1 00:05:00 2026"
    out(sh, "iptables -P INPUT DROP")
    assert out(sh, "atq") == "1\tThu Jan  1 00:05:00 2026 a root"  # real: "1<TAB>Sun Nov 22 04:29:00 2026 a root"
    assert out(sh, "sleep 299") == ""
    assert out(sh, "iptables -S INPUT").splitlines()[0] == "-P INPUT DROP"
    fired = sh.run("sleep 1")
    assert fired.changed and fired.output == "at job 1 ran: iptables -P INPUT ACCEPT"
    assert out(sh, "iptables -S INPUT").splitlines()[0] == "-P INPUT ACCEPT"
    assert out(sh, "atq") == ""


def test_at_job_output_and_atrm() -> None:
    sh = Shell()
    out(sh, "echo 'sysctl net.ipv4.ip_forward' | at now + 1 minute")
    out(sh, "echo 'iptables -P INPUT ACCEPT' | at now + 2 hours")
    assert out(sh, "atrm 2") == ""
    assert out(sh, "atrm 2", 1) == "Cannot find jobid 2"  # real wording and status
    assert out(sh, "atrm abc", 1) == "at: unknown jobid: abc"
    assert out(sh, "sleep 60").splitlines() == ["at job 1 ran: sysctl net.ipv4.ip_forward",
                                               "at job 1: net.ipv4.ip_forward = 0"]


def test_at_timespecs_like_the_real_at() -> None:
    sh = Shell()
    sh.host.advance(90)  # 00:01:30: jobs start at the top of their minute
    assert out(sh, "echo true | at now +5min").endswith("job 1 at Thu Jan  1 00:06:00 2026")
    assert out(sh, "echo true | at now + 1 day").endswith("job 2 at Fri Jan  2 00:01:00 2026")
    assert out(sh, "echo true | at 10:30").endswith("job 3 at Thu Jan  1 10:30:00 2026")
    # real at has no seconds: "syntax error. Last token seen: s" / "Garbled time", status 1
    assert out(sh, "echo true | at now + 30 seconds", 1) == "syntax error. Last token seen: s\nGarbled time"
    assert out(sh, "echo true | at garbage", 1) == "Garbled time"


# ---- iptables-apply -------------------------------------------------------------------------------


def _apply_setup() -> Shell:
    sh = Shell()
    out(sh, "iptables -A INPUT -p tcp --dport 22 -j ACCEPT")
    out(sh, "iptables-save > /etc/iptables.rules")
    out(sh, "iptables -F")
    out(sh, "iptables -A INPUT -s 192.0.2.1 -j DROP")
    return sh


def test_iptables_apply_rolls_back_without_an_answer() -> None:
    sh = _apply_setup()
    result = sh.run("iptables-apply -t 20 /etc/iptables.rules")
    assert result.status == 255 and sh.host.clock == 20
    assert result.output.splitlines()[:4] == [
        "Applying new iptables rules from '/etc/iptables.rules'... done.",
        "Can you establish NEW connections to the machine? (y/N) ",
        "Timeout! Something happened (or did not). Better play it safe...",
        "Reverting to old iptables rules... done.",
    ]
    assert "--confirm" in result.output.splitlines()[4]
    assert out(sh, "iptables -S INPUT").splitlines()[1] == "-A INPUT -s 192.0.2.1/32 -j DROP"


def test_iptables_apply_keeps_the_rules_when_confirmed() -> None:
    sh = _apply_setup()
    assert out(sh, "iptables-apply --confirm -w /etc/good.rules /etc/iptables.rules").splitlines() == [
        "Applying new iptables rules from '/etc/iptables.rules'... done.",
        "Can you establish NEW connections to the machine? (y/N) y",
        "Writing successfully applied rules to '/etc/good.rules'...",
        "... then my job is done. See you next time.",
    ]
    assert sh.host.clock == 0
    assert out(sh, "iptables -S INPUT").splitlines()[1] == "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"
    assert "--dport 22" in out(sh, "cat /etc/good.rules")
    sh2 = _apply_setup()
    assert out(sh2, "echo y | iptables-apply /etc/iptables.rules").endswith("See you next time.")
    assert "No affirmative response!" in out(sh2, "echo n | iptables-apply /etc/iptables.rules", 255)


def test_iptables_apply_errors() -> None:
    sh = Shell()
    assert out(sh, "iptables-apply", 2) == "Error: rulesfile not readable: /etc/network/iptables.up.rules"
    assert out(sh, "iptables-apply -t x /etc/iptables.rules", 1) == "Error: timeout must be a positive number"
    out(sh, "echo bogus > /tmp/bad.rules")
    failed = out(sh, "iptables-apply /tmp/bad.rules", 5).splitlines()
    assert failed[-3:] == ["failed.", "Error: unknown error applying new iptables rules: /tmp/bad.rules",
                           "Reverting to old iptables rules... done."]
    assert "you type y" in out(sh, "iptables-apply --help")


# ---- netstat --------------------------------------------------------------------------------------

# real (netstat -tulpn):
# Active Internet connections (only servers)
# Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    $
# tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN      24359/python3       $
# tcp        0      0 10.0.0.1:22             0.0.0.0:*               LISTEN      24359/python3       $
# udp        0      0 0.0.0.0:5353            0.0.0.0:*                           24359/python3       $


def test_netstat_servers_layout(sh: Shell) -> None:
    assert out(sh, "netstat -tulpn").splitlines() == [
        "Active Internet connections (only servers)",
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    ",
        "tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN      101/python3         ",
        "tcp        0      0 10.0.0.1:22             0.0.0.0:*               LISTEN      101/python3         ",
        "udp        0      0 0.0.0.0:5353            0.0.0.0:*                           101/python3         ",
    ]
    # real (netstat -tlp): "tcp        0      0 0.0.0.0:http-alt        0.0.0.0:*               LISTEN      ..."
    assert out(sh, "netstat -tlp").splitlines()[2].startswith("tcp        0      0 0.0.0.0:http-alt        0.0.0.0:*")


def test_netstat_connections_layout(sh: Shell) -> None:
    out(sh, "send tcp 10.0.0.9:46288 > 10.0.0.1:8080 [S] iface=eth0")
    out(sh, "send tcp 10.0.0.9:46288 > 10.0.0.1:8080 [.] iface=eth0")
    # real (netstat -tn):
    # Active Internet connections (w/o servers)
    # Proto Recv-Q Send-Q Local Address           Foreign Address         State      $
    # tcp        0      0 127.0.0.1:42426         127.0.0.1:8080          ESTABLISHED$
    assert out(sh, "netstat -tn").splitlines() == [
        "Active Internet connections (w/o servers)",
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State      ",
        "tcp        0      0 10.0.0.1:8080           10.0.0.9:46288          ESTABLISHED",
    ]
    assert out(sh, "netstat -tanp").splitlines()[0] == "Active Internet connections (servers and established)"


def test_netstat_interfaces_and_statistics(sh: Shell) -> None:
    # real (netstat -i):
    # Kernel Interface table
    # Iface             MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg
    # eth0             1500        6      0      0 0             5      0      0      0 BMRU
    # lo              65536        8      0      0 0             8      0      0      0 LRU
    assert out(sh, "netstat -i").splitlines() == [
        "Kernel Interface table",
        "Iface             MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg",
        "eth0             1500        0      0      0 0             0      0      0      0 BMRU",
        "lo              65536        0      0      0 0             0      0      0      0 LRU",
    ]
    stats = out(sh, "netstat -s").splitlines()
    assert stats[:2] == ["Ip:", "    Forwarding: 2"] and "Tcp:" in stats and stats[-1] == "MPTcpExt:"
    assert "not simulated" in out(sh, "netstat -r", 1)


# ---- lsof -----------------------------------------------------------------------------------------


def test_lsof_inet_layout(sh: Shell) -> None:
    # real (lsof -i :8080):
    # COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF NODE NAME
    # python3 24359 root    3u  IPv4 338015      0t0  TCP *:http-alt (LISTEN)
    assert out(sh, "lsof -i :8080").splitlines() == [
        "COMMAND PID USER   FD   TYPE DEVICE SIZE/OFF NODE NAME",
        "python3 101 root    3u  IPv4  40000      0t0  TCP *:http-alt (LISTEN)",
    ]
    # real (lsof -n -P -i :8080): "python3 24359 root    3u  IPv4 338015      0t0  TCP *:8080 (LISTEN)"
    assert out(sh, "lsof -n -P -i :8080").splitlines()[1].endswith("TCP *:8080 (LISTEN)")
    # real: "python3 24359 root    5u  IPv4 338017      0t0     UDP *:mdns " (trailing space)
    assert out(sh, "lsof -i udp").splitlines()[1].endswith(" UDP *:mdns ")
    assert out(sh, "lsof -i :9999", 1) == ""


def test_lsof_process_layout(sh: Shell) -> None:
    lines = out(sh, "lsof -p 101").splitlines()
    # real: "COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF    NODE NAME" (widths follow the widest cell)
    assert lines[0] == "COMMAND PID USER   FD   TYPE DEVICE SIZE/OFF   NODE NAME"
    assert lines[1] == "python3 101 root  cwd    DIR  254,1     4096      2 /"
    assert lines[-1] == "python3 101 root    5u  IPv4  40002      0t0    UDP *:mdns "
    assert "not simulated" in out(sh, "lsof", 1)


# ---- tc -------------------------------------------------------------------------------------------


def test_tc_qdisc_lifecycle() -> None:
    sh = Shell()
    sh.run("ip link add veth0 type veth peer name veth1")
    sh.run("ip link set veth0 up")
    # real (tc qdisc show on a namespace with lo and a veth pair): "qdisc noqueue 0: dev lo root refcnt 2 "
    shown = out(sh, "tc qdisc show").splitlines()
    assert shown[0] == "qdisc noqueue 0: dev lo root refcnt 2 "
    assert shown[1] == ("qdisc fq_codel 0: dev eth0 root refcnt 2 limit 10240p flows 1024 quantum 1514 target 5ms "
                        "interval 100ms memory_limit 32Mb ecn drop_batch 64 ")
    assert "qdisc noqueue 0: dev veth0 root refcnt 2 " in shown
    # real: `tc qdisc show dev eth0` leaves "dev eth0" out
    assert out(sh, "tc qdisc show dev veth0") == "qdisc noqueue 0: root refcnt 2 "
    assert out(sh, "tc qdisc add dev eth0 root fq_codel") == ""
    assert out(sh, "tc qdisc show dev eth0").startswith("qdisc fq_codel 8001: root refcnt 2 limit 10240p")
    assert out(sh, "tc qdisc add dev eth0 root fq_codel", 2) == "Error: Exclusivity flag on, cannot modify."
    assert out(sh, "tc qdisc replace dev eth0 root pfifo_fast") == ""
    # real: "qdisc pfifo_fast 8001: root refcnt 3 bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1"
    assert out(sh, "tc qdisc show dev eth0") == \
        "qdisc pfifo_fast 8002: root refcnt 2 bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1"
    assert sh.host.interfaces["eth0"].qdisc == "pfifo_fast"
    assert "qdisc pfifo_fast" in out(sh, "ip link show eth0")
    assert out(sh, "tc qdisc replace dev veth0 root pfifo") == ""
    assert out(sh, "tc qdisc show dev veth0") == "qdisc pfifo 8003: root refcnt 2 limit 1000p"  # real: limit 1000p
    assert out(sh, "tc qdisc del dev veth0 root") == ""
    assert sh.host.interfaces["veth0"].qdisc == "noqueue"
    # real wordings and statuses:
    assert out(sh, "tc qdisc del dev veth0 root", 2) == "Error: Cannot delete qdisc with handle of zero."
    assert out(sh, "tc qdisc add dev nosuch root fq_codel", 1) == 'Cannot find device "nosuch"'
    assert out(sh, "tc qdisc add dev eth0 root bogus", 2) == "Error: Specified qdisc kind is unknown."
    assert out(sh, "tc foo", 255) == 'Object "foo" is unknown, try "tc help".'
    assert "not simulated" in out(sh, "tc qdisc replace dev eth0 root cake", 1)
    assert "not simulated" in out(sh, "tc filter add dev eth0 parent 8002: matchall action drop", 1)


# ---- ping -----------------------------------------------------------------------------------------


def test_ping_self_and_remote() -> None:
    """ping over lo answers with times from the modelled stage costs; a request that leaves on the
    unsimulated wire gets no answer, and the output says why."""
    sh = Shell()
    out(sh, "ip addr add 10.0.0.1/24 dev eth0")
    lines = out(sh, "ping -c 2 10.0.0.1").splitlines()
    assert lines[0] == "PING 10.0.0.1 (10.0.0.1) 56(84) bytes of data."
    assert re.fullmatch(r"64 bytes from 10\.0\.0\.1: icmp_seq=1 ttl=64 time=0\.0\d\d ms", lines[1]), lines[1]
    assert lines[3:6] == ["", "--- 10.0.0.1 ping statistics ---",
                          "2 packets transmitted, 2 received, 0% packet loss, time 1000ms"]
    assert re.fullmatch(r"rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms", lines[6])
    assert sh.host.clock == 1
    remote = sh.run("ping -c 1 10.0.0.2")
    assert remote.status == 1 and remote.traces
    assert "1 packets transmitted, 0 received, 100% packet loss" in remote.output
    assert "nothing simulated there answers for 10.0.0.2" in remote.output
    out(sh, "iptables -A OUTPUT -d 10.0.0.9 -j DROP")
    assert "ping: sendmsg: Operation not permitted" in out(sh, "ping -c 1 10.0.0.9", 1)
    assert out(sh, "ping -c 1 8.8.8.8", 2) == "ping: connect: Network is unreachable"
    assert out(sh, "ping -c 1 example.com", 2) == "ping: example.com: Temporary failure in name resolution"
    assert "as if you pressed Ctrl-C" in out(sh, "ping 127.0.0.1")


# ---- sysctl keys the seeds set ------------------------------------------------------------------


def test_seed_sysctls_exist_with_kernel_defaults() -> None:
    sh = Shell()
    # real (sysctl -a in a fresh namespace, kernel 6.x)
    assert out(sh, "sysctl net.core.rmem_max net.core.wmem_max net.ipv4.tcp_keepalive_time").splitlines() == [
        "net.core.rmem_max = 4194304", "net.core.wmem_max = 4194304", "net.ipv4.tcp_keepalive_time = 7200"]
    assert out(sh, "sysctl -n net.ipv4.tcp_rmem") == "4096\t131072\t33554432"
    assert out(sh, "sysctl net.ipv4.conf.all.accept_source_route net.ipv4.conf.default.accept_source_route") == \
        "net.ipv4.conf.all.accept_source_route = 0\nnet.ipv4.conf.default.accept_source_route = 1"
    assert out(sh, 'sysctl -w net.ipv4.tcp_wmem="4096 65536 16777216"') == "net.ipv4.tcp_wmem = 4096 65536 16777216"
    assert out(sh, "cat /proc/sys/net/ipv4/tcp_wmem") == "4096\t65536\t16777216"
    assert out(sh, "sysctl -w net.ipv4.tcp_rmem=8192") == "net.ipv4.tcp_rmem = 8192"
    assert out(sh, "sysctl -n net.ipv4.tcp_rmem") == "8192\t131072\t33554432"
    assert out(sh, "sysctl -w fs.file-nr=1", 1) == 'sysctl: permission denied on key "fs.file-nr"'
    assert out(sh, "sysctl -w net.ipv6.conf.all.forwarding=1") == "net.ipv6.conf.all.forwarding = 1"


def test_help_lists_everything() -> None:
    text = out(Shell(), "help")
    for name in ("netstat", "lsof", "tc", "ping", "at", "atq", "atrm", "iptables-apply", "grep", "wc", "awk",
                 "send", "flood", "tcpdump"):
        assert f" {name} " in f" {text.replace(chr(10), ' ')} ", name
