"""hashlimit, connlimit, time, rpfilter and connbytes on the command line, and iptables-restore's
strictness, against the real iptables 1.8.9 (nf_tables) in a throwaway namespace.

Each rule line (data/matches_round2_rules.txt) is appended to freshly flushed tables on both sides;
exit status, first error line, `iptables -S` and `iptables -L -n` must agree. Each restore text must
give the same status, the same first two error lines and the same filter rules. Needs root, iproute2
and iptables 1.8.9; skips otherwise.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from netstack_tui.kernel.netfilter.command import run_iptables
from netstack_tui.kernel.netfilter.restore import restore
from netstack_tui.kernel.netfilter.save import save
from netstack_tui.kernel.netfilter.table import Ruleset
from netstack_tui.kernel.netfilter.values import IptablesError

pytestmark = pytest.mark.netns

RULES = [line for line in (Path(__file__).parent / "data" / "matches_round2_rules.txt").read_text().splitlines()
         if line.strip()]
RESTORES = [
    "*filter\n-A INPUT -j ACCEPT\nCOMMIT \n",
    "*filter\n-A INPUT -j ACCEPT\nCOMMIT\t\n",
    "*filter\n-A INPUT -j ACCEPT\nCOMMIT  ",
    "*filter\n-A INPUT -j ACCEPT\nCOMMIT",
    "*filter\n-A INPUT -j ACCEPT\n",
    "*filter\n-A INPUT -j OUTPUT\nCOMMIT\n",
    "*filter\n-A INPUT -g FORWARD\nCOMMIT\n",
    "*filter\n:u - [0:0]\n-A INPUT -j u\n-A u -j INPUT\nCOMMIT\n",
    "*filter\nCOMMIT\n*nat\n-A OUTPUT -j PREROUTING\nCOMMIT\n",
    "*filter\n-A INPUT -j nochain\nCOMMIT\n",
    "*filter\n-A INPUT -j nochain\n-A INPUT -p tcp --dport x -j ACCEPT\nCOMMIT\n",
    "*filter\n-A INPUT -m statistic --mode nth --every 2\nCOMMIT\n",
    "*filter\n-A INPUT -m string --string foo --algo bm --from 0 --to 65535\n"
    '-A INPUT -m string --string "a b" --algo kmp --from 2\n-A INPUT -m string --hex-string "|41|b" --algo bm --to 0\n'
    "COMMIT\n",
    "*filter\n-A INPUT -m time --datestart 2020-01-01 --utc\nCOMMIT\n",
    "*foo\nCOMMIT\n",
]


def _in(ns: str, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", ns, *argv], input=stdin, capture_output=True, text=True,
                          check=False, timeout=60)


def _flush(ns: str) -> None:
    for table in ("filter", "nat", "mangle", "raw"):
        _in(ns, "iptables", "-t", table, "-F")
        _in(ns, "iptables", "-t", table, "-X")


def _rows(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("line", RULES)
def test_rule_agrees(namespace: str, line: str) -> None:
    argv = shlex.split(line)
    table = argv[argv.index("-t") + 1] if "-t" in argv else "filter"
    _flush(namespace)
    done = _in(namespace, "iptables", *argv)
    real = (done.returncode, (done.stderr.splitlines() or [""])[0],
            _rows(_in(namespace, "iptables", "-t", table, "-S").stdout, "-A"),
            _rows(_in(namespace, "iptables", "-t", table, "-L", "-n").stdout, " "))
    rs = Ruleset()
    try:
        run_iptables(rs, argv)
        status, error = 0, ""
    except IptablesError as exc:
        status, error = exc.status, exc.message.splitlines()[0]
    sim = (status, error, _rows(run_iptables(rs, ["-t", table, "-S"]), "-A"),
           _rows(run_iptables(rs, ["-t", table, "-L", "-n"]), " "))
    assert sim == real


@pytest.mark.parametrize("text", RESTORES)
def test_restore_agrees(namespace: str, text: str) -> None:
    _flush(namespace)
    done = _in(namespace, "iptables-restore", stdin=text)
    real = (done.returncode, done.stderr.strip().splitlines()[:2],
            _rows(_in(namespace, "iptables-save", "-t", "filter").stdout, "-A"))
    rs = Ruleset()
    try:
        restore(rs, text)
        status, lines = 0, []
    except IptablesError as exc:
        status, lines = exc.status, exc.message.strip().splitlines()[:2]
    sim = (status, lines, _rows(save(rs, "filter"), "-A"))
    assert sim == real
