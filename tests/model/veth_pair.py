"""Two namespaces, `a` (10.0.0.1 on va) and `b` (10.0.0.2 on vb), joined by a veth pair: the
smallest world a TCP exchange between two kernels needs."""

from __future__ import annotations

from netstack_tui.commands.shell import Shell

PAIR = ["ip netns add a", "ip netns add b", "ip link add va type veth peer name vb", "ip link set va netns a",
        "ip link set vb netns b", "ip -n a addr add 10.0.0.1/24 dev va", "ip -n b addr add 10.0.0.2/24 dev vb",
        "ip -n a link set va up", "ip -n b link set vb up"]


def pair_shell(*lines: str) -> Shell:
    """A shell over the pair, with `lines` run after it (each must succeed)."""
    sh = Shell()
    for line in [*PAIR, *lines]:
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh
