"""statistic, quota and ipset-backed rules (`-m set`, `-j SET`) against the real kernel.

Each case is a `tests.kernel` Case run in real namespaces and through the simulator; counters,
replies and deliveries must agree. Sets are created before the ruleset on both sides (`ipset
restore` in h; `ipset` lines in the simulator's shell). Random mode is checked only at probability
0 and 1, where the kernel's draw cannot matter. Needs root, iproute2, iptables 1.8.9 and ipset;
skips otherwise.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest

from netstack_tui.kernel.netfilter import timematch
from netstack_tui.kernel.netfilter.timematch import WEEKDAYS
from tests.kernel import netns, simside
from tests.kernel.case import Case
from tests.kernel.observe import diff

pytestmark = pytest.mark.netns

PING = "icmp 10.0.0.2 > 10.0.0.1 echo-request"
TODAY = WEEKDAYS[time.gmtime().tm_wday]
"""The weekday on the real clock; the simulator's wall clock is set to it for the run (`_real_clock`)."""


def _rules(*lines: str) -> str:
    return "*filter\n:INPUT ACCEPT [0:0]\n" + "".join(f"{line}\n" for line in lines) + "COMMIT\n"


CASES: list[tuple[Case, str]] = [
    (Case("statistic_nth", packets=(PING,) * 7,
          ruleset=_rules("-A INPUT -p icmp -m statistic --mode nth --every 3 --packet 1 -j DROP")), ""),
    (Case("statistic_nth_inverted", packets=(PING,) * 5,
          ruleset=_rules("-A INPUT -p icmp -m statistic --mode nth ! --every 2 --packet 0 -j ACCEPT",
                         "-A INPUT -p icmp -j DROP")), ""),
    (Case("statistic_random_edges", packets=(PING,) * 4,
          ruleset=_rules("-A INPUT -m statistic --mode random --probability 0 -j DROP",
                         "-A INPUT -m statistic --mode random --probability 1 -j ACCEPT")), ""),
    (Case("quota_bytes", packets=(PING + " len=100",) * 5,
          ruleset=_rules("-A INPUT -p icmp -m quota --quota 300 -j ACCEPT", "-A INPUT -p icmp -j DROP")), ""),
    (Case("quota_inverted", packets=(PING,) * 4,
          ruleset=_rules("-A INPUT -p icmp -m quota ! --quota 90 -j DROP")), ""),
    (Case("set_hash_ip", packets=(PING, "icmp 10.0.0.3 > 10.0.0.1 echo-request"),
          ruleset=_rules("-A INPUT -m set --match-set blocked src -j DROP")),
     "create blocked hash:ip\nadd blocked 10.0.0.3\n"),
    (Case("set_hash_net_inverted", packets=(PING, "icmp 10.0.0.9 > 10.0.0.1 echo-request"),
          ruleset=_rules("-A INPUT -m set ! --match-set nets src -j DROP")),
     "create nets hash:net\nadd nets 10.0.0.0/29\n"),
    (Case("set_hash_ip_port", listeners=(("tcp", "10.0.0.1", 22), ("tcp", "10.0.0.1", 80)),
          packets=("tcp 10.0.0.2:4000 > 10.0.0.1:22 [S]", "tcp 10.0.0.2:4001 > 10.0.0.1:80 [S]",
                   "udp 10.0.0.2:4002 > 10.0.0.1:22"),
          ruleset=_rules("-A INPUT -m set --match-set svc dst,dst -j DROP")),
     "create svc hash:ip,port\nadd svc 10.0.0.1,tcp:80\nadd svc 10.0.0.1,udp:22\n"),
    (Case("set_bitmap_port", packets=("udp 10.0.0.2:5000 > 10.0.0.1:53", "udp 10.0.0.2:5000 > 10.0.0.1:54"),
          ruleset=_rules("-A INPUT -p udp -m set --match-set ports dst -j DROP")),
     "create ports bitmap:port range 1-1024\nadd ports 50-53\n"),
    (Case("set_target_add_then_match", packets=(PING, PING, "icmp 10.0.0.2 > 10.0.0.1 echo-request id=2"),
          ruleset=_rules("-A INPUT -m set --match-set seen src -j DROP",
                         "-A INPUT -p icmp -j SET --add-set seen src")),
     "create seen hash:ip\n"),
    (Case("hashlimit_burst", packets=(PING,) * 6,
          ruleset=_rules("-A INPUT -p icmp -m hashlimit --hashlimit-upto 1/min --hashlimit-burst 3 "
                         "--hashlimit-name h -j ACCEPT", "-A INPUT -p icmp -j DROP")), ""),
    (Case("hashlimit_per_source_port", listeners=(("udp", "10.0.0.1", 53),),
          packets=tuple(f"udp 10.0.0.2:{4000 + i % 2} > 10.0.0.1:53" for i in range(6)),
          ruleset=_rules("-A INPUT -p udp -m hashlimit --hashlimit-above 1/min --hashlimit-burst 2 "
                         "--hashlimit-mode srcip,srcport --hashlimit-name h -j DROP")), ""),
    (Case("hashlimit_dstport_shared_table", listeners=(("udp", "10.0.0.1", 53), ("udp", "10.0.0.1", 54)),
          packets=tuple(f"udp 10.0.0.2:{4000 + i} > 10.0.0.1:{53 + i % 2}" for i in range(6)),
          ruleset=_rules("-A INPUT -p udp -m hashlimit --hashlimit-above 1/hour --hashlimit-burst 2 "
                         "--hashlimit-mode dstport --hashlimit-name t -j DROP",
                         "-A INPUT -p udp -m hashlimit --hashlimit-upto 1/hour --hashlimit-name t -j ACCEPT")), ""),
    (Case("connlimit_above", listeners=(("udp", "10.0.0.1", 53),),
          packets=(*(f"udp 10.0.0.2:{5000 + i} > 10.0.0.1:53" for i in range(4)), "udp 10.0.0.2:5000 > 10.0.0.1:53",
                   "udp 10.0.0.3:5000 > 10.0.0.1:53"),
          ruleset=_rules("-A INPUT -p udp -m connlimit --connlimit-above 2 -j DROP")), ""),
    (Case("connlimit_upto_mask_daddr", listeners=(("udp", "10.0.0.1", 53),),
          packets=tuple(f"udp 10.0.0.{2 + i}:6000 > 10.0.0.1:53" for i in range(4)),
          ruleset=_rules("-A INPUT -p udp -m connlimit --connlimit-upto 1 --connlimit-mask 24 --connlimit-daddr "
                         "-j ACCEPT", "-A INPUT -p udp -j DROP")), ""),
    (Case("connbytes_packets_original", packets=(PING,) * 5,
          ruleset=_rules("-A INPUT -p icmp -m connbytes --connbytes 3 --connbytes-dir original "
                         "--connbytes-mode packets -j DROP")), ""),
    (Case("connbytes_bytes_both_inverted", packets=(PING + " len=100",) * 4,
          ruleset=_rules("-A INPUT -p icmp -m connbytes ! --connbytes 300 --connbytes-dir both "
                         "--connbytes-mode bytes -j ACCEPT", "-A INPUT -p icmp -j DROP")), ""),
    (Case("connbytes_avgpkt", packets=(PING + " len=20", PING + " len=400", PING + " len=400"),
          ruleset=_rules("-A INPUT -p icmp -m connbytes --connbytes 200: --connbytes-dir original "
                         "--connbytes-mode avgpkt -j DROP")), ""),
    (Case("rpfilter_strict_and_loose", packets=(PING, "icmp 172.16.0.9 > 10.0.0.1 echo-request"),
          ruleset="*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                  "-A PREROUTING -m rpfilter --loose\n-A PREROUTING -m rpfilter --invert -j DROP\nCOMMIT\n"), ""),
    (Case("rpfilter_accept_local", packets=("icmp 10.0.0.1 > 10.0.0.1 echo-request", PING),
          ruleset="*mangle\n:PREROUTING ACCEPT [0:0]\n"
                  "-A PREROUTING -m rpfilter\n-A PREROUTING -m rpfilter --accept-local\nCOMMIT\n"), ""),
    (Case("time_dates", packets=(PING,) * 2,
          ruleset=_rules("-A INPUT -p icmp -m time --datestop 2020-01-01 -j DROP",
                         "-A INPUT -p icmp -m time --datestart 2020-01-01 --utc",
                         "-A INPUT -p icmp -m time --timestart 00:00 --timestop 23:59:59")), ""),
    (Case("time_today", packets=(PING,) * 2,
          ruleset=_rules(f"-A INPUT -p icmp -m time --weekdays {TODAY}",
                         f"-A INPUT -p icmp -m time ! --weekdays {TODAY}",
                         "-A INPUT -p icmp -m time --timestart 23:00 --timestop 01:00")), ""),
    (Case("set_target_del", packets=(PING, PING),
          ruleset=_rules("-A INPUT -m set --match-set seen src -j SET --del-set seen src",
                         "-A INPUT -m set --match-set seen src -j DROP")),
     "create seen hash:ip\nadd seen 10.0.0.2\n"),
]


@pytest.fixture
def with_sets(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Make both sides create the case's sets (`ipset restore` text) before loading its ruleset."""
    pending: list[str] = []
    real_must = netns._must

    def must(argv: list[str], stdin: str | None = None) -> str:
        if pending and pending[0] and argv[-1:] == ["iptables-restore"] and stdin and "*filter" in stdin:
            real_must([*argv[:-1], "ipset", "restore"], pending[0])
        return real_must(argv, stdin)

    real_lines = simside.setup_lines

    def lines(case: Case) -> list[tuple[str, bool]]:
        extra = [(f"ipset {line}", False) for line in (pending[0] if pending else "").splitlines()]
        return real_lines(case) + extra

    monkeypatch.setattr(netns, "_must", must)
    monkeypatch.setattr(simside, "setup_lines", lines)
    yield pending


@pytest.mark.parametrize(("case", "sets"), CASES, ids=[c.name for c, _ in CASES])
def test_agrees_with_kernel(case: Case, sets: str, with_sets: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    reason = netns.unavailable_reason()
    if reason:
        pytest.skip(reason)
    if sets and shutil.which("ipset") is None:
        pytest.skip("needs the ipset tool (apt-get install ipset)")
    with_sets.append(sets)
    # -m time reads the wall clock: give the simulated host the real one (its clock starts near 0).
    monkeypatch.setattr(timematch, "WALL_CLOCK_AT_BOOT", int(time.time()))
    real = netns.run_real(case)
    sim = simside.run_sim(case)
    found = diff(real, sim, case.tables)
    assert not found, f"{case.name}: {found}\n--- kernel ---\n{real.pretty()}\n--- sim ---\n{sim.pretty()}"
