"""Packets to broadcast destinations against the real kernel (issue 15, item 4).

A SYN or an echo request to the subnet's broadcast address is never answered from that address
(tcp_v4_conn_request refuses it, no RST is sent, the echo reply comes from the interface's own
address); 255.255.255.255 is delivered locally as broadcast, through INPUT, to wildcard UDP
sockets, and echo requests to it are ignored under icmp_echo_ignore_broadcasts. Each Case runs in
real namespaces and in the simulator; counters, replies and deliveries must agree. Needs root.
"""

from __future__ import annotations

import pytest

from tests.kernel import netns, simside
from tests.kernel.case import Case
from tests.kernel.observe import diff

pytestmark = pytest.mark.netns

COUNT_INPUT = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp\n-A INPUT -p udp\n-A INPUT -p icmp\nCOMMIT\n"

CASES = [
    Case("syn_to_subnet_broadcast", listeners=(("tcp", "0.0.0.0", 80),), ruleset=COUNT_INPUT,
         packets=("tcp 10.0.0.2:1000 > 10.0.0.255:80 [S]", "tcp 10.0.0.2:1001 > 10.0.0.255:81 [S]")),
    Case("echo_to_subnet_broadcast_ignored", ruleset=COUNT_INPUT,
         packets=("icmp 10.0.0.2 > 10.0.0.255 echo-request",)),
    Case("echo_to_subnet_broadcast_answered", ruleset=COUNT_INPUT,
         sysctls={"net.ipv4.icmp_echo_ignore_broadcasts": 0},
         packets=("icmp 10.0.0.2 > 10.0.0.255 echo-request",)),
    Case("limited_broadcast_udp_and_echo", listeners=(("udp", "0.0.0.0", 53),), ruleset=COUNT_INPUT,
         packets=("udp 10.0.0.2:5000 > 255.255.255.255:53", "icmp 10.0.0.2 > 255.255.255.255 echo-request",
                  "tcp 10.0.0.2:1000 > 255.255.255.255:80 [S]")),
    Case("limited_broadcast_echo_answered", ruleset=COUNT_INPUT,
         sysctls={"net.ipv4.icmp_echo_ignore_broadcasts": 0},
         packets=("icmp 10.0.0.2 > 255.255.255.255 echo-request",)),
    Case("udp_to_subnet_broadcast", listeners=(("udp", "0.0.0.0", 53), ("udp", "10.0.0.1", 54)),
         ruleset=COUNT_INPUT,
         packets=("udp 10.0.0.2:5000 > 10.0.0.255:53", "udp 10.0.0.2:5000 > 10.0.0.255:54")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_agrees_with_kernel(case: Case) -> None:
    reason = netns.unavailable_reason()
    if reason:
        pytest.skip(reason)
    real = netns.run_real(case)
    sim = simside.run_sim(case)
    found = diff(real, sim, case.tables)
    assert not found, f"{case.name}: {found}\n--- kernel ---\n{real.pretty()}\n--- sim ---\n{sim.pretty()}"
