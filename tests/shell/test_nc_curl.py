"""`nc` and `curl`: connections that really happen between simulated namespaces.

Wording and exit statuses as netcat-openbsd 1.219 and curl 7.88.1 print them (checked in real
namespaces on a Debian 12 machine); "refused" versus "timed out" comes from what the packets met."""

from __future__ import annotations

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.world import World

PAIR = ["ip netns add a", "ip netns add b", "ip link add va type veth peer name vb", "ip link set va netns a",
        "ip link set vb netns b", "ip -n a addr add 10.0.0.1/24 dev va", "ip -n b addr add 10.0.0.2/24 dev vb",
        "ip -n a link set va up", "ip -n b link set vb up", "ip -n a link set lo up",
        "ip netns exec b listen tcp 0.0.0.0:80 --app nginx"]


def _pair(*extra: str) -> Shell:
    sh = Shell()
    for line in [*PAIR, *extra]:
        assert sh.run(line).status == 0, line
    return sh


def _in_a(sh: Shell, line: str, stdin: str | None = None) -> tuple[int, str]:
    result = sh.run(f"ip netns exec a {line}", stdin=stdin)
    return result.status, result.output


def test_nc_z_succeeds_on_a_listener_and_the_handshake_reaches_its_app() -> None:
    sh = _pair()
    assert _in_a(sh, "nc -zv 10.0.0.2 80") == (0, "Connection to 10.0.0.2 80 port [tcp/http] succeeded!")
    assert _in_a(sh, "nc -z 10.0.0.2 80") == (0, "")
    lines = sh.run("ip netns exec a tcpdump -nn tcp").output
    assert "Flags [S]," in lines and "Flags [S.]," in lines and "Flags [F.]," in lines
    assert "ARP, Request who-has 10.0.0.2 tell 10.0.0.1" in sh.run("ip netns exec a tcpdump -nn").output


def test_refused_by_a_closed_port_and_by_reject() -> None:
    sh = _pair("ip netns exec b iptables -A INPUT -p tcp --dport 83 -j REJECT")
    assert _in_a(sh, "nc -zv 10.0.0.2 81") == (1, "nc: connect to 10.0.0.2 port 81 (tcp) failed: Connection refused")
    assert _in_a(sh, "nc -z 10.0.0.2 81") == (1, "")
    assert _in_a(sh, "nc -zv 10.0.0.2 83") == (1, "nc: connect to 10.0.0.2 port 83 (tcp) failed: Connection refused")


def test_a_drop_times_out_after_w_seconds_and_the_clock_moves() -> None:
    sh = _pair("ip netns exec b iptables -A INPUT -p tcp --dport 80 -j DROP")
    assert _in_a(sh, "nc -zv -w 2 10.0.0.2 80") == (
        1, "nc: connect to 10.0.0.2 port 80 (tcp) timed out: Operation now in progress")
    assert sh.world.root.clock == pytest.approx(2.0)
    counters = sh.run("ip netns exec b iptables -L INPUT -v -n").output.splitlines()
    # the SYN at 0 s and its retransmission at 1 s, 60 bytes each (20 of options, as tcpdump -v shows)
    assert counters[2].split()[:3] == ["2", "120", "DROP"]
    assert _in_a(sh, "nc -zv 10.0.0.2 80") == (1, "nc: connect to 10.0.0.2 port 80 (tcp) failed: Connection timed out")
    assert sh.world.root.clock == pytest.approx(2.0 + 131.0)


def test_no_route_unanswered_arp_and_ip_forward_off() -> None:
    sh = _pair()
    assert _in_a(sh, "nc -zv 192.0.2.1 80") == (1, "nc: connect to 192.0.2.1 port 80 (tcp) failed: "
                                                   "Network is unreachable")
    assert _in_a(sh, "nc -zv 10.0.0.9 80") == (1, "nc: connect to 10.0.0.9 port 80 (tcp) failed: No route to host")
    assert _in_a(sh, "nc -zv -w 2 10.0.0.9 80")[1].endswith("timed out: Operation now in progress")
    # Behind a router with ip_forward off, the SYN dies there: nothing comes back.
    router = World.connected()
    sh = Shell(world=router)
    for line in ["ip netns add c", "ip link add vc type veth peer name vh", "ip link set vc netns c",
                 "ip -n c addr add 172.16.0.2/24 dev vc", "ip addr add 172.16.0.1/24 dev vh",
                 "ip -n c link set vc up", "ip link set vh up", "ip -n c route add default via 172.16.0.1",
                 "sysctl -w net.ipv4.ip_forward=0"]:
        assert sh.run(line).status == 0, line
    result = sh.run("ip netns exec c nc -zv -w 3 93.184.215.14 80")
    assert result.status == 1 and result.output.endswith("timed out: Operation now in progress")
    assert sh.run("sysctl -w net.ipv4.ip_forward=1").status == 0
    assert sh.run("iptables -t nat -A POSTROUTING -s 172.16.0.0/24 -o eth0 -j MASQUERADE").status == 0
    assert sh.run("ip netns exec c nc -zv -w 3 93.184.215.14 80").output == (
        "Connection to 93.184.215.14 80 port [tcp/http] succeeded!")


def test_udp_open_closed_and_data() -> None:
    sh = _pair("ip netns exec b listen udp 0.0.0.0:5000")
    assert _in_a(sh, "nc -zuv 10.0.0.2 5000") == (0, "Connection to 10.0.0.2 5000 port [udp/*] succeeded!")
    assert _in_a(sh, "nc -zuv 10.0.0.2 5001") == (1, "")  # the port unreachable fails the second write
    before = len(sh.run("ip netns exec a tcpdump -nn udp").output.splitlines())
    assert _in_a(sh, "nc -zu 10.0.0.2 5001") == (0, "")  # without -v: nothing is sent
    assert len(sh.run("ip netns exec a tcpdump -nn udp").output.splitlines()) == before
    assert _in_a(sh, "nc -u -w1 10.0.0.2 5001", stdin="hi\n") == (0, "")
    assert "10.0.0.1.32768 > 10.0.0.2.5001: UDP, length 3" in sh.run("ip netns exec a tcpdump -nn udp").output


def test_plain_nc_sends_stdin_to_the_listening_app() -> None:
    sh = _pair()
    result = sh.run("ip netns exec a nc 10.0.0.2 80", stdin="hello\n")
    assert result.status == 0
    steps = [s for t in sh.last_traces for s in t.steps]
    assert any(s.stage == "app" and s.note == "app.recv" for s in steps)
    assert "Flags [P.], seq 1:7, ack 1" in sh.run("ip netns exec a tcpdump -nn tcp").output


@pytest.mark.parametrize(("line", "message"), [
    ("nc -zv 10.0.0.2", "nc: missing port number"),
    ("nc -zv 10.0.0.2 99999", "nc: port number too large: 99999"),
    ("nc -zv 10.0.0.2 abc", "nc: port number invalid: abc"),
    ("nc -zv -w x 10.0.0.2 80", "nc: timeout invalid: x"),
    ("nc -Y 10.0.0.2 80", "nc: invalid option -- 'Y'"),
    ("nc -zv -s 10.9.9.9 10.0.0.2 80", "nc: bind failed: Cannot assign requested address"),
])
def test_nc_bad_input_is_one_line(line: str, message: str) -> None:
    status, out = _in_a(_pair(), line)
    assert status == 1 and out.splitlines()[0] == message


def test_curl_gets_the_stand_in_page_from_the_internet() -> None:
    sh = Shell(world=World.connected())
    page = sh.run("curl http://example.com/")
    assert page.status == 0 and "example.com (stand-in)" in page.output
    head = sh.run("curl -I example.com").output.splitlines()
    assert head[0] == "HTTP/1.1 200 OK" and head[1] == "Server: example.com (stand-in)"
    verbose = sh.run("curl -v http://93.184.215.14/").output
    assert "*   Trying 93.184.215.14:80...\n* Connected to 93.184.215.14 (93.184.215.14) port 80 (#0)" in verbose
    assert "> GET / HTTP/1.1\n> Host: 93.184.215.14\n> User-Agent: curl/7.88.1" in verbose
    assert "app.recv" in [s.note for t in sh.last_traces for s in t.steps]
    assert "Flags [P.]" in sh.run("ip netns exec internet tcpdump -nn tcp port 80").output


def test_curl_errors() -> None:
    sh = _pair("ip netns exec b iptables -A INPUT -p tcp --dport 82 -j DROP")
    assert _in_a(sh, "curl http://10.0.0.2:81/") == (
        7, "curl: (7) Failed to connect to 10.0.0.2 port 81 after 0 ms: Couldn't connect to server")
    assert _in_a(sh, "curl -s http://10.0.0.2:81/") == (7, "")
    assert _in_a(sh, "curl -m 2 http://10.0.0.2:82/") == (28, "curl: (28) Connection timed out after 2000 milliseconds")
    assert _in_a(sh, "curl --connect-timeout 2 http://10.0.0.2:82/") == (
        28, "curl: (28) Failed to connect to 10.0.0.2 port 82 after 2000 ms: Timeout was reached")
    assert _in_a(sh, "curl http://nosuch.example/") == (6, "curl: (6) Could not resolve host: nosuch.example")
    assert _in_a(sh, "curl http://10.0.0.2:99999/")[0] == 3
    assert _in_a(sh, "curl -m x http://10.0.0.2/")[0] == 2


def test_curl_https_connects_then_says_tls_is_not_simulated() -> None:
    sh = Shell(world=World.connected())
    result = sh.run("curl https://example.com/")
    assert result.status == 0 and "TLS is not simulated" in result.output
    refused = sh.run("curl https://93.184.215.14:8443/")
    assert refused.status == 7


def test_nc_out_of_ports_is_a_connect_failure_not_a_bind_failure() -> None:
    """Recorded with OpenBSD nc 1.219 in a namespace with a one-port range: the second connection finds
    the only port in TIME-WAIT to the same destination (less than 1 s old, so tcp_tw_reuse cannot hand
    it over); nc reports the failed connect(), and says nothing without -v."""
    sh = Shell()
    for line in ('sysctl -w net.ipv4.ip_local_port_range="40000 40000"', "listen tcp 0.0.0.0:8080 --app w"):
        assert sh.run(line).status == 0
    assert sh.run("nc -zv 127.0.0.1 8080").status == 0
    again = sh.run("nc -zv 127.0.0.1 8080")
    assert (again.status, again.output) == (
        1, "nc: connect to 127.0.0.1 port 8080 (tcp) failed: Cannot assign requested address")
    quiet = sh.run("nc -z 127.0.0.1 8080")
    assert (quiet.status, quiet.output) == (1, "")
    bind = sh.run("nc -zv -s 10.9.9.9 127.0.0.1 8080")
    assert (bind.status, bind.output) == (1, "nc: bind failed: Cannot assign requested address")
