"""SVG snapshots of every stage view, at 80×24 (a laptop terminal) and 160×50 (a projector).

Each test's docstring says what the picture must show. Regenerate with `--snapshot-update`
and look at the pictures before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from netstack_tui.tui.app import NetstackApp
from netstack_tui.tui.screens.main import MainScreen

from .conftest import FakeScenario, make_session

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 50), id="160x50")]


def app_for(lang: str = "en") -> NetstackApp:
    return NetstackApp(lang=lang, theme="dark", scenario_obj=FakeScenario(), session=make_session())


def at_stage(stage: str, reply: int = 0) -> Callable[..., Awaitable[None]]:
    """A run_before that shows the first step of `stage` (in reply `reply`)."""

    async def run_before(pilot: object) -> None:
        await pilot.pause()  # type: ignore[attr-defined]
        app: NetstackApp = pilot.app  # type: ignore[attr-defined]
        screen = app.screen
        assert isinstance(screen, MainScreen)
        for _ in range(reply):
            await pilot.press("a")  # type: ignore[attr-defined]
        steps = screen.state.trace.steps
        screen.index = next(i for i, s in enumerate(steps) if s.stage == stage)
        await pilot.pause()  # type: ignore[attr-defined]

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_ring_view(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """DMA → RX ring is current (▶ in the pipeline); the centre draws the RX ring's descriptor cells with
    this frame's slot 0 marked ◆, the ring's size and NAPI budget, and the ring/DMA explanation below."""
    assert snap_compare(app_for(), terminal_size=size, run_before=at_stage("dma"))


@pytest.mark.parametrize("size", SIZES)
def test_skb_view(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """sk_buff alloc is current; the centre shows the head/data/tail/end bar with the four offsets and
    headroom/data/tailroom sizes; the explanation offers the envelope-with-headroom analogy."""
    assert snap_compare(app_for(), terminal_size=size, run_before=at_stage("skb"))


@pytest.mark.parametrize("size", SIZES)
def test_xdp_view(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """XDP (native) is current and skipped (·, muted): the centre says no program is attached and shows the
    cheapest-first pyramid of places a packet can be stopped."""
    assert snap_compare(app_for(), terminal_size=size, run_before=at_stage("xdp"))


@pytest.mark.parametrize("size", SIZES)
def test_chain_view(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """INPUT › filter is current: the chain as `iptables -L INPUT -v -n --line-numbers` lists it, policy DROP,
    rules 1–3 marked ✗ no match with the failed match, rule 4 (--dport 80) highlighted ▶ and ✓ match."""
    assert snap_compare(app_for(), terminal_size=size, run_before=at_stage("input.filter"))


@pytest.mark.parametrize("size", SIZES)
def test_chain_view_after_drop_rule(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """After `iptables -I INPUT 1 ... -j DROP` from the command line: INPUT › filter is ✗ (red) in the pipeline
    and the last step; below it the rest of the INPUT path the packet never got to (INPUT nat, security,
    conntrack confirm, then socket lookup and application) is dimmed and marked ⊘; rule 1 DROP is
    highlighted in the error colour, the others are 'not reached'; the explanation opens with the
    'journey changed at step N' banner and names NETFILTER_DROP."""

    async def run_before(pilot: object) -> None:
        await pilot.pause()  # type: ignore[attr-defined]
        screen = pilot.app.screen  # type: ignore[attr-defined]
        screen.run_command("iptables -I INPUT 1 -p tcp --dport 80 -j DROP")
        await pilot.pause()  # type: ignore[attr-defined]
        pilot.app.clear_notifications()  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]

    assert snap_compare(app_for(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_route_view(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """routing decision is current: `ip rule show`, the local table with the chosen `local 10.0.0.1` route
    highlighted ▶, and 'result: local'."""
    assert snap_compare(app_for(), terminal_size=size, run_before=at_stage("route_input"))


@pytest.mark.parametrize("size", SIZES)
def test_conntrack_view(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """PREROUTING › conntrack is current: the new entry as `conntrack -L` prints it, ctstate NEW, and the
    table fill bar; the packet pane's sk_buff block says ctstate NEW."""
    assert snap_compare(app_for(), terminal_size=size, run_before=at_stage("prerouting.conntrack"))


@pytest.mark.parametrize("size", SIZES)
def test_socket_view(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """socket lookup is current and delivered (●): the listeners as `ss -tan` shows them with nginx's :80
    highlighted, its SYN queue holding 1 and the accept queue; the phone-socket analogy; the end-of-journey
    line 'Delivered to nginx'."""
    assert snap_compare(app_for(), terminal_size=size, run_before=at_stage("socket"))


@pytest.mark.parametrize("size", SIZES)
def test_queue_view(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """The SYN-ACK reply's egress qdisc is current (header says reply 1/1): the qdisc kind and its queue
    fill; the pipeline shows the OUTPUT, POSTROUTING and TX groups of the reply's journey."""
    assert snap_compare(app_for(), terminal_size=size, run_before=at_stage("qdisc", reply=1))


@pytest.mark.parametrize("size", SIZES)
def test_russian(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """The chain view in Russian: tabs 'Этап/Пакет/Консоль', footer keys 'Шаг', 'Назад'…, results
    'подходит' / 'не подходит', the explanation and analogy in Russian, with the kernel's `rule 4` shown
    as '(правило 4)', and the pipeline's stage labels in Russian ('проверки ip_rcv', 'маршрутизация')."""
    assert snap_compare(app_for("ru"), terminal_size=size, run_before=at_stage("input.filter"))


def test_help_screen(snap_compare: Callable[..., bool]) -> None:
    """The help screen over the explorer at 80×24: keys with what they do, then the legend (scrolls; it
    ends with ⊘ 'not reached')."""

    async def run_before(pilot: object) -> None:
        await pilot.press("question_mark")  # type: ignore[attr-defined]

    assert snap_compare(app_for(), terminal_size=(80, 24), run_before=run_before)


def test_summary_screen(snap_compare: Callable[..., bool]) -> None:
    """The packet-tracer style summary at 160×50: numbered phases with Result ALLOW, the INPUT rule that
    decided under Config, and the final Action delivered."""

    async def run_before(pilot: object) -> None:
        await pilot.press("end", "s")  # type: ignore[attr-defined]

    assert snap_compare(app_for(), terminal_size=(160, 50), run_before=run_before)


def test_high_contrast_theme(snap_compare: Callable[..., bool]) -> None:
    """The chain view in the high-contrast theme at 160×50: black background, white text, bright colours."""
    app = NetstackApp(lang="en", theme="contrast", scenario_obj=FakeScenario(), session=make_session())
    assert snap_compare(app, terminal_size=(160, 50), run_before=at_stage("input.filter"))
