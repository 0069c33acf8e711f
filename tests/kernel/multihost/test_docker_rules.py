"""The Docker cases type the rules the simulated ``docker run -d --name web -p 8080:80 nginx`` writes:
the same ``iptables-save`` (rule lines, chains, policies) in the simulator, and the same as the
Engine 28.2.2 reference. No root needed."""

from __future__ import annotations

from pathlib import Path

from netstack_tui.commands.shell import Shell
from netstack_tui.kernel.host import Host
from netstack_tui.kernel.world import ROOT_NAME, World

from .cases import DOCKER_RULES

REFERENCE = Path(__file__).parents[2] / "commands/docker_reference/engine-28.2.2/iptables-save-after-run.txt"


def _ruleset(text: str) -> list[str]:
    """iptables-save without comments and counters: tables, chains with policies, rules."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        out.append(line.split(" [")[0] if line.startswith(":") else line)
    return out


def test_docker_rules_are_what_docker_run_writes() -> None:
    typed = Shell(world=World(Host.namespace(ROOT_NAME)))
    for line in DOCKER_RULES:
        result = typed.run(line)
        assert result.status == 0, (line, result.output)
    docker = Shell()
    assert docker.run("docker run -d --name web -p 8080:80 nginx").status == 0
    want = _ruleset(docker.run("iptables-save").output)
    assert _ruleset(typed.run("iptables-save").output) == want
    assert want == _ruleset(REFERENCE.read_text())


def test_recorded_kernel_printed_the_same_rules() -> None:
    """In expected_real.json the kernel's own iptables-save of docker_published_port is the
    reference's, plus the case's INPUT rule."""
    from .compare import recorded

    entry = recorded()["cases"].get("docker_published_port")
    if entry is None:
        return
    tables = entry["observation"]["namespaces"]["root"]["iptables"]
    got = [text for chains in tables.values() for chain in chains.values() for _p, _b, text in chain["rules"]]
    want = [line for line in _ruleset(REFERENCE.read_text()) if line.startswith("-A ")]
    assert sorted(got) == sorted([*want, "-A INPUT -p tcp -m tcp --dport 8080 -j DROP"])
