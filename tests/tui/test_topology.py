"""The topology view: namespaces as boxes with their devices, cables between them, the packet's marker
moving with the step, the hops it took, where it died, selection by key and click, a namespace's
details, the compact form for big worlds, and SVG snapshots at 80×24 and 160×50."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.message import Message

from netstack_tui.commands.session import NamedPacket, Session
from netstack_tui.kernel.world import World
from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.screens.main import MainScreen
from netstack_tui.tui.screens.topology import TopologyScreen, namespace_details
from netstack_tui.tui.widgets.topology import (
    TopologyState,
    TopologyView,
    journey_position,
    layout_boxes,
    layout_compact,
    world_topology,
)

from .conftest import FakeScenario

SETUP = [
    "ip netns add web",
    "ip netns add db",
    "ip link add br0 type bridge",
    "ip addr add 172.18.0.1/24 dev br0",
    "ip link set br0 up",
    "ip link add veth-web type veth peer name eth0 netns web",
    "ip link add veth-db type veth peer name eth0 netns db",
    "ip link set veth-web master br0",
    "ip link set veth-db master br0",
    "ip link set veth-web up",
    "ip link set veth-db up",
    "ip netns exec web ip addr add 172.18.0.2/24 dev eth0",
    "ip netns exec web ip link set eth0 up",
    "ip netns exec web ip route add default via 172.18.0.1",
    "ip netns exec db ip addr add 172.18.0.3/24 dev eth0",
    "ip netns exec db ip link set eth0 up",
    "ip netns exec db ip route add default via 172.18.0.1",
    "ip netns exec web listen tcp 0.0.0.0:80 --app nginx",
    "ip netns exec db listen tcp 0.0.0.0:5432 --app postgres",
    "ip netns exec db iptables -A INPUT -p tcp --dport 5432 -j DROP",
    "sysctl -w net.ipv4.ip_forward=1",
    "iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80",
    "iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 5432 -j DNAT --to-destination 172.18.0.3:5432",
    "iptables -t nat -A POSTROUTING -s 172.18.0.0/24 -o eth0 -j MASQUERADE",
]
"""A connected host with a bridge and two containers: nginx in `web`, postgres behind a DROP in `db`."""

PACKETS = [
    NamedPacket("web", "tcp 203.0.113.7:51000 > 192.168.1.10:8080 [S] iface=eth0"),
    NamedPacket("db", "tcp 203.0.113.7:51001 > 192.168.1.10:5432 [S] iface=eth0"),
]

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 50), id="160x50")]


def make_session(packet: int = 0) -> Session:
    """The two-container session with packet `packet` sent."""
    session = Session(SETUP, PACKETS, host=World.connected().root)
    assert not session.setup_errors, session.setup_errors
    for _ in range(packet + 1):
        session.next_packet()
    return session


def make_app(packet: int = 0, theme: str = "dark", lang: str = "en") -> NetstackApp:
    """The explorer over the two-container session."""
    scenario = FakeScenario(id="test-containers", setup=list(SETUP), packets=list(PACKETS))
    return NetstackApp(lang=lang, theme=theme, scenario_obj=scenario, session=make_session(packet))


def step_of(session: Session, host: str, stage: str) -> int:
    """The first step of the journey in namespace `host` at `stage`."""
    assert session.trace is not None
    return next(i for i, s in enumerate(session.trace.steps) if s.host == host and s.stage == stage)


def big_world() -> Session:
    """Fifty namespaces on one bridge, none of them sent anything: for the compact form."""
    setup = ["ip link add br0 type bridge", "ip link set br0 up"]
    for i in range(50):
        setup += [f"ip netns add c{i:02d}", f"ip link add v{i:02d} type veth peer name eth0 netns c{i:02d}",
                  f"ip link set v{i:02d} master br0",
                  f"ip netns exec c{i:02d} ip addr add 10.1.{i}.2/24 dev eth0"]
    session = Session(setup, [NamedPacket("syn", "tcp 203.0.113.7:51000 > 192.168.1.10:22 [S] iface=eth0")],
                      host=World.connected().root)
    assert not session.setup_errors, session.setup_errors
    session.next_packet()
    return session


# ---- the pure layers -------------------------------------------------------------------------------


def test_namespaces_are_ordered_outside_root_then_containers() -> None:
    """`internet` sits left of the root (over its wire), the containers right of it in the bridge's port order."""
    world = make_session().shell.world
    namespaces = world_topology(world.graph(), world.label(world.root))
    assert [(n.name, n.column) for n in namespaces] == [("internet", -1), ("host", 0), ("web", 1), ("db", 1)]
    host = namespaces[1]
    assert [d.name for d in host.devices] == ["eth0", "br0", "veth-web", "veth-db"]  # lo holds only 127.0.0.1
    internet = namespaces[0]
    lo = internet.device("lo")
    assert lo is not None and "8.8.8.8/32" in lo.addresses and all(not a.startswith("127.") for a in lo.addresses)
    assert namespaces[2].via == ("host", "veth-web", "eth0")


def test_boxes_show_devices_addresses_ports_and_cables() -> None:
    """Every namespace is a box titled with its name; the bridge lists its ports; the cables join the borders."""
    session = make_session()
    world = session.shell.world
    state = TopologyState(world_topology(world.graph(), "host"), journey_position(session.trace, 0))
    for wide in (True, False):
        drawing = layout_boxes(state, wide=wide)
        text = drawing.text()
        for title in ("─ internet ", "━ host ", "─ web ", "─ db "):
            assert title in text
        assert "▣ br0" in text and "├ ● veth-web" in text and "└ ● veth-db" in text
        assert "172.18.0.2/24" in text and "93.184.215.14/32" in text
        assert "├─────┨" in text  # internet's eth0 cabled to the root's (its box heavy: the packet is there)
        assert [name for name, _ in drawing.boxes] == ["internet", "host", "web", "db"]
    assert layout_boxes(state, wide=False).width <= 78


def test_position_follows_the_journey_across_namespaces() -> None:
    """The marker is at the root's eth0 first, at br0 while the bridge decides, then in web after the veth,
    with the veth cable among the hops; a drop step is marked dead."""
    session = make_session()
    trace = session.trace
    first = journey_position(trace, 0)
    assert (first.host, first.dev, first.dead, first.hops) == ("host", "eth0", False, frozenset())
    bridge = journey_position(trace, step_of(session, "host", "bridge"))
    assert (bridge.host, bridge.dev) == ("host", "br0")
    inside = journey_position(trace, step_of(session, "web", "veth"))
    assert (inside.host, inside.dev, inside.path) == ("web", "eth0", ("host", "web"))
    assert frozenset({("host", "veth-web"), ("web", "eth0")}) in inside.hops
    dropped = make_session(packet=1)
    assert dropped.trace is not None
    end = journey_position(dropped.trace, len(dropped.trace.steps) - 1)
    assert (end.host, end.dev, end.dead, end.end_host) == ("db", "eth0", True, "db")


def test_compact_form_is_one_line_per_namespace() -> None:
    """The compact form has a line per namespace with its marker, devices and where each cable goes."""
    session = make_session()
    world = session.shell.world
    state = TopologyState(world_topology(world.graph(), "host"), journey_position(session.trace, 0), "web")
    drawing = layout_compact(state)
    lines = drawing.text().splitlines()
    assert len(lines) == 4 and drawing.compact
    assert lines[1].startswith(" ▶ host") and "─ internet" in lines[1] and "veth-web ─ web" in lines[1]
    assert lines[2].startswith("›  web")


def test_details_print_routes_rules_neighbours_and_sockets() -> None:
    """A namespace's details: its routes, its iptables counters, its neighbours and its sockets."""
    session = make_session(packet=1)
    text = namespace_details(session.shell.world, "db", "en")
    assert "Namespace db" in text and "ip netns exec db ip route" in text
    assert "default via 172.18.0.1 dev eth0" in text
    assert "filter/INPUT" in text and "1 rules matched 1 pkts" in text
    assert "0.0.0.0:5432" in text
    assert "no rules; every policy ACCEPT" in namespace_details(session.shell.world, "web", "en")
    assert "Пространство имён internet" in namespace_details(session.shell.world, "internet", "ru")
    assert session.commands == []  # the learner's session is untouched


# ---- the screen ----------------------------------------------------------------------------------


async def test_w_opens_the_topology_and_closing_keeps_the_step() -> None:
    """`w` on the explorer opens the topology at the explorer's step; → moves the marker there and
    Esc comes back with the explorer at the step the topology showed."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        main = app.screen
        assert isinstance(main, MainScreen)
        main.index = 3
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TopologyScreen)
        assert screen.index == 3 and screen.selected == "host"
        await pilot.press("right", "right")
        assert screen.index == 5
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main and main.index == 5


async def test_marker_moves_with_the_step() -> None:
    """Stepping moves the ▶ from the root's eth0 to br0 and into web's box; the crossed cable turns heavy."""
    app = make_app()
    session = app._injected[1]
    assert session is not None
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = TopologyScreen(session, session.trace, 0)
        await app.push_screen(screen)
        await pilot.pause()
        view = screen.view
        assert view.state is not None and view.state.position.dev == "eth0"
        assert "▶ eth0" in view.drawing.text() and "━" not in view.drawing.text().split("host")[0]
        screen.index = step_of(session, "host", "bridge")
        await pilot.pause()
        assert "▶ br0" in view.drawing.text()
        target = step_of(session, "web", "veth")
        while screen.index < target:
            await pilot.press("right")
        await pilot.pause()
        state = view.state
        assert state is not None and (state.position.host, state.position.dev) == ("web", "eth0")
        row = next(line for line in view.drawing.text().splitlines() if "veth-web" in line)
        assert "━━━━━" in row
        where = str(screen.query_one("#topo-where").render())
        assert "web › eth0" in where and "host ━ web" in where
        await pilot.press("left")
        assert view.state is not None and view.state.position.host == "host"


async def test_selection_by_keys_and_click_and_details() -> None:
    """↓/Tab walk the namespaces left to right, top to bottom; a click on a box selects it (the view
    posts NamespaceClicked); Enter shows the selected namespace's details, which follow the selection."""
    app = make_app(packet=1)
    session = app._injected[1]
    assert session is not None
    messages: list[Message] = []
    async with app.run_test(size=(160, 50), message_hook=messages.append) as pilot:
        await pilot.pause()
        screen = TopologyScreen(session, session.trace, 0)
        await app.push_screen(screen)
        await pilot.pause()
        assert screen.names == ["internet", "host", "web", "db"]
        assert screen.selected == "host"
        await pilot.press("down")
        assert screen.selected == "web"
        await pilot.press("tab", "tab")
        assert screen.selected == "internet"
        await pilot.press("up")
        assert screen.selected == "db"
        point = screen.view.point_of("web")
        assert point is not None
        padding = screen.view.styles.padding
        await pilot.click(TopologyView, offset=(point[0] + 3 + padding.left, point[1] + 1 + padding.top))
        await pilot.pause()
        assert any(isinstance(m, TopologyView.NamespaceClicked) and m.name == "web" for m in messages)
        assert screen.selected == "web"
        details = screen.query_one("#topo-details")
        assert not details.display
        await pilot.press("enter")
        await pilot.pause()
        assert details.display
        text = str(screen.query_one("#topo-details-text").render())
        assert "Namespace web" in text and "default via 172.18.0.1" in text and "0.0.0.0:80" in text
        await pilot.press("down")
        await pilot.pause()
        text = str(screen.query_one("#topo-details-text").render())
        assert "Namespace db" in text and "filter/INPUT" in text


async def test_a_dropped_packet_shows_where_it_died() -> None:
    """At the drop in db, db's eth0 carries ✗ and the line above says where it was dropped; earlier steps
    already say where the journey will end."""
    app = make_app(packet=1)
    session = app._injected[1]
    assert session is not None and session.trace is not None
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = TopologyScreen(session, session.trace, 0)
        await app.push_screen(screen)
        await pilot.pause()
        assert "dies in db" in str(screen.query_one("#topo-where").render())
        await pilot.press("end")
        await pilot.pause()
        assert "✗ eth0" in screen.view.drawing.text()
        assert "dropped at db › eth0" in str(screen.query_one("#topo-where").render())
        assert screen.check_action("step", ()) is None


async def test_big_worlds_are_compact_and_scroll() -> None:
    """Fifty namespaces: one line per namespace, the view scrolls to the selection; `c` forces the boxes."""
    session = big_world()
    app = NetstackApp(theme="dark", scenario_obj=FakeScenario(), session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = TopologyScreen(session, session.trace, 0)
        await app.push_screen(screen)
        await pilot.pause()
        view = screen.view
        assert view.compact and len(view.drawing.rows) == 52
        for _ in range(30):
            await pilot.press("down")
        await pilot.pause()
        assert screen.selected == "c29"
        assert view.scroll_offset.y > 0
        await pilot.press("c")
        await pilot.pause()
        region = view.drawing.region_of("c29")
        assert not view.compact and region is not None and region.height == 4


# ---- snapshots -----------------------------------------------------------------------------------


def topology_at(host: str, stage: str, *, details: bool = False, select: str | None = None,
                packet: int = 0) -> Callable[..., object]:
    """A run_before that opens the topology at the first step in `host` at `stage`."""

    async def run_before(pilot: object) -> None:
        app: NetstackApp = pilot.app  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]
        session = app._injected[1]
        assert session is not None
        index = step_of(session, host, stage)
        screen = TopologyScreen(session, session.trace, index, app.lang)
        await app.push_screen(screen)
        if select is not None:
            screen.selected = select
        if details:
            await pilot.press("enter")  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_topology_journey(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """The SYN has just crossed into web: internet's box left of host's (cabled eth0 to eth0), host's box with
    br0 and its ports veth-web and veth-db, web and db on the right; web's box double-bordered (selected,
    the packet is there) with ▶ eth0; the veth-web cable heavy (crossed); the line above says
    '▶ web › eth0 — veth: from the peer  path: host ━ web'; the legend and keys at the bottom.
    At 80×24 addresses sit under the device names; at 160×50 beside them."""
    assert snap_compare(make_app(), terminal_size=size, run_before=topology_at("web", "veth"))


@pytest.mark.parametrize("size", SIZES)
def test_topology_drop_with_details(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """The SYN to postgres is dropped in db: db's box in the error colour with ✗ eth0, the cables it crossed
    heavy; the line above says '✗ dropped at db › eth0'. db's details are open (below at 80×24, to the
    right at 160×50): its routes, 'filter/INPUT … 1 rules matched 1 pkts', its neighbours and postgres's
    listening socket."""
    assert snap_compare(make_app(packet=1), terminal_size=size,
                        run_before=topology_at("db", "input.filter", details=True))


@pytest.mark.parametrize("theme", ["light", "contrast"])
def test_topology_themes(snap_compare: Callable[..., bool], theme: str) -> None:
    """The journey picture of `test_topology_journey` at 80×24 in the light and the high-contrast theme:
    the same symbols (▶, heavy crossed cable, double border of the selection), readable colours."""
    assert snap_compare(make_app(theme=theme), terminal_size=(80, 24), run_before=topology_at("web", "veth"))


def test_topology_compact_many(snap_compare: Callable[..., bool]) -> None:
    """Fifty namespaces at 80×24: one line per namespace (c00 … c20 visible), host with ▶ at eth0 and its
    bridge ports, each container's eth0 address and '─ host'; scrollbars for the rest."""
    session = big_world()
    app = NetstackApp(theme="dark", scenario_obj=FakeScenario(), session=session)

    async def run_before(pilot: object) -> None:
        await pilot.pause()  # type: ignore[attr-defined]
        await app.push_screen(TopologyScreen(session, session.trace, 0))
        await pilot.pause()  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
