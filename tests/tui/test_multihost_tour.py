"""Pilot tours across namespaces: a packet stepped from one namespace over a bridge to another and
back, commands run in a namespace chosen on the topology, name completion, and the path strip that
shows the whole journey on one line at 80×24 (with SVG snapshots of it at both sizes)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netstack_tui.commands.session import NamedPacket, Session
from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.screens.main import MainScreen
from netstack_tui.tui.screens.topology import TopologyScreen
from netstack_tui.tui.widgets.command_line import CommandLine, NameBook, complete_name
from netstack_tui.tui.widgets.path_strip import PathStrip
from netstack_tui.tui.widgets.pipeline import PipelineView

from .conftest import FakeScenario, make_session
from .test_flows import main_screen
from .test_learner_flows import type_line

SETUP = [
    "ip link add br0 type bridge",
    "ip addr add 10.0.0.254/24 dev br0",
    "ip link set br0 up",
    "ip netns add red",
    "ip netns add blue",
    "ip link add veth-red type veth peer name eth0 netns red",
    "ip link add veth-blue type veth peer name eth0 netns blue",
    "ip link set veth-red master br0",
    "ip link set veth-blue master br0",
    "ip link set veth-red up",
    "ip link set veth-blue up",
    "ip -n red addr add 10.0.0.1/24 dev eth0",
    "ip -n blue addr add 10.0.0.2/24 dev eth0",
    "ip -n red link set eth0 up",
    "ip -n blue link set eth0 up",
    "ip -n red link set lo up",
    "ip -n blue link set lo up",
    "ip netns exec blue listen tcp 0.0.0.0:80 --app nginx",
    "iptables -A FORWARD -i br0 -o br0 -j ACCEPT",
]
"""Two namespaces, red (10.0.0.1) and blue (10.0.0.2, nginx on :80), cabled by veths into a bridge
br0 in the root namespace (10.0.0.254), whose FORWARD chain accepts bridged traffic (br_netfilter
hands bridged frames to iptables)."""

PACKETS = [NamedPacket("from-root", "tcp 10.0.0.254:45000 > 10.0.0.2:80 [S]")]
"""The scenario's packet, sent in the root namespace (over br0 to blue)."""

RED_SYN = "tcp 10.0.0.1:40000 > 10.0.0.2:80 [S]"
"""The SYN the learner sends from red once the command line is in red."""


def make_app() -> NetstackApp:
    """The explorer on the bridge session, its scenario packet sent."""
    session = Session(SETUP, PACKETS)
    assert not session.setup_errors, session.setup_errors
    session.next_packet()
    title = {"en": "Test: red to blue over br0", "ru": "Тест: из red в blue через br0"}
    scenario = FakeScenario(id="test-bridge-tour", title=title, setup=list(SETUP), packets=list(PACKETS))
    return NetstackApp(scenario_obj=scenario, session=session, theme="dark")


def hosts_in_order(screen: MainScreen) -> list[str]:
    """The namespaces the shown journey visits, in order, each once per visit."""
    assert screen.state.trace is not None
    hosts: list[str] = []
    for step in screen.state.trace.steps:
        if not hosts or hosts[-1] != step.host:
            hosts.append(step.host)
    return hosts


async def test_a_syn_from_red_crosses_the_bridge_to_blue_and_the_reply_comes_back() -> None:
    """Entering red and typing `send` makes red's SYN the journey: → steps it out of red, through the
    root's bridge and into blue's socket, the pipeline heading each namespace as the step reaches it
    and the path strip marking it; `a` then follows the SYN-ACK from blue back over the bridge to red."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("colon")
        await type_line(pilot, "ip netns exec red bash")
        await type_line(pilot, f"send {RED_SYN}")
        await pilot.press("escape")
        assert hosts_in_order(screen) == ["red", "host", "blue"]
        pipeline, strip = screen.query_one(PipelineView), screen.query_one(PathStrip)
        trace = screen.state.trace
        assert trace is not None
        seen: list[str] = []
        while not screen.state.at_end:
            await pilot.press("right")
            step = screen.state.step
            assert step is not None
            if not seen or seen[-1] != step.host:
                seen.append(step.host)
                # The pipeline shows this namespace's heading above the current step.
                line = pipeline.line_of_step(screen.state.index)
                heads = [row for row in pipeline.rows[:line] if row.kind == "host"]
                assert heads[-1].text.endswith(step.host if step.host != "host" else "(root ns)")
            current = [p for p in strip.pieces if p.style == "path-strip--current"]
            assert len(current) == 1 and current[0].text.startswith("▶")
        assert seen == ["red", "host", "blue"]
        assert str(trace.disposition) == "delivered" and (trace.delivered_to or "").startswith("nginx")
        assert any(s.stage == "bridge" for s in trace.steps if s.host == "host")
        await pilot.press("a")
        assert screen.state.reply == 1
        assert hosts_in_order(screen) == ["blue", "host", "red"]
        await pilot.press("end")
        reply = screen.state.trace
        assert reply is not None and reply.steps[-1].host == "red" and str(reply.disposition) == "delivered"
        assert "blue:" in strip.text and "red:" in strip.text and strip.text.index("blue:") < strip.text.index("red:")


async def test_x_on_the_topology_runs_commands_in_the_selected_namespace() -> None:
    """`w`, ↓ until blue is selected, `x`: back on the explorer with the command line focused and its
    prompt saying `blue# `; `ip addr` then answers with blue's address, and `exit` goes back to the root."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("w")
        topo = app.screen
        assert isinstance(topo, TopologyScreen)
        assert "x" in str(topo.query_one("#topo-status").render())  # the key is said on screen
        while topo.selected != "blue":
            await pilot.press("down")
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen
        command = screen.query_one(CommandLine)
        assert command.has_focus and command.placeholder.startswith("blue# ")
        assert screen.session is not None and screen.session.shell.namespace == "blue"
        await type_line(pilot, "ip -4 addr show dev eth0")
        log = "\n".join(screen.query_one("#shell-log").lines)  # type: ignore[attr-defined]
        assert "10.0.0.2/24" in log
        await type_line(pilot, "exit")
        assert not command.placeholder.startswith("blue# ")


def test_session_enter_namespace_moves_the_shell() -> None:
    """`Session.enter_namespace` puts the shell in a namespace, None (or the root's name) takes it back,
    and an unknown name is a KeyError."""
    session = Session(SETUP, PACKETS)
    session.enter_namespace("red")
    assert session.shell.namespace == "red"
    assert session.run_command("ip netns identify").output.strip() == "red"
    session.enter_namespace(None)
    assert session.shell.namespace is None
    session.enter_namespace("red")
    session.enter_namespace("host")
    assert session.shell.namespace is None
    with pytest.raises(KeyError):
        session.enter_namespace("green")


BOOK = NameBook(
    namespaces=("blue", "red"),
    interfaces=(
        ("", ("lo", "eth0", "br0", "veth-red", "veth-blue")),
        ("red", ("lo", "eth0")),
        ("blue", ("lo", "eth0")),
    ),
    here="red",
)


@pytest.mark.parametrize(
    ("typed", "completed"),
    [
        ("ip netns exec b", "ip netns exec blue"),
        ("ip -n r", "ip -n red"),
        ("ip link set veth-red netns b", "ip link set veth-red netns blue"),
        ("ip addr add 10.0.0.9/24 dev e", "ip addr add 10.0.0.9/24 dev eth0"),  # red's own interfaces
        ("ip addr add 10.0.0.9/24 dev b", None),  # br0 is the root's, not red's
        ("ip netns exec host ip link set veth-b", None),  # `host` is no netns name
        ("ip -n blue link set e", "ip -n blue link set eth0"),
        ("ip netns exec blue iptables -A INPUT -i l", "ip netns exec blue iptables -A INPUT -i lo"),
        ("tcpdump -i a", "tcpdump -i any"),
        ("iptables -I IN", None),  # -I inserts a rule; only ping's -I takes an interface
        ("ip netns ", None),  # a subcommand comes next, not a name
    ],
)
def test_completion_knows_namespaces_and_interfaces(typed: str, completed: str | None) -> None:
    """Namespace names after `ip netns exec`, `ip -n` and `netns`; interface names (of the namespace the
    command runs in) after `dev`, `-i`, `-o`, `master` and `ip link set`."""
    assert complete_name(typed, BOOK) == completed


async def test_the_command_line_completes_names_of_the_live_world() -> None:
    """After entering red, typing `ip link set e` offers red's `eth0` and Tab takes it; `ip netns exec b`
    offers `blue`."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("colon")
        await type_line(pilot, "ip netns exec red bash")
        command = screen.query_one(CommandLine)
        assert command.names.here == "red" and command.names.namespaces == ("blue", "red")
        for text, expected in (("ip link set e", "ip link set eth0"), ("ip netns exec b", "ip netns exec blue")):
            command.value = ""
            await pilot.press(*text)
            await pilot.pause()
            await pilot.press("tab")
            assert command.value == expected


# ---- the path strip --------------------------------------------------------------------------


async def test_the_strip_shows_every_hook_of_the_default_packet_at_80x24() -> None:
    """At 80×24, on the first screen, the strip names every group the incoming SYN crosses, NIC to the
    socket, in order, with the first one marked ▶; stepping moves the mark and nothing else."""
    app = NetstackApp(theme="dark", scenario_obj=FakeScenario(), session=make_session())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        strip = screen.query_one(PathStrip)
        assert strip.text == "Path: ▶NIC › skb › IP › PREROUTING › routing › INPUT › socket"
        assert strip.region.y == 1 and strip.region.width == 80
        screen.index = next(i for i, s in enumerate(screen.state.trace.steps) if s.stage == "input.filter")  # type: ignore[union-attr]
        await pilot.pause()
        assert strip.text == "Path: NIC › skb › IP › PREROUTING › routing › ▶INPUT › socket"
        styles = {p.text: p.style for p in strip.pieces}
        assert styles["PREROUTING"] == "path-strip--passed" and styles["socket"] == "path-strip--pending"


async def test_the_walkthroughs_hooks_are_all_on_the_first_screen() -> None:
    """The shipped walkthrough (tour-incoming) at 80×24: PREROUTING, routing, INPUT and the socket are
    all in the strip before the first step."""
    from netstack_tui.tui import library

    scenario, _ = library.load(None)
    app = NetstackApp(theme="dark", scenario_obj=scenario, session=library.session_for(scenario))
    async with app.run_test(size=(80, 24)):
        text = main_screen(app).query_one(PathStrip).text
        for hook in ("▶NIC", "PREROUTING", "routing", "INPUT", "socket"):
            assert hook in text


async def test_a_three_namespace_strip_fits_80_columns_and_never_cuts_the_current_group() -> None:
    """Red's SYN to blue at 80×24: the strip names all three namespaces in order, joined by ⇒, on two
    lines (the second starting where the packet enters blue); at every step it fits the width, the
    current group appears whole after ▶, and every namespace stays named."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        assert screen.session is not None
        await pilot.press("colon")
        await type_line(pilot, "ip netns exec red bash")
        await type_line(pilot, f"send {RED_SYN}")
        await pilot.press("escape")
        strip = screen.query_one(PathStrip)
        trace = screen.state.trace
        assert trace is not None
        # Too long for one line even abbreviated: two lines, cut where the packet enters blue.
        assert strip.text.startswith("red: ") and " ⇒ host: " in strip.text and "\n⇒ blue: " in strip.text
        assert strip.region.height == 2
        for i in range(len(trace.steps)):
            screen.index = i
            await pilot.pause()
            text = strip.text
            assert all(len(line) <= strip.content_region.width for line in text.splitlines())
            segment = next(s for s in strip.segments if s.first <= i <= s.last)
            current = [p for p in strip.pieces if p.style == "path-strip--current"]
            full = screen.state.t(f"ui.grouphead.{segment.group}")
            assert [p.text for p in current] == ["▶" + (segment.group if full.startswith("ui.") else full)]
            assert [n for n in ("red:", "host:", "blue:") if n in text] == ["red:", "host:", "blue:"]


async def test_a_drop_marks_its_group_and_the_groups_never_reached() -> None:
    """A DROP in blue's INPUT: once stepped there the group shows ✗ (error style, reversed), and
    the socket after it is ⊘, never reached."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("colon")
        await type_line(pilot, "ip netns exec blue iptables -A INPUT -p tcp --dport 80 -j DROP")
        await pilot.press("escape")
        await pilot.press("end")
        strip = screen.query_one(PathStrip)
        dropped = [p for p in strip.pieces if p.style == "path-strip--dropped-current"]
        assert [p.text for p in dropped] == ["✗INPUT"]
        assert any(p.style == "path-strip--unreached" and p.text == "⊘socket" for p in strip.pieces)


async def test_clicking_a_group_jumps_to_its_first_step() -> None:
    """A click on `routing` in the strip shows the routing decision."""
    app = NetstackApp(theme="dark", scenario_obj=FakeScenario(), session=make_session())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        strip = screen.query_one(PathStrip)
        x = 1 + strip.text.index("routing")
        await pilot.click(PathStrip, offset=(x, 0))
        step = screen.state.step
        assert step is not None and step.stage == "route_input"


# ---- snapshots -------------------------------------------------------------------------------

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 50), id="160x50")]


@pytest.mark.parametrize("size", SIZES)
def test_path_strip_across_three_namespaces(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """Red's SYN to blue, at the root's bridged FORWARD › filter. Under the status line, the path strip
    names every group the SYN crosses, namespace by namespace: `red: OUTPUT›POST›TX ⇒ host: link›skb›
    bridge›PRE›bridge›▶FORWARD›POST›TX`, then on a second line `⇒ blue: link›skb›IP›PRE›routing›INPUT›
    socket` at 80×24; one line with spaced separators at 160×50. The root's FORWARD is whole, reversed
    in the accent colour and marked ▶; red's groups and the root's before it are passed (success
    colour); the rest is still to come (dim). The pipeline's FORWARD › filter (bridged) row is current,
    and the stage shows the root's FORWARD chain with rule 1 (`-i br0 -o br0 ACCEPT`) matching."""

    async def run_before(pilot: object) -> None:
        app: NetstackApp = pilot.app  # type: ignore[attr-defined]
        screen = main_screen(app)
        await pilot.press("colon")  # type: ignore[attr-defined]
        await type_line(pilot, "ip netns exec red bash")  # type: ignore[arg-type]
        await type_line(pilot, f"send {RED_SYN}")  # type: ignore[arg-type]
        await pilot.press("escape")  # type: ignore[attr-defined]
        steps = screen.state.trace.steps  # type: ignore[union-attr]
        screen.index = next(i for i, s in enumerate(steps) if s.stage == "bridge.forward.filter")
        screen.show_tab("stage")
        app.clear_notifications()
        await pilot.pause()  # type: ignore[attr-defined]

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
