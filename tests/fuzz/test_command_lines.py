"""Mutated command lines for every command the shell knows: never a traceback, never a hang, a
refusal in one line, and a refused command leaves the host as it was.

Seeds are valid lines taken from the seed documents' command list (tests/shell/seed_commands.txt),
the README, the shipped scenarios, and `EXTRA_SEEDS` below for commands none of those use; a test
checks every command in the registry has one. Each case builds a host (`SETUP`), then runs a few
lines one after another on it, each a seed with one to three mutations: a number replaced by a
hostile one (5,000 digits, past 2^31/2^32/2^64, negative, NaN, infinity, hex, a word, Unicode
digits), control characters, brackets, quotes or deep nesting inserted, the line truncated, an
option duplicated, a word dropped or swapped, an address made invalid.

For every line:
- no Python exception escapes and no "internal error" line is printed (the shell's last line of
  defence would print one);
- it finishes within `CASE_LIMIT_S` (a watchdog bound for a runaway, not a speed assertion);
- a refusal (non-zero status, and the command says it changed nothing) leaves the host's state
  unchanged (`fingerprint`) and says why in one line: its first line is the message, and any more
  lines are only the hints real tools add (`Try ... --help`, usage lines).

Profiles (tests/conftest.py): `ci` (the default suite) runs a short sample; `long`
(`python -m pytest tests/fuzz/test_command_lines.py -m fuzz --hypothesis-profile long -s`) runs at
least 100,000 lines and prints what it saw.
"""

from __future__ import annotations

import re
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from netstack_tui.commands.registry import COMMANDS
from netstack_tui.commands.shell import Shell

from .watchdog import watchdog

pytestmark = [pytest.mark.fuzz,
              pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="the watchdog needs setitimer")]

ROOT = Path(__file__).resolve().parents[2]
LONG = settings.get_current_profile_name() == "long"
CASES = 25_000 if LONG else 60
LINES_PER_CASE = 8
CASE_LIMIT_S = 30.0

SETUP = (
    "ip addr add 10.0.0.1/24 dev eth0",
    "ip route add default via 10.0.0.254",
    "listen tcp 0.0.0.0:8080 --app nginx",
    "listen tcp 0.0.0.0:22 --app sshd",
    "listen udp 0.0.0.0:53 --app dnsmasq",
    "iptables-save > /etc/iptables.rules",
    "iptables -N LOGDROP",
    "iptables -A INPUT -p tcp --dport 22 -j ACCEPT",
    "nft add table inet filter",
    "nft add chain inet filter input '{ type filter hook input priority 0; }'",
    "nft add rule inet filter input tcp dport 443 accept",
    "send tcp 10.0.0.9:40000 > 10.0.0.1:8080 [S]",
    "echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.conf",
    "docker ps -a",  # dockerd starts on first use: started here, so the fingerprint's `docker ps` changes nothing
)
FINGERPRINT = ("iptables-save", "nft list ruleset", "ip -d link", "ip addr", "ip route show table all", "ip rule",
               "ip neigh", "sysctl -a", "ss -tuanp", "conntrack -L", "atq", "ls -la /root /etc", "docker ps -a")

# Lines for commands that no README, seed or scenario line uses (the registry test names any missing).
EXTRA_SEEDS: dict[str, list[str]] = {
    "pyramid": ["pyramid", "pyramid extra"],
    "xsk": ["xsk show", "xsk open eth0 queue 0", "xsk read eth0 queue 0"],
    "ip6tables": ["ip6tables -A INPUT -s 2001:db8::/32 -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT",
                  "ip6tables -A INPUT -m hl --hl-eq 255 -j REJECT --reject-with icmp6-adm-prohibited"],
    "ip6tables-nft": ["ip6tables-nft -S", "ip6tables-nft -L -n -v"],
    "ip6tables-save": ["ip6tables-save -c", "ip6tables-save -t filter"],
    "ip6tables-nft-save": ["ip6tables-nft-save"],
    "ip6tables-restore": ["ip6tables-restore --noflush /dev/null"],
    "ip6tables-nft-restore": ["ip6tables-nft-restore -n /dev/null"],
    "help": ["help"],
    "trace": ["trace", "trace --json"],
    "sleep": ["sleep 5", "sleep 0.5"],
    "flood": ["flood udp 10.0.0.9:5000 > 10.0.0.1:53 --count 200", "flood tcp 10.0.0.9:1024 > 10.0.0.1:80 [S] "
              "--count 100 --vary src"],
    "send": ["send udp 10.0.0.9:5000 > 10.0.0.1:53 len=20 ttl=5", "send icmp 10.0.0.9 > 10.0.0.1 "
             "port-unreachable { udp 10.0.0.1:5000 > 10.0.0.9:53 }"],
    "ping": ["ping -c 2 -i 0.2 -W 1 -t 5 10.0.0.254", "ping -c 1 -w 2 10.0.0.1"],
    "ethtool": ["ethtool -G eth0 rx 512", "ethtool -g eth0", "ethtool -S eth0", "ethtool -k eth0"],
    "ulimit": ["ulimit -n 4096", "ulimit -Sn", "ulimit -Hn"],
    "at": ["echo 'iptables -F' | at now + 5 minutes", "at -l", "at -c 1"],
    "atrm": ["atrm 1"],
    "printf": ["printf '%s %d %5.2f\\n' a 7 3.14159", "printf '%x|%-6s|%c' 255 ab xyz"],
    "ipset": ["ipset create blocked hash:ip", "ipset add blocked 192.0.2.7", "ipset list -n",
              "ipset create web hash:ip,port", "ipset test blocked 192.0.2.7"],
    "app": ["app programs", "app run accept-loop", "app list", "app show accept-loop", "app step"],
    "atq": ["atq"],
    "lsof": ["lsof -i :8080", "lsof -i tcp:22 -n -P", "lsof -p 101"],
    "awk": ["ss -tan | awk '{print $1, $4}'", "ip -o addr | awk '{print $NF}'"],
    "head": ["iptables-save | head -n 3", "ip addr | head -5"],
    "tail": ["iptables-save | tail -n +2", "ip route | tail -1"],
    "grep": ["iptables-save | grep -n -C 2 INPUT", "ss -tln | grep -A1 8080"],
    "sort": ["ss -tan | sort -k 4 -n -r"],
    "uniq": ["ss -tan | awk '{print $1}' | sort | uniq -c"],
    "wc": ["iptables-save | wc -l"],
    "tcpdump": ["tcpdump -n -c 5 'tcp port 8080 and (tcp[13] & 2 != 0)'", "tcpdump -i any -c 3 portrange 1-1024"],
    "nc": ["nc -zv -w 2 10.0.0.1 8080", "nc -l -p 9000"],
    "curl": ["curl -s -m 2 --connect-timeout 1 http://10.0.0.1:8080/"],
    "conntrack": ["conntrack -L -p tcp --dport 8080", "conntrack -L -m 0x1", "conntrack -F"],
    "sysctl": ["sysctl -w net.ipv4.ip_forward=1", "sysctl -w net.ipv4.ip_local_port_range='32768 60999'"],
    "bpftool": ["bpftool prog show", "bpftool net list"],
    "iptables-legacy": ["iptables-legacy -A INPUT -p udp --dport 53 -j ACCEPT"],
    "iptables-legacy-save": ["iptables-legacy-save -t filter"],
    "iptables-legacy-restore": ["iptables-legacy-restore -n /etc/iptables.rules"],
    "iptables-nft": ["iptables-nft -I INPUT 1 -s 10.0.0.0/8 -j ACCEPT"],
    "iptables-nft-save": ["iptables-nft-save -c"],
    "iptables-nft-restore": ["iptables-nft-restore --test /etc/iptables.rules"],
    "ls": ["ls -l /etc", "ls /root"],
    "netcat": ["netcat -z -w 1 10.0.0.1 22"],
    "netfilter-persistent": ["netfilter-persistent save", "netfilter-persistent reload"],
    "nstat": ["nstat -az", "nstat -a TcpExtListenOverflows"],
    "pidof": ["pidof nginx", "pidof -s sshd"],
}

NUMBER = re.compile(r"(?<![A-Za-z])[0-9]+(?:\.[0-9]+)?")
ADDRESS = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(?:/[0-9]+)?")
HOSTILE_NUMBERS = ("9" * 5000, "0" * 5000 + "1", "99999999999", "2147483648", "4294967296", "18446744073709551616",
                   "-1", "0", "nan", "NaN", "inf", "-inf", "1e400", "1e-400", "0x10", "0xffffffffff", "010", "08",
                   "1.5", ".5", "tcp", "", "٣", "²", "1_0", " 7 ", "+5")
HOSTILE_ADDRESSES = ("999.1.1.1", "10.0.0.1/99", "10.0.0.1/" + "9" * 5000, "10.0.0", "10..0.1", "::1", "0.0.0.0/0",
                     "255.255.255.255", "10.0.0.1/-1", "10.0.0.1/nan")
INSERTS = ("\x00", "\x01", "\x1b[31m", "\x7f", "\t", "\r", "\u202e", "\ufeff", "{", "}", "(", ")", "[", "]", "'", '"',
           "\\", "$(", ")", "`", "$HOME", "~", "#", ";", "&&", "||", "|", ">", "<", ">>", "&", "!", "*", "[/]",
           "{" * 3000, "(" * 3000, "[" * 3000, "$(" * 10, "a" * 100_000, " -" * 500)
# Lines real tools add around the one that names the problem: hints, usage, docker's pull progress.
HINT = re.compile(r"^(Try |Usage|usage:|For more information|\s*$|\s+\S|\(|netlink error|Unable to find image|"
                  r"Perhaps iptables|curl: try|We have an error talking to the kernel)")
MULTI_OPERAND = frozenset({"ls", "cat", "atrm", "at", "kill", "sysctl"})
"""Tools that answer each operand on its own line (`cat a b` says two things), as the real ones do."""


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield from value.splitlines()
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _candidates() -> Iterator[str]:
    seed_file = ROOT / "tests" / "shell" / "seed_commands.txt"
    for raw in seed_file.read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            yield raw.partition("  # ")[0]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    yield from re.findall(r"`([^`\n]+)`", readme)
    yield from re.findall(r"^\s*(?:\$ )?([a-z][^\n]*)$", readme, flags=re.M)
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        yield from _strings(yaml.safe_load(path.read_text(encoding="utf-8")))


def _seeds() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {name: list(lines) for name, lines in EXTRA_SEEDS.items()}
    for line in _candidates():
        line = line.strip()
        name = line.split(" ", 1)[0] if line else ""
        if name in COMMANDS and "<" not in line.replace("< ", "") and line not in out.get(name, []):
            out.setdefault(name, []).append(line)
    return out


SEEDS = _seeds()
NAMES = sorted(SEEDS)


def test_every_command_has_a_seed() -> None:
    """Every command the registry knows is fuzzed: each has at least one valid line to mutate."""
    assert sorted(set(COMMANDS) - set(SEEDS)) == []


# ---- mutations -----------------------------------------------------------------------------------


def _at(text: str, where: float) -> int:
    return min(len(text), int(where * (len(text) + 1)))


def mutate(line: str, kind: str, where: float, pick: int) -> str:
    """One mutation of `line`: `where` (0..1) says where, `pick` which replacement."""
    words = line.split(" ")
    if kind == "number":
        spans = list(NUMBER.finditer(line))
        if not spans:
            return line + " " + HOSTILE_NUMBERS[pick % len(HOSTILE_NUMBERS)]
        span = spans[_at(line, where) * len(spans) // (len(line) + 1)]
        return line[:span.start()] + HOSTILE_NUMBERS[pick % len(HOSTILE_NUMBERS)] + line[span.end():]
    if kind == "address":
        spans = list(ADDRESS.finditer(line))
        if not spans:
            return line
        span = spans[pick % len(spans)]
        return line[:span.start()] + HOSTILE_ADDRESSES[pick % len(HOSTILE_ADDRESSES)] + line[span.end():]
    if kind == "insert":
        i = _at(line, where)
        return line[:i] + INSERTS[pick % len(INSERTS)] + line[i:]
    if kind == "truncate":
        return line[:_at(line, where)]
    if kind == "duplicate":
        options = [i for i, w in enumerate(words) if w.startswith("-")]
        if not options:
            return line
        i = options[pick % len(options)]
        return " ".join(words[:i + 2] + words[i:i + 2] + words[i + 2:])
    if kind == "drop":
        i = _at(words, where) if len(words) > 1 else 0  # type: ignore[arg-type]
        return " ".join(words[:max(1, i)] + words[max(1, i) + 1:])
    if kind == "swap":
        if len(words) < 3:
            return line
        i = 1 + pick % (len(words) - 2)
        words[i], words[i + 1] = words[i + 1], words[i]
        return " ".join(words)
    # "splice": a word from another seed, so options of one tool reach another
    other = SEEDS[NAMES[pick % len(NAMES)]][0].split(" ")
    i = _at(line, where)
    return line[:i] + " " + other[pick % len(other)] + " " + line[i:]


KINDS = ("number", "number", "number", "address", "insert", "insert", "truncate", "duplicate", "drop", "swap",
         "splice")
mutations = st.tuples(st.sampled_from(KINDS), st.floats(0, 1), st.integers(0, 10_000))
lines = st.tuples(st.sampled_from(NAMES), st.integers(0, 1000), st.lists(mutations, min_size=1, max_size=3))


# ---- running a case ------------------------------------------------------------------------------




def fingerprint(shell: Shell) -> list[str]:
    """What a refused command must not change: rules, addresses, routes, sysctls, sockets, jobs, files."""
    return [shell.run(line).output for line in FINGERPRINT]


def new_shell() -> Shell:
    shell = Shell()
    for line in SETUP:
        result = shell.run(line)
        assert result.status == 0, (line, result.output)
    return shell


SEEN: Counter[str] = Counter()


def check_line(shell: Shell, line: str) -> None:
    """Run one mutated line and hold it to the promises above."""
    before = fingerprint(shell)
    with watchdog(CASE_LIMIT_S):
        result = shell.run(line)
    SEEN["lines"] += 1
    output = result.output
    assert "internal error" not in output, (line, output)
    assert "Traceback" not in output, (line, output)
    if result.status == 0:
        SEEN["accepted"] += 1
        return
    SEEN["refused"] += 1
    if result.changed:
        SEEN["failed after a change"] += 1
        return
    assert fingerprint(shell) == before, f"refused but changed the host: {line!r}\n{output}"
    shown = output.splitlines()
    if not shown:
        SEEN["silent non-zero"] += 1  # grep without a match, `test`-like answers: nothing to show
        return
    problems = [text for text in shown if not HINT.match(text)]  # none: the usage is the answer
    name = line.replace("\x00", "").split()[0]  # the shell drops NUL bytes, as bash does
    several = any(j in line for j in (";", "&&", "||", "|", "$(", "`", "\n", "\r")) or name in MULTI_OPERAND
    assert len(problems) <= 1 or several, f"a refusal in more than one line: {line!r}\n{output}"


@settings(max_examples=CASES, deadline=None, database=None)
@given(st.lists(lines, min_size=1, max_size=LINES_PER_CASE))
def test_mutated_command_lines(case: list[tuple[str, int, list[tuple[str, float, int]]]]) -> None:
    """Whatever is typed, the shell answers in its tools' words and keeps running."""
    shell = new_shell()
    for name, which, changes in case:
        seeds = SEEDS[name]
        line = seeds[which % len(seeds)]
        for kind, where, pick in changes:
            line = mutate(line, kind, where, pick)
        SEEN[f"cmd:{name}"] += 1
        check_line(shell, line)


def teardown_module() -> None:
    if LONG:
        commands = sum(1 for key in SEEN if key.startswith("cmd:"))
        print(f"\ncommand-line fuzz: {SEEN['lines']} lines over {commands} commands; accepted {SEEN['accepted']}, "
              f"refused {SEEN['refused']} (after a change: {SEEN['failed after a change']}, "
              f"silent: {SEEN['silent non-zero']})")
