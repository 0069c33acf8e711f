"""The multi-host world: building a classroom of namespaces, and a journey through three of them.

    python benchmarks/bench_world.py     # just these rows
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import median_time  # noqa: E402  (the benchmarks' one timing helper)

CONTAINERS = 50


def classroom_script(n: int = CONTAINERS) -> list[str]:
    """What a teacher's setup types for `n` containers on one bridge, each with its own namespace,
    veth, address and default route (the commands Docker's network driver performs)."""
    lines = ["ip link add br0 type bridge", "ip addr add 172.17.0.1/16 dev br0", "ip link set br0 up"]
    for i in range(1, n + 1):
        ns, addr = f"c{i}", f"172.17.{i // 250}.{2 + i % 250}"
        lines += [
            f"ip netns add {ns}",
            f"ip link add veth{i} type veth peer name eth0 netns {ns}",
            f"ip link set veth{i} master br0",
            f"ip link set veth{i} up",
            f"ip -n {ns} addr add {addr}/16 dev eth0",
            f"ip -n {ns} link set eth0 up",
            f"ip -n {ns} link set lo up",
            f"ip -n {ns} route add default via 172.17.0.1",
        ]
    return lines


def three_namespaces() -> object:
    """client ── router (forwarding) ── server, each link a veth pair; returns the shell."""
    from netstack_tui.commands.shell import Shell
    from netstack_tui.kernel.world import World

    shell = Shell(world=World())
    for line in (
        "ip netns add client", "ip netns add router", "ip netns add server",
        "ip link add c0 type veth peer name r0 netns router", "ip link set c0 netns client",
        "ip link add s0 type veth peer name r1 netns router", "ip link set s0 netns server",
        "ip -n client addr add 10.1.0.2/24 dev c0", "ip -n router addr add 10.1.0.1/24 dev r0",
        "ip -n router addr add 10.2.0.1/24 dev r1", "ip -n server addr add 10.2.0.2/24 dev s0",
        "ip -n client link set c0 up", "ip -n router link set r0 up", "ip -n router link set r1 up",
        "ip -n server link set s0 up", "ip -n client route add default via 10.1.0.1",
        "ip -n server route add default via 10.2.0.1",
        "ip netns exec router sysctl -w net.ipv4.ip_forward=1",
        "ip netns exec server listen tcp 0.0.0.0:80 --app nginx",
        "ip netns exec client ping -c 1 10.2.0.2",  # neighbours resolved: the timed journey is the steady one
    ):
        assert shell.run(line).status == 0, line
    return shell


def rows(runs: int) -> list[tuple[str, str, str, str]]:
    """The benchmark table's rows for the world."""
    from netstack_tui.commands.shell import Shell
    from netstack_tui.kernel import stack
    from netstack_tui.kernel.packet import parse_packet
    from netstack_tui.kernel.world import World

    script = classroom_script()

    def build() -> None:
        shell = Shell(world=World())
        for line in script:
            shell.run(line)

    built = median_time(build, max(3, runs // 3))
    shell = three_namespaces()
    client = shell.world.namespace("client")  # type: ignore[attr-defined]
    syn, _ = parse_packet("tcp 10.1.0.2:40000 > 10.2.0.2:80 [S]")
    trace = stack.transmit(client, syn, owner="curl")
    hosts = list(dict.fromkeys(step.host for step in trace.steps))
    assert hosts == ["client", "router", "server"], hosts
    crossing = median_time(lambda: stack.transmit(client, syn, owner="curl"), runs * 20)
    single = Shell()
    single.run("ip addr add 10.0.0.1/24 dev eth0")
    single.run("listen tcp 0.0.0.0:80 --app nginx")
    local, _ = parse_packet("tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]")
    one_host = median_time(lambda: stack.receive(single.host, local, "eth0"), runs * 20)
    return [
        (f"world of {CONTAINERS} namespaces on a bridge ({len(script)} commands)", f"{built * 1000:.0f} ms",
         "< 500 ms", f"{built / len(script) * 1e6:.0f} µs a command"),
        ("SYN through 3 namespaces (client → router → server, SYN-ACK back)", f"{crossing * 1000:.2f} ms", "< 5 ms",
         f"{crossing / one_host:.1f}× one host's SYN ({one_host * 1000:.2f} ms)"),
    ]


if __name__ == "__main__":
    for row in rows(15):
        print(" | ".join(row))
