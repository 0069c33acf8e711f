"""Real-world rulesets (``../shared/fixtures/rulesets/real/``, never copied into the project): every
IPv4 file the kernel loads (it has a ``canonical/`` counterpart) is loaded into a real namespace with
``iptables-restore`` and into the simulator, then

* ``test_real_ruleset_save_matches``: the kernel's ``iptables-save`` equals the simulator's, table
  by table (``#`` lines and counters ignored);
* ``test_real_ruleset_counters_agree``: a handful of packets generated from the ruleset (ports and
  addresses its rules name, from s on eth0 and from r on eth1, router topology with forwarding on)
  give the same per-rule counters, replies and forwarded packets (``observe.diff``).

Interfaces the ruleset names in ``-i``/``-o`` (other than eth0/eth1/lo and wildcards) are created as
dummies on both sides. Skipped with the reason when the fixtures are absent, not root, or tools are
missing.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from .case import Case
from .observe import diff
from .simside import sim_available

REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "rulesets" / "real"
PACKETS_PER_RULESET = 8

# Rulesets whose disagreement with the kernel is known and reported (xfail strict: remove when fixed).
KNOWN_SAVE_DIFFERENT: dict[str, str] = {}
KNOWN_COUNTERS_DIFFERENT: dict[str, str] = {}


def _families() -> dict[str, str]:
    """File name -> v4/v6, from the fixtures README's table."""
    fam: dict[str, str] = {}
    readme = REAL / "README.md"
    if not readme.exists():
        return fam
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 8 and cells[1].isdigit():
            fam[cells[2].strip("`")] = cells[7]
    return fam


def _fixtures() -> list[str]:
    if not (REAL / "canonical").is_dir():
        return []
    fam = _families()
    names = []
    for canon in sorted((REAL / "canonical").glob("*.nft.save")):
        name = canon.name[: -len(".nft.save")]
        if (REAL / name).exists() and fam.get(name, "v4") == "v4":
            names.append(name)
    return names


FIXTURES = _fixtures()
_SKIP_NO_FIXTURES = pytest.mark.skipif(not FIXTURES, reason=f"real-ruleset fixtures not found at {REAL}")


def _read(name: str) -> str:
    return (REAL / name).read_bytes().decode("utf-8", errors="replace")


def _strip_save(text: str) -> dict[str, list[str]]:
    """``iptables-save`` text -> {table: lines} without comments and counters."""
    tables: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            current = tables.setdefault(line[1:], [])
            continue
        if current is None:
            continue
        line = re.sub(r"^\[\d+:\d+\]\s+", "", line)
        line = re.sub(r"^(:\S+ \S+) \[\d+:\d+\]$", r"\1", line)
        current.append(line)
    return tables


def _dummies(text: str) -> tuple[str, ...]:
    names = []
    for match in re.finditer(r"(?:^|\s)-[io]\s+(\S+)", text):
        name = match.group(1)
        if name in ("eth0", "eth1", "lo") or "+" in name or name in names or not re.fullmatch(r"[\w.-]{1,15}", name):
            continue
        names.append(name)
    return tuple(names)


def ruleset_case(name: str) -> Case:
    """A router-topology case for the fixture: its ruleset, its interfaces, and packets it names."""
    text = _read(name)
    rng = random.Random(name)
    tcp_ports: set[int] = set()
    udp_ports: set[int] = set()
    for line in text.splitlines():
        proto = re.search(r"-p\s+(tcp|udp)\b", line)
        for ports in re.findall(r"--(?:dport|destination-port|dports)\s+(\S+)", line):
            for item in ports.split(","):
                first = item.split(":")[0]
                if first.isdigit() and 0 < int(first) < 65536:
                    (udp_ports if proto and proto.group(1) == "udp" else tcp_ports).add(int(first))
    tcp = sorted(tcp_ports) or [22, 80]
    udp = sorted(udp_ports) or [53]
    packets: list[str] = []
    for i in range(PACKETS_PER_RULESET):
        sport = 40000 + i
        kind = rng.random()
        from_r = rng.random() < 0.25
        src, iface = ("192.168.1.2", " iface=eth1") if from_r else ("10.0.0.2", "")
        dst = rng.choice(("10.0.0.1", "10.0.0.2") if from_r else ("10.0.0.1", "10.0.0.1", "192.168.1.2"))
        if kind < 0.6:
            packets.append(f"tcp {src}:{sport} > {dst}:{rng.choice(tcp)} [S]{iface}")
        elif kind < 0.85:
            packets.append(f"udp {src}:{sport} > {dst}:{rng.choice(udp)} len=8{iface}")
        else:
            packets.append(f"icmp {src} > {dst} echo-request{iface}")
    return Case(name=f"real_{name[:3]}", topology="router", sysctls={"net.ipv4.ip_forward": 1}, ruleset=text,
                packets=tuple(packets), dummies=_dummies(text), description=f"real ruleset {name}")


def _marks(name: str, known: dict[str, str]) -> list:
    return [pytest.mark.xfail(strict=True, reason=known[name])] if name in known else []


def _sim_load(case: Case) -> str:
    """Load the fixture into a fresh simulated host with `iptables-restore FILE`; '' or the error."""
    from netstack_tui.commands.shell import Shell

    from .simside import setup_lines

    sh = Shell()
    for line, _ in setup_lines(case):
        sh.run(line)
    result = sh.run(f"iptables-restore {REAL / case.description.split()[-1]}")
    return "" if result.status == 0 else f"status {result.status}: {result.output.strip()[:500]}"


_REAL_OBS: dict[str, object] = {}


def _real(case: Case):  # noqa: ANN202
    from .netns import run_real

    if case.name not in _REAL_OBS:
        _REAL_OBS[case.name] = run_real(case)
    return _REAL_OBS[case.name]


@_SKIP_NO_FIXTURES
@pytest.mark.netns
@pytest.mark.parametrize("name", [pytest.param(n, id=n[:3], marks=_marks(n, KNOWN_SAVE_DIFFERENT))
                                  for n in FIXTURES])
def test_real_ruleset_save_matches(name: str, real_kernel: None) -> None:
    if not sim_available():
        pytest.skip("simulator shell (netstack_tui.commands.shell) does not exist yet")
    from .simside import run_sim

    case = ruleset_case(name)
    error = _sim_load(case)
    assert not error, f"{name}: the simulator's `iptables-restore FILE` refuses it: {error}"
    real = _strip_save(_real(case).raw_save)
    sim = _strip_save(run_sim(case).raw_save)
    for table in real:
        want, got = real[table], sim.get(table)
        assert got is not None, f"{name}: table {table} missing in the simulator's iptables-save"
        if want != got:
            first = next((i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b),
                         min(len(want), len(got)))
            kernel_line = want[first] if first < len(want) else "<end>"
            sim_line = got[first] if first < len(got) else "<end>"
            pytest.fail(f"{name} *{table} line {first + 1}: kernel {kernel_line!r} sim {sim_line!r}"
                        f" ({len(want)} vs {len(got)} lines)", pytrace=False)


@_SKIP_NO_FIXTURES
@pytest.mark.netns
@pytest.mark.parametrize("name", [pytest.param(n, id=n[:3], marks=_marks(n, KNOWN_COUNTERS_DIFFERENT))
                                  for n in FIXTURES])
def test_real_ruleset_counters_agree(name: str, real_kernel: None) -> None:
    if not sim_available():
        pytest.skip("simulator shell (netstack_tui.commands.shell) does not exist yet")
    from .simside import run_sim

    case = ruleset_case(name)
    real = _real(case)
    sim = run_sim(case)
    found = diff(real, sim, case.tables, rule_text=False)
    if found:
        pytest.fail(f"{name}: {found}\n--- packets ---\n" + "\n".join(case.packets)
                    + f"\n--- kernel ---\n{real.pretty()}\n--- sim ---\n{sim.pretty()}", pytrace=False)
