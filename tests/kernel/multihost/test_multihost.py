"""Multi-namespace differential tests.

* parser/planner self-tests (no root);
* every hand-written case run in real namespaces and checked against its ``expect`` (root, marker
  ``netns``), plus a few random cases (``NETSTACK_MH_CASES``, default 5, of ``NETSTACK_MH_SEED``)
  checked for validity: every generated line must succeed on the kernel;
* the simulator comparison, skipped until ``netstack_tui.kernel.world`` exists.
"""

from __future__ import annotations

import importlib
import os

import pytest

from .case import ROOT, Action, MultiCase
from .cases import CASES
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


@pytest.mark.netns
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_sim_agrees_with_kernel(case: MultiCase, multihost_kernel: None) -> None:
    if _world_missing():
        pytest.skip("the simulator's multi-host world is not built yet")
    from .simside import run_sim

    try:
        sim = run_sim(case)
    except NotImplementedError as exc:
        pytest.skip(str(exc))
    real = real_observation(case)
    found = diff(real, sim)
    if found:
        pytest.fail(
            f"{case.name}: {found}\n--- kernel ---\n{real.pretty()}\n--- sim ---\n{sim.pretty()}\n"
            f"--- script ---\n{case.script()}",
            pytrace=False,
        )
