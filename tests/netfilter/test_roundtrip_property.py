"""Property: printing a parsed rule and parsing the print gives the same print (parse ∘ print)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from netstack_tui.kernel.netfilter.command import run_iptables
from netstack_tui.kernel.netfilter.restore import split_line
from netstack_tui.kernel.netfilter.table import Ruleset

octet = st.integers(0, 255)
address = st.builds(lambda a, b, c, d, n: f"{a}.{b}.{c}.{d}/{n}", octet, octet, octet, octet, st.integers(0, 32))
port = st.integers(0, 65535)
port_range = st.one_of(port.map(str), st.tuples(port, port).map(lambda t: f"{min(t)}:{max(t)}"))
neg = st.sampled_from(["", "! "])
states = st.lists(st.sampled_from(["NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED"]), min_size=1, unique=True)


@st.composite
def rules(draw: st.DrawFn) -> str:
    """A random but valid INPUT rule in iptables syntax."""
    parts = []
    if draw(st.booleans()):
        addr = draw(address)
        # The kernel refuses a negated /0 (it could never match), so only positive ones here.
        parts.append(f"{'' if addr.endswith('/0') else draw(neg)}-s {addr}")
    if draw(st.booleans()):
        addr = draw(address)
        # The kernel refuses a negated /0 (it could never match), so only positive ones here.
        parts.append(f"{'' if addr.endswith('/0') else draw(neg)}-d {addr}")
    if draw(st.booleans()):
        parts.append(f"{draw(neg)}-i {draw(st.sampled_from(['eth0', 'eth+', 'lo', 'wg0']))}")
    proto = draw(st.sampled_from(["", "tcp", "udp", "icmp"]))
    if proto:
        parts.append(f"-p {proto}")
    if proto in ("tcp", "udp") and draw(st.booleans()):
        parts.append(f"{draw(neg)}--dport {draw(port_range)}")
    if proto in ("tcp", "udp") and draw(st.booleans()):
        ports = draw(st.lists(port, min_size=1, max_size=7, unique=True))
        parts.append(f"-m multiport {draw(neg)}--dports {','.join(map(str, ports))}")
    if proto == "tcp" and draw(st.booleans()):
        parts.append(f"{draw(neg)}--syn")
    if proto == "icmp" and draw(st.booleans()):
        parts.append(f"--icmp-type {draw(st.sampled_from(['echo-request', 'any', '3/4', '11']))}")
    if draw(st.booleans()):
        parts.append(f"-m conntrack {draw(neg)}--ctstate {','.join(draw(states))}")
    if draw(st.booleans()):
        parts.append(f"-m mark {draw(neg)}--mark {draw(st.integers(0, 2**32 - 1)):#x}")
    if draw(st.booleans()):
        parts.append(
            f"-m limit --limit {draw(st.integers(1, 1000))}/{draw(st.sampled_from(['sec', 'min', 'hour', 'day']))}"
        )
    if draw(st.booleans()):
        parts.append(f'-m comment --comment "{draw(st.text("ab c-_", max_size=10))}"')
    parts.append(
        draw(
            st.sampled_from(
                ["-j ACCEPT", "-j DROP", "-j REJECT", '-j LOG --log-prefix "x: "', "-j MARK --set-mark 0x3/0xff", ""]
            )
        )
    )
    return " ".join(p for p in parts if p)


def printed(rule: str) -> str:
    """The rule as `iptables -S INPUT` prints it after `iptables -A INPUT rule`."""
    ruleset = Ruleset()
    run_iptables(ruleset, ["-A", "INPUT", *split_line(rule)])
    return run_iptables(ruleset, ["-S", "INPUT"]).splitlines()[1]


@settings(max_examples=300, deadline=None)
@given(rules())
def test_print_parse_print_is_stable(rule: str) -> None:
    """Re-parsing the canonical text reproduces it exactly."""
    first = printed(rule)
    assert printed(first.removeprefix("-A INPUT").strip()) == first
