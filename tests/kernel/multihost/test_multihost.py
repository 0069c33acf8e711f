"""Multi-namespace differential tests.

* parser/planner self-tests (no root);
* every hand-written case run in real namespaces and checked against its ``expect`` (root, marker
  ``netns``), plus a few random cases (``NETSTACK_MH_CASES``, default 5, of ``NETSTACK_MH_SEED``)
  checked for validity: every generated line must succeed on the kernel;
* the simulator comparison: the hand-written cases against the kernel run now (root) and against
  the recording (no root), and ``NETSTACK_MH_SIM_CASES`` (default 20) recorded random cases; known
  differences still open are listed in `OPEN_DIFFERENCES`.
"""

from __future__ import annotations

import importlib
import json
import os

import pytest

from .case import ROOT, Action, MultiCase
from .cases import CASES
from .compare import case_from_json, compare_facts, recorded
from .observe import (
    MultiObservation,
    diff,
    expectation_failures,
    fdb_lines,
    neigh_lines,
    normalize_conntrack,
    normalize_output,
    ping_result,
)
from .randomized import generate, replay_command
from .real import MacNormalizer, Namer, run_real

SEED = int(os.environ.get("NETSTACK_MH_SEED", "20260101"))
RANDOM_CASES = int(os.environ.get("NETSTACK_MH_CASES", "5"))
SIM_RANDOM_CASES = int(os.environ.get("NETSTACK_MH_SIM_CASES", "20"))
OPEN_DIFFERENCES = {
    "random_20260101_14": "the model sends an unanswered ARP's ICMP host unreachable at once; the kernel 3 s "
    "later, after the observation (INPUT counts it)",
    "random_20260101_1": "the SYN-ACK its OUTPUT chain drops is resent by both (tcp_synack_retries), but its 4th "
    "copy leaves at 3-4 s on the kernel's clock, after nc -w 2 and the harness's own wall time; the simulator "
    "observes at 2 s",
}
"""Recorded random cases that still differ, and why (see tests/kernel/README.md)."""
WORLD_MODULE = "netstack_tui.kernel.world"


# -- self-tests (no root) --------------------------------------------------------------------------


def test_planner_maps_namespaces() -> None:
    namer = Namer("nstui-1-abcd-")
    assert namer.plan("ip netns add a").argv == ["ip", "netns", "add", "nstui-1-abcd-a"]
    assert namer.plan("ip netns exec r sysctl -w net.ipv4.ip_forward=1").argv == [
        "ip",
        "netns",
        "exec",
        "nstui-1-abcd-r",
        "sysctl",
        "-w",
        "net.ipv4.ip_forward=1",
    ]
    assert namer.plan("ip -n a addr add 10.0.0.1/24 dev veth-a").argv[:3] == ["ip", "-n", "nstui-1-abcd-a"]
    plan = namer.plan("ip link set veth-b netns b")
    assert plan.ns == ROOT
    assert plan.argv == [
        "ip",
        "netns",
        "exec",
        "nstui-1-abcd-root",
        "ip",
        "link",
        "set",
        "veth-b",
        "netns",
        "nstui-1-abcd-b",
    ]
    assert namer.plan("ip -n sw link add va type veth peer name eth0 netns a").argv[-1] == "nstui-1-abcd-a"
    assert namer.plan("! ip netns del a").argv == ["ip", "netns", "del", "nstui-1-abcd-a"]
    assert namer.plan("bridge -n sw fdb show").argv == ["bridge", "-n", "nstui-1-abcd-sw", "fdb", "show"]
    assert namer.plan("ip netns identify").argv == ["ip", "netns", "identify"]
    assert namer.plan("ip netns list").list_netns


def test_conntrack_normalization() -> None:
    line = (
        "tcp      6 117 TIME_WAIT src=10.0.0.2 dst=8.8.8.8 sport=40020 dport=80 src=8.8.8.8 "
        "dst=203.0.113.2 sport=80 dport=40020 [ASSURED] mark=0 use=1"
    )
    assert normalize_conntrack(line) == (
        "tcp TIME_WAIT src=10.0.0.2 dst=8.8.8.8 sport=40020 dport=80 | src=8.8.8.8 "
        "dst=203.0.113.2 sport=80 dport=40020 [ASSURED]"
    )
    icmp = (
        "icmp     1 29 src=10.0.0.2 dst=10.0.0.9 type=8 code=0 id=4242 [UNREPLIED] src=10.0.0.9 dst=10.0.0.2 "
        "type=0 code=0 id=4242 mark=0 use=1"
    )
    assert normalize_conntrack(icmp) == (
        "icmp src=10.0.0.2 dst=10.0.0.9 type=8 code=0 | src=10.0.0.9 dst=10.0.0.2 type=0 code=0 [UNREPLIED]"
    )


def test_ping_and_neigh_and_fdb_normalization() -> None:
    out = (
        "PING 10.0.0.9 (10.0.0.9) 56(84) bytes of data.\nFrom 10.0.0.1 icmp_seq=1 Destination Host Unreachable\n\n"
        "--- 10.0.0.9 ping statistics ---\n1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n"
    )
    assert ping_result(out) == "error from 10.0.0.1: Destination Host Unreachable"
    assert "time <t>ms" in normalize_output(out)
    assert ping_result("64 bytes from 8.8.8.8: icmp_seq=1 ttl=63 time=0.1 ms\n") == "reply from 8.8.8.8 ttl=63"
    assert neigh_lines(
        [
            {"dst": "10.0.0.10", "dev": "eth0", "state": ["FAILED"]},
            {"dst": "10.0.0.9", "dev": "eth0", "lladdr": "02:00:00:00:00:01", "state": ["STALE"]},
        ]
    ) == ["10.0.0.9 dev eth0 lladdr 02:00:00:00:00:01 STALE", "10.0.0.10 dev eth0 FAILED"]
    assert fdb_lines(
        [
            {"mac": "33:33:00:00:00:01", "ifname": "br0", "flags": ["self"], "state": "permanent"},
            {"mac": "02:00:00:00:0a:01", "ifname": "va", "master": "br0", "state": ""},
        ]
    ) == ["02:00:00:00:0a:01 dev va master br0"]


def test_mac_normalizer_keeps_case_macs() -> None:
    macs = MacNormalizer.for_lines(["ip link set dev x address 02:00:00:00:0a:01"])
    text = "02:00:00:00:0a:01 5a:11:22:33:44:55 ff:ff:ff:ff:ff:ff 33:33:00:00:00:01 5a:11:22:33:44:55"
    assert macs.sub(text) == "02:00:00:00:0a:01 <mac-1> ff:ff:ff:ff:ff:ff 33:33:00:00:00:01 <mac-1>"


def test_cases_are_well_formed() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    with pytest.raises(ValueError):
        MultiCase(name="x", commands=("ip netns add a",), actions=(Action("b", "ping", "10.0.0.1"),))
    assert Action("a", "tcp", "10.0.0.2", 80, 40001).line == "ip netns exec a nc -zv -w 1 -p 40001 10.0.0.2 80"


def test_generator_is_deterministic() -> None:
    for index in range(20):
        assert generate(SEED, index) == generate(SEED, index)
        case = generate(SEED, index)
        assert sum(a.wait for a in case.actions) <= 5, replay_command(SEED, index)


def test_expectations_and_diff() -> None:
    obs = MultiObservation(delivered=["b: tcp 10.0.0.1:40001 > 10.0.0.2:80 accepted"])
    assert not expectation_failures({"delivered": ["b: tcp 10.0.0.1:40001 > 10.0.0.2:80 accepted"]}, obs)
    assert expectation_failures({"action 1": "connected"}, obs)
    assert diff(obs, MultiObservation()) is not None


# -- the real kernel --------------------------------------------------------------------------------

_REAL: dict[str, MultiObservation] = {}


def real_observation(case: MultiCase) -> MultiObservation:
    if case.name not in _REAL:
        _REAL[case.name] = run_real(case)
    return _REAL[case.name]


@pytest.mark.netns
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_real_kernel(case: MultiCase, multihost_kernel: None) -> None:
    obs = real_observation(case)
    problems = expectation_failures(dict(case.expect), obs)
    assert not problems, (
        f"{case.name}: kernel disagrees with the case:\n  "
        + "\n  ".join(problems)
        + f"\n--- kernel ---\n{obs.pretty()}"
    )


@pytest.mark.netns
@pytest.mark.parametrize("index", range(RANDOM_CASES))
def test_random_topology_is_valid(index: int, multihost_kernel: None) -> None:
    case = generate(SEED, index)
    try:
        run_real(case)
    except Exception as exc:  # noqa: BLE001 - any failure here is a generator bug
        pytest.fail(f"generator bug: {exc}\nreplay: {replay_command(SEED, index)}\n{case.script()}", pytrace=False)


# -- the simulator ----------------------------------------------------------------------------------


def _world_missing() -> bool:
    try:
        importlib.import_module(WORLD_MODULE)
    except ImportError:
        return True
    return False


def _sim_or_skip(case: MultiCase) -> MultiObservation:
    if _world_missing():
        pytest.skip("the simulator's multi-host world is not built yet")
    from .simside import run_sim

    return run_sim(case)


def _check_agreement(case: MultiCase, real: dict[str, object], sim: MultiObservation, where: str) -> None:
    found, _known = compare_facts(case, dict(real), sim.facts())
    if found:
        pytest.fail(
            f"{case.name}: {found}\n--- kernel ({where}) ---\n{json.dumps(real, indent=1)}\n--- sim ---\n"
            f"{sim.pretty()}\n--- script ---\n{case.script()}",
            pytrace=False,
        )


@pytest.mark.netns
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_sim_agrees_with_kernel(case: MultiCase, multihost_kernel: None) -> None:
    """Every hand-written case: the simulator's facts are the kernel's, run now (known differences aside)."""
    sim = _sim_or_skip(case)
    _check_agreement(case, real_observation(case).facts(), sim, "this machine")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_sim_agrees_with_recording(case: MultiCase) -> None:
    """Without root: every hand-written case agrees with the kernel's recorded facts."""
    entry = recorded()["cases"].get(case.name)
    if entry is None:
        pytest.skip(f"{case.name} is not in expected_real.json (python -m tests.kernel.multihost.record)")
    _check_agreement(case, entry["facts"], _sim_or_skip(case), "expected_real.json")


@pytest.mark.parametrize("index", range(SIM_RANDOM_CASES))
def test_sim_agrees_on_random_case(index: int) -> None:
    """The first ``NETSTACK_MH_SIM_CASES`` (default 20) recorded random cases of seed 20260101 agree
    with the simulator; ``python -m tests.kernel.multihost.compare`` runs all 200 (about 5 s)."""
    name = f"random_{recorded()['seed']}_{index}"
    entry = recorded()["cases"].get(name)
    if entry is None:
        pytest.skip(f"{name} is not recorded (expected_real.json has {recorded()['random_count']} random cases)")
    if name in OPEN_DIFFERENCES:
        pytest.xfail(OPEN_DIFFERENCES[name])
    case = case_from_json(entry["case"])
    assert case == generate(recorded()["seed"], index), f"{name}: the generator changed; record again"
    _check_agreement(case, entry["facts"], _sim_or_skip(case), "expected_real.json")
