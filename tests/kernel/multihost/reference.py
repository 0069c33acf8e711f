"""Record the exact real outputs of the material's namespace walkthrough and of the topology errors
into ``reference_outputs.json`` (the simulator's shell must print the same).

    python -m tests.kernel.multihost.reference        # root; a few seconds

The lines run as a `MultiCase` would (see real.py): prefix-less lines in a fresh namespace that
stands in for the machine's root, so nothing on this machine changes. Normalized: the namespace
prefix (``nstui-<pid>-<rand>-``) is removed; MACs iproute2 chose at random become ``<mac-N>`` (the
same MAC keeps its N through the file); ping's timings are ``<t>``/``<rtt>``, iptables-save's date
``<date>``, conntrack's ICMP ``id=`` (ping's random identifier) ``id=<id>``. Interface indexes are
not normalized: every namespace is fresh, so they are what a fresh machine shows. Artefact of the
root substitute: iproute2 names the peer of a veth in the root ``link-netns root`` where a real root
(which has no name) shows ``link-netnsid 0``.
"""

from __future__ import annotations

import json
import platform
import re
import sys
from pathlib import Path
from typing import Any

from .case import MultiCase
from .real import Lab, cached_reason, cleanup_stale

OUT = Path(__file__).with_name("reference_outputs.json")

WALKTHROUGH: tuple[str, ...] = (
    "ip netns add test_ns",
    "ip netns list",
    "ip link add veth0 type veth peer name veth1",
    "ip link set veth1 netns test_ns",
    "ip netns list",
    "ip addr add 10.0.0.1/24 dev veth0",
    "ip netns exec test_ns ip addr add 10.0.0.2/24 dev veth1",
    "ip link set veth0 up",
    "ip netns exec test_ns ip link set veth1 up",
    "ping -c 1 10.0.0.2",
    "ip netns exec test_ns ping -c 1 10.0.0.1",
    "ip netns exec test_ns ip route add default via 10.0.0.1",
    "ip netns exec test_ns ip route",
    "ip netns exec test_ns ip addr",
    "ip -br addr",
    "ip -br link",
    "ip neigh",
    "ip netns exec test_ns ip neigh",
    "ip netns identify",
    "ip netns exec test_ns ip netns identify",
    # a bridge in the root
    "ip link add br0 type bridge",
    "ip link add veth2 type veth peer name veth3",
    "ip link set veth2 master br0",
    "ip link set br0 up",
    "ip link set veth2 up",
    "ip link set veth3 up",
    "bridge link",
    "bridge fdb show",
    "ip -br link",
    # give test_ns the Internet: an uplink eth0 to a namespace owning 8.8.8.8
    "ip netns add inet",
    "ip link add eth0 type veth peer name eth0 netns inet",
    "ip addr add 203.0.113.2/24 dev eth0",
    "ip link set eth0 up",
    "ip netns exec inet ip addr add 203.0.113.1/24 dev eth0",
    "ip netns exec inet ip link set eth0 up",
    "ip netns exec inet ip link set lo up",
    "ip netns exec inet ip addr add 8.8.8.8/32 dev lo",
    "ip route add default via 203.0.113.1",
    "ip netns exec test_ns ping -c 1 -W 1 8.8.8.8",
    "sysctl -w net.ipv4.ip_forward=1",
    "ip netns exec test_ns ping -c 1 -W 1 8.8.8.8",
    "iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o eth0 -j MASQUERADE",
    "ip netns exec test_ns ping -c 1 8.8.8.8",
    "conntrack -L",
    "iptables -t nat -L POSTROUTING -v -n",
    "iptables-save -t nat",
    # errors
    "ip link set veth3 netns missing_ns",
    "ip link add veth4 type veth peer name veth0",
    "ip link set veth0 master veth3",
    "ip link set veth0 master nosuchbr",
    "ip netns add test_ns",
    "ip netns del test_ns",
    "ip netns del test_ns",
    "ip netns exec test_ns ip addr",
    "ip netns list",
    "ip link show veth0",
)


def main(argv: list[str]) -> int:
    reason = cached_reason()
    if reason:
        print(f"cannot record: {reason}", file=sys.stderr)
        return 1
    cleanup_stale()
    lab = Lab(MultiCase(name="reference", commands=WALKTHROUGH), strict=False)
    try:
        lab.setup()
    finally:
        lab.destroy()
    entries: list[dict[str, Any]] = []
    for res in lab.obs.setup:
        stdout = re.sub(r"\bid=\d+", "id=<id>", res.stdout) if res.line.startswith("conntrack") else res.stdout
        entries.append({"command": res.line, "exit": res.exit, "stdout": stdout, "stderr": res.stderr})
    data = {
        "generated_by": "python -m tests.kernel.multihost.reference",
        "kernel": platform.release(),
        "normalization": (__doc__ or "").split("Normalized:", 1)[1].strip(),
        "outputs": entries,
    }
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT} ({len(entries)} commands)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
