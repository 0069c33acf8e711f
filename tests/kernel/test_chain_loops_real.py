"""Jump loops and too-deep jumps, live: the same command lines in a real namespace (iptables-nft,
iptables-restore, nft) and in the simulator give the same exit status and message (issue 20).

nft's errors are compared by their first line, with the column range dropped (the shell prints nft's
errors on one line, without the echoed command and carets).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.world import ROOT_NAME, World
from tests.netfilter.test_chain_loops import LOOPS, RESTORE_LOOP
from tests.nftables.test_chain_loops import COMMANDS, FILE, FILE_TWO_ERRORS

from . import netns

DEEP = [f"iptables -N C{i}" for i in range(1, 18)] + ["iptables -A INPUT -j C1"] + [
    f"iptables -A C{i} -j C{i + 1}" for i in range(1, 16)]


def scripts(tmp: Path) -> dict[str, list[str]]:
    """Named command sequences, each run from a fresh namespace and a fresh simulated host."""
    (tmp / "loop.rules").write_text(RESTORE_LOOP)
    (tmp / "loop.nft").write_text(FILE)
    (tmp / "two.nft").write_text(FILE_TWO_ERRORS)
    found = {name: lines + ["iptables -S"] for name, (lines, _) in LOOPS.items()}
    found["depth 16"] = DEEP
    found["restore"] = ["iptables -A INPUT -p udp -j DROP", f"iptables-restore {tmp}/loop.rules",
                        "iptables-save -t filter"]
    found["nft commands"] = [line for line, _ in COMMANDS] + ["nft list ruleset"]
    found["nft files"] = [f"nft -f {tmp}/loop.nft", f"nft -f {tmp}/two.nft", "nft list ruleset"]
    return found


def _normal(output: str) -> str:
    lines = [line for line in output.rstrip("\n").splitlines() if not line.startswith("#")]
    if lines and "Error:" in lines[0] and not lines[0].startswith("iptables"):
        return re.sub(r"^(\S+:\d+):\d+-\d+:", r"\1:", lines[0])
    return "\n".join(lines)


def real_run(lines: list[str]) -> list[tuple[int, str]]:
    name = f"{netns.PREFIX}{os.getpid()}-loops"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    netns._live.add(name)
    try:
        out = []
        for line in lines:
            proc = subprocess.run(["ip", "netns", "exec", name, "bash", "-c", line], capture_output=True, text=True)
            out.append((proc.returncode, _normal(proc.stdout + proc.stderr)))
        return out
    finally:
        netns.delete_namespace(name)


def sim_run(lines: list[str]) -> list[tuple[int, str]]:
    shell = Shell(world=World(Host.namespace(ROOT_NAME)))
    out = []
    for line in lines:
        result = shell.run(line)
        out.append((result.status, _normal(result.output)))
    return out


@pytest.mark.netns
@pytest.mark.parametrize("name", [*LOOPS, "depth 16", "restore", "nft commands", "nft files"])
def test_simulator_answers_loops_as_the_kernel(name: str, real_kernel: None, tmp_path: Path) -> None:
    """Every line's exit status and message agree with the real tools."""
    lines = scripts(tmp_path)[name]
    if name.startswith("nft") and subprocess.run(["which", "nft"], capture_output=True).returncode:
        pytest.skip("nft is not installed")
    real, sim = real_run(lines), sim_run(lines)
    assert [(line, *r) for line, r in zip(lines, sim, strict=True)] == [
        (line, *r) for line, r in zip(lines, real, strict=True)]
