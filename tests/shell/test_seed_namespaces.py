"""The material's namespace walkthrough, line by line, prints what the real kernel and tools printed.

The reference (tests/kernel/multihost/reference_outputs.json) was recorded on kernel 6.18 with
iproute2 6.1, iputils and iptables-nft 1.8.9, in a fresh namespace standing in for the machine's
root. The simulator runs the same lines on a root namespace made the same way (only `lo`, down), and
both sides are normalized alike: MACs by order of appearance, ping's times, iptables-save's date.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.world import World

REFERENCE = Path(__file__).resolve().parents[1] / "kernel" / "multihost" / "reference_outputs.json"
MAC = re.compile(r"\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b")
FIXED_MACS = {"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"}
MULTICAST_SELF = re.compile(r"^(33:33|01:00:5e):\S+ dev \S+ self permanent$")


def _entries() -> list[dict[str, object]]:
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return next(v for v in data.values() if isinstance(v, list))


def _normalize(text: str, macs: dict[str, str]) -> list[str]:
    """Lines with MACs numbered by first appearance, times masked, trailing blanks dropped; the
    multicast `self permanent` FDB entries (IPv6 and IGMP, not simulated) left out."""

    def number(match: re.Match[str]) -> str:
        mac = match.group(0)
        if mac in FIXED_MACS or mac.startswith("<"):
            return mac
        return macs.setdefault(mac, f"<mac-{len(macs) + 1}>")

    lines = []
    for line in text.splitlines():
        line = line.rstrip()
        if MULTICAST_SELF.match(line):
            continue
        line = re.sub(r"time=[\d.]+ ms", "time=<t> ms", line)
        line = re.sub(r"time \d+ms", "time <t>ms", line)
        line = re.sub(r"rtt min/avg/max/mdev = .*", "rtt min/avg/max/mdev = <rtt>", line)
        line = re.sub(r" on \w{3} \w{3} [ \d]\d [\d:]{8} \d{4}$", " on <date>", line)
        line = re.sub(r"\bid=\d+", "id=<id>", line)
        line = re.sub(r"^(icmp\s+1\s+)\d+", r"\g<1><s>", line)
        line = line.replace("link-netns root", "link-netnsid 0")
        lines.append(MAC.sub(number, line))
    while lines and not lines[-1]:
        lines.pop()  # the shell shows a command's output without the trailing newline
    return lines


def _stand_in_root() -> Shell:
    """A world whose root namespace is as fresh as a new one (what the reference ran in)."""
    return Shell(world=World(Host.namespace("host")))


def _walk() -> list[tuple[str, int, list[str], int, list[str]]]:
    if not REFERENCE.exists():
        pytest.skip(f"no recorded reference at {REFERENCE}")
    shell = _stand_in_root()
    real_macs: dict[str, str] = {}
    sim_macs: dict[str, str] = {}
    rows = []
    for entry in _entries():
        command = str(entry["command"])
        result = shell.run(command)
        real = _normalize(str(entry["stdout"]) + str(entry["stderr"]), real_macs)
        sim = _normalize(result.output, sim_macs)
        if command.startswith("conntrack -L"):
            real = [re.sub(r"^(icmp\s+1\s+)\d+", r"\g<1><s>", line) for line in real]
        rows.append((command, int(str(entry["exit"])), real, result.status, sim))
    return rows


ROWS = _walk() if REFERENCE.exists() else []


@pytest.mark.parametrize("row", ROWS, ids=[f"{i}:{r[0][:60]}" for i, r in enumerate(ROWS)])
def test_walkthrough_line_matches_the_real_one(row: tuple[str, int, list[str], int, list[str]]) -> None:
    """Same exit status and the same lines (normalized) as the real machine printed."""
    command, real_status, real, sim_status, sim = row
    assert (sim_status, sim) == (real_status, real), command
