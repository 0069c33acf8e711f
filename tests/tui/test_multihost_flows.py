"""Pilot tests of a journey that crosses namespaces: the pipeline heads each namespace it visits, the
summary goes host by host, and the command line can enter a namespace and says so."""

from __future__ import annotations

from netstack_tui.commands.session import NamedPacket, Session
from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.screens.summary import summary_text
from netstack_tui.tui.widgets.command_line import CommandLine
from netstack_tui.tui.widgets.pipeline import PipelineView

from .conftest import FakeScenario
from .test_flows import main_screen
from .test_learner_flows import type_line

SETUP = [
    "ip addr add 10.0.0.1/24 dev eth0",
    "ip route add default via 10.0.0.254",
    "ip netns add web",
    "ip link add veth0 type veth peer name eth0 netns web",
    "ip addr add 172.16.0.1/24 dev veth0",
    "ip link set veth0 up",
    "ip -n web addr add 172.16.0.2/24 dev eth0",
    "ip -n web link set eth0 up",
    "ip -n web route add default via 172.16.0.1",
    "sysctl -w net.ipv4.ip_forward=1",
    "iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 80 -j DNAT --to-destination 172.16.0.2:80",
    "ip netns exec web listen tcp 0.0.0.0:80 --app nginx",
]
"""A host that forwards port 80 to a web server in its own namespace, over a veth pair."""

PACKETS = [NamedPacket("visitor", "tcp 203.0.113.7:51000 > 10.0.0.1:80 [S] iface=eth0")]


def make_app() -> NetstackApp:
    session = Session(SETUP, PACKETS)
    assert not session.setup_errors, session.setup_errors
    session.next_packet()
    scenario = FakeScenario(id="test-dnat-netns", setup=list(SETUP), packets=list(PACKETS))
    return NetstackApp(scenario_obj=scenario, session=session)


async def test_the_pipeline_heads_each_namespace_the_packet_visits() -> None:
    """The SYN is DNATed by the host and delivered in `web`: the pipeline shows a heading for each
    namespace, in that order, and the steps under `web` are web's own."""
    app = make_app()
    async with app.run_test(size=(120, 40)):
        screen = main_screen(app)
        trace = screen.state.trace
        assert trace is not None and str(trace.disposition) == "delivered"
        rows = screen.query_one(PipelineView).rows
        heads = [row.text for row in rows if row.kind == "host"]
        assert heads == ["⌂ host (root ns)", "⌂ web"]
        web_steps = [s for s in trace.steps if s.host == "web"]
        assert web_steps and web_steps[0].stage == "veth" and web_steps[-1].stage == "socket"


def test_the_summary_goes_host_by_host() -> None:
    """The packet-tracer summary names each namespace before its phases."""
    session = Session(SETUP, PACKETS)
    trace = session.next_packet()
    assert trace is not None
    text = summary_text(trace, "en")
    assert text.index("Namespace: host") < text.index("Namespace: web")


async def test_commands_entered_in_a_namespace_run_there() -> None:
    """`ip netns exec web bash` moves the command line into `web` (the prompt says so); commands run
    there until `exit`."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("colon")
        await type_line(pilot, "ip netns exec web bash")
        command = screen.query_one(CommandLine)
        assert command.placeholder.startswith("web# ")
        await type_line(pilot, "ip netns identify")
        log = list(screen.query_one("#shell-log").lines)  # type: ignore[attr-defined]
        assert log[-1] == "web"
        await type_line(pilot, "exit")
        assert not command.placeholder.startswith("web# ")
