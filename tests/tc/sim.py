"""The simulator side of the tc tests: a shell with the veth pair the real recordings used."""

from __future__ import annotations

from netstack_tui.commands.shell import Shell

PAIR = ("ip link add va type veth peer name vb", "ip addr add 10.9.0.1/24 dev va", "ip link set va up",
        "ip link set vb up", "ip neigh add 10.9.0.2 lladdr 02:00:00:00:00:09 dev va")
DATAGRAM = "send udp 10.9.0.1:4000 > 10.9.0.2:9 len=1000"
"""A 1000-byte UDP payload: a 1042-byte frame, as the real burst's sendto() makes."""


def pair_shell(*setup: str) -> Shell:
    """A shell with va/vb up and the commands run (each must succeed)."""
    sh = Shell()
    for line in (*PAIR, *setup):
        result = sh.run(line)
        assert result.status == 0, (line, result.output)
    return sh


def burst(sh: Shell, count: int) -> list[str]:
    """`count` datagrams out of va at one instant; each one's outcome line."""
    return [sh.run(DATAGRAM).output.splitlines()[0] for _ in range(count)]


def counters(text: str) -> tuple[int, int, int, int]:
    """(sent pkt, dropped, backlog pkt, overlimits) of the first qdisc in `tc -s qdisc show`."""
    words = text.replace(",", " ").replace("(", " ").replace(")", " ").split()
    sent = int(words[words.index("Sent") + 3])
    dropped = int(words[words.index("dropped") + 1])
    overlimits = int(words[words.index("overlimits") + 1])
    backlog = int(words[words.index("backlog") + 2].rstrip("p"))
    return sent, dropped, backlog, overlimits
