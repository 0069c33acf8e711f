"""Pure rendering helpers: iptables columns, bars, the hexdump's changed bytes, the summary text."""

from __future__ import annotations

import pytest

from netstack_tui.kernel import wire
from netstack_tui.kernel.packet import parse_packet
from netstack_tui.tui.model import ViewState, escape
from netstack_tui.tui.screens.summary import summary_text
from netstack_tui.tui.widgets.stage_views import bar, render_body, rule_columns

from .conftest import make_session


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
            ("tcp", "--", "*", "*", "0.0.0.0/0", "0.0.0.0/0", "tcp dpt:22"),
        ),
        ("-A INPUT -i lo -j ACCEPT", ("all", "--", "lo", "*", "0.0.0.0/0", "0.0.0.0/0", "")),
        ("-A INPUT -s 10.0.0.0/8 ! -d 10.0.0.1/32 -j DROP", ("all", "--", "*", "*", "10.0.0.0/8", "!10.0.0.1/32", "")),
        (
            "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            ("all", "--", "*", "*", "0.0.0.0/0", "0.0.0.0/0", "ctstate RELATED,ESTABLISHED"),
        ),
    ],
)
def test_rule_columns_read_like_iptables_list(rule: str, expected: tuple[str, ...]) -> None:
    """An `iptables -S` rule splits into the columns `iptables -L -v -n` prints."""
    assert rule_columns(rule) == expected


def test_bar_fills_in_proportion() -> None:
    """Bars are as wide as asked, and anything non-zero shows at least one filled cell."""
    assert bar(0, 10, 10) == "░" * 10
    assert bar(5, 10, 10) == "█" * 5 + "░" * 5
    assert bar(1, 1000, 10).startswith("█")


def test_escape_protects_tcp_flags() -> None:
    """`[S]` is text, not a markup tag."""
    assert escape("[S]") == "\\[S]"


def test_ttl_and_nat_changes_mark_bytes() -> None:
    """Changing TTL changes the TTL byte and the IP checksum; nothing else."""
    pkt, _ = parse_packet("tcp 10.0.0.2:40000 > 10.0.0.1:80 [S]")
    pkt = pkt.replace(iif="eth0")
    before, after = wire.frame_bytes(pkt), wire.frame_bytes(pkt.replace(ttl=63))
    changed = wire.changed_offsets(before, after)
    assert 14 + 8 in changed  # the TTL byte
    assert changed <= {14 + 8, 14 + 10, 14 + 11}  # TTL and the header checksum


def test_every_step_of_the_journey_renders() -> None:
    """Each step's view renders in both languages at both widths without errors."""
    session = make_session()
    trace = session.trace
    assert trace is not None
    for reply in (trace, *trace.replies):
        for i, step in enumerate(reply.steps):
            for lang in ("en", "ru"):
                for width in (50, 120):
                    assert render_body(step, ViewState(trace=reply, index=i, lang=lang), width)


def test_summary_names_the_deciding_rule() -> None:
    """The packet-tracer summary lists phases, the INPUT rule that accepted, and the action."""
    session = make_session()
    text = summary_text(session.trace, "en")  # type: ignore[arg-type]
    assert "Phase: 1" in text and "--dport 80 -j ACCEPT" in text and "Action:" in text


def _dropped_session(extra: list[str]) -> object:
    from netstack_tui.commands.session import Session

    from .conftest import PACKETS, SETUP

    session = Session([*SETUP, *extra], PACKETS)
    session.next_packet()
    assert not session.setup_errors, session.setup_errors
    return session


def test_a_drop_on_the_input_path_leaves_the_socket_unreached() -> None:
    """Dropped in filter/INPUT: the rest of the INPUT path (through socket lookup and the application) is unreached."""
    from netstack_tui.tui.model import journey_path, unreached_stages

    session = _dropped_session(["iptables -I INPUT 1 -p tcp --dport 80 -j DROP"])
    trace = session.trace  # type: ignore[attr-defined]
    assert journey_path(trace) == "input"
    ids = [s.id for s in unreached_stages(trace)]
    assert ids[-2:] == ["socket", "app"]
    assert "input.filter" not in ids and not any(i.startswith(("forward", "postrouting", "tx")) for i in ids)


def test_a_drop_on_the_forward_path_leaves_postrouting_and_tx_unreached() -> None:
    """Dropped in filter/FORWARD: POSTROUTING and TX are unreached, the socket is not on that path."""
    from netstack_tui.commands.session import NamedPacket, Session
    from netstack_tui.tui.model import journey_path, unreached_stages

    session = Session(
        [
            "ip addr add 10.0.0.1/24 dev eth0",
            "ip link add eth1 type dummy",
            "ip link set eth1 up",
            "ip addr add 192.168.1.1/24 dev eth1",
            "sysctl -w net.ipv4.ip_forward=1",
            "iptables -P FORWARD DROP",
        ],
        [NamedPacket("fwd", "tcp 10.0.0.7:40000 > 192.168.1.9:80 [S] iface=eth0")],
    )
    session.next_packet()
    trace = session.trace
    if session.setup_errors or str(trace.disposition) != "dropped":
        pytest.skip(f"this kernel cannot build the forwarding setup: {session.setup_errors or trace.disposition}")
    assert journey_path(trace) == "forward"
    groups = {s.group for s in unreached_stages(trace)}
    assert trace.steps[-1].stage == "forward.filter"
    assert {"POSTROUTING", "TX"} <= groups and "socket" not in groups


def test_a_delivered_journey_has_nothing_unreached() -> None:
    """A journey that ends in delivery has no unreached stages."""
    from netstack_tui.tui.model import unreached_stages

    assert unreached_stages(make_session().trace) == ()


@pytest.mark.parametrize(
    ("where", "ru"),
    [
        ("rule 4", "правило 4"),
        ("policy", "политика"),
        (
            "inet filter input: rule 2, handle 7 in chain web",
            "inet filter input: правило 2, дескриптор 7 в цепочке web",
        ),
    ],
)
def test_kernel_where_words_are_localised(where: str, ru: str) -> None:
    """The kernel's English `where` values (`rule N`, `policy`, nft handles) read in Russian; English is untouched."""
    from netstack_tui.tui.model import localise_params

    assert localise_params({"where": where}, "ru")["where"] == ru
    assert localise_params({"where": where}, "en")["where"] == where
