"""Every command line of the seed documents runs in the simulated shell (tests/shell/seed_commands.txt).

The lines run in order on one host, as a learner following the seed would type them. Each must exit
0, or answer exactly as annotated in the data file (see its header). Never a traceback, never
"command not found".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.world import World

DATA = Path(__file__).with_name("seed_commands.txt")
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
SETUP = (
    "ip addr add 10.0.0.1/24 dev eth0",
    "ip route add default via 10.0.0.254",
    "listen tcp 0.0.0.0:8080 --app nginx",
    "listen tcp 0.0.0.0:22 --app sshd",
    "iptables-save > /etc/iptables.rules",
)


@dataclass(frozen=True)
class SeedLine:
    number: int
    command: str
    kind: str
    """`ok`, `not simulated`, `expect` or `gap`."""
    status: int = 0
    note: str = ""
    section: str = ""
    """The `# --- ...` heading the line is under."""


def load() -> list[SeedLine]:
    out = []
    section = ""
    for number, raw in enumerate(DATA.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.startswith("# --- "):
            section = raw[len("# --- "):].rstrip("- ")
        if not raw.strip() or raw.startswith("#"):
            continue
        command, _, note = raw.partition("  # ")
        note = note.strip()
        if not note:
            out.append(SeedLine(number, command, "ok", section=section))
        elif note == "not simulated":
            out.append(SeedLine(number, command, "not simulated", section=section))
        elif note.startswith("expect "):
            status = int(re.match(r"expect (\d+)", note).group(1))  # type: ignore[union-attr]
            out.append(SeedLine(number, command, "expect", status, note, section))
        elif note.startswith("gap:"):
            out.append(SeedLine(number, command, "gap", note=note, section=section))
        else:
            raise AssertionError(f"seed_commands.txt:{number}: unknown annotation {note!r}")
    return out


LINES = load()


def _run_all() -> list[tuple[SeedLine, str, int]]:
    shell = Shell()
    for line in SETUP:
        assert shell.run(line).status == 0, line
    nginx = shell.host.sockets.find_process("nginx")
    assert nginx is not None
    pid = nginx.pid
    # The namespace section builds its own cable and gives test_ns the Internet: it runs as the seed
    # tells it, on a fresh machine that reaches the (simulated) Internet.
    namespaces = Shell(world=World.connected())
    results = []
    job = "1"
    for seed in LINES:
        command = seed.command.replace("<pid>", str(pid)).replace("<job_id>", job)
        result = (namespaces if seed.section.startswith("seed 000: network namespaces") else shell).run(command)
        found = re.search(r"^job (\d+) at ", result.output, re.M)
        if found:
            job = found.group(1)
        results.append((seed, result.output, result.status))
    return results


RESULTS = _run_all()


@pytest.mark.parametrize("seed,output,status", RESULTS, ids=[f"{s.number}:{s.command[:50]}" for s, _, _ in RESULTS])
def test_seed_command(seed: SeedLine, output: str, status: int) -> None:
    where = f"seed_commands.txt:{seed.number}: {seed.command!r} answered ({status}) {output!r}"
    assert "Traceback" not in output, where
    assert "command not found" not in output, where
    if seed.kind == "ok":
        assert status == 0, where
    elif seed.kind == "expect":
        assert status == seed.status, where
    elif seed.kind == "not simulated":
        assert status != 0, where
        assert len(output.splitlines()) == 1 and "not simulated" in output, where
    else:  # a known gap of another module: some answer (grep finding nothing is an answer)
        assert status == 0 or output.strip() or seed.command.split("|")[-1].split()[0] == "grep", where


def test_every_seed_code_line_is_in_the_data_file() -> None:
    """The data file keeps up with the seeds: every command line of a bash block is listed."""
    if not SEEDS.is_dir():
        pytest.skip(f"the seed documents are not beside the repository ({SEEDS})")
    listed = {" ".join(s.command.split()) for s in LINES}
    commands = re.compile(r"^(iptables|iptables-save|iptables-restore|iptables-apply|nft|ip|ss|netstat|sysctl|"
                          r"ulimit|ethtool|conntrack|echo|cat|lsof|ping|tcpdump|dmesg|tc|at|atq|atrm)\b")
    missing = []
    for path in sorted(SEEDS.glob("*.txt")):
        in_block, lang = False, ""
        joined = ""
        for raw in path.read_text(encoding="utf-8").splitlines():
            stripped = raw.strip()
            if stripped.startswith("```"):
                in_block, lang = (not in_block), stripped[3:]
                continue
            if not in_block or lang not in ("bash", "") or not stripped:
                continue
            if joined:
                stripped, joined = joined + " " + stripped, ""
            if stripped.endswith("\\"):
                joined = stripped[:-1].strip()
                continue
            command = re.sub(r"\s+#.*$", "", stripped).strip()
            if not commands.match(command) or "←" in command or command.startswith("nft "):
                continue
            if command.endswith(":") or re.match(r"^\w+: ", command) or command.startswith("ip protocol "):
                continue  # prose ("conntrack table full:", "dmesg: ...") and nft rule bodies
            command = " ".join(command.split())
            if command not in listed:
                missing.append(f"{path.name}: {command}")
    assert not missing, "seed command lines missing from seed_commands.txt:\n" + "\n".join(missing)
