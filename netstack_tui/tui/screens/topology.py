"""The topology screen: the world's namespaces and cables, where the packet is, and one namespace's details.

The screen owns the position (the step shown, the namespace selected) and hands a frozen
`TopologyState` down to the `TopologyView`; the view posts `NamespaceClicked` up. It reads the world
from the session (`session.shell.world`) and the journey it was opened on; it never simulates. A
namespace's details are what the real commands print in it (`ip route`, `ip neigh`, `ss -tuan`),
run through the commands layer in that namespace, plus a summary of its iptables counters read from
the namespace's ruleset. Closing the screen hands the step back, so the explorer continues there.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...i18n import message
from ..model import escape, escaped_translator, note_text, set_markup, stage_label, stage_of
from ..widgets.topology import STATE_SYMBOLS, TopologyState, TopologyView, journey_position, world_topology
from .stepping import JourneySteps

if TYPE_CHECKING:
    from ...commands.session import Session
    from ...kernel.host import Host
    from ...kernel.trace import Trace
    from ...kernel.world import World

DETAIL_COMMANDS: tuple[tuple[str, str], ...] = (
    ("ui.topo.details.routes", "ip route"),
    ("ui.topo.details.neigh", "ip neigh"),
    ("ui.topo.details.sockets", "ss -tuan"),
)
"""The sections of a namespace's details that real commands print: (heading key, command)."""


def host_of(world: World, name: str) -> Host | None:
    """The namespace called `name` in `world` (the root under its label)."""
    return next((h for h in world.hosts() if world.label(h) == name), None)


def iptables_summary(host: Host, lang: str) -> list[str]:
    """One line per iptables chain that does anything: its policy, its rules and the packets they
    matched (markup, escaped)."""
    t = escaped_translator(lang)
    lines: list[str] = []
    for table in host.iptables.tables.values():
        for chain in table.ordered():
            if not chain.entries and chain.policy in (None, "ACCEPT") and not chain.pkts:
                continue
            matched = sum(e.pkts for e in chain.entries)
            policy = t("ui.topo.ipt.policy", policy=chain.policy, pkts=chain.pkts) if chain.policy else ""
            rules = t("ui.topo.ipt.rules", n=len(chain.entries), pkts=matched)
            name = escape(f"{table.name}/{chain.name}")
            lines.append(f"  [bold]{name:<15}[/] {policy}{' · ' if policy else ''}{rules}")
    return lines or [f"  [$text-muted]{t('ui.topo.ipt.none')}[/]"]


def namespace_details(world: World, name: str, lang: str) -> str:
    """Markup for a namespace's details: its routes, iptables counters, neighbours and sockets,
    each under the command that shows the same on a real machine."""
    from ...commands.shell import Shell

    t = escaped_translator(lang)
    host = host_of(world, name)
    if host is None:
        return t("ui.topo.details.gone", ns=name)
    root = host is world.root
    prefix = "" if root else f"ip netns exec {name} "
    lines = [f"[bold $primary]{t('ui.topo.details.title', ns=name)}[/]"]
    # A shell of its own in that namespace: the learner's history and last journey stay untouched.
    shell = Shell(host, world=world)
    sections = list(DETAIL_COMMANDS)
    for heading, command in sections[:1]:
        lines += _section(t(heading), prefix + command, shell.run(command).output)
    lines += ["", f"[bold]{t('ui.topo.details.iptables')}[/]  [$text-muted]$ {escape(prefix)}iptables -L -v -n[/]"]
    lines += iptables_summary(host, lang)
    for heading, command in sections[1:]:
        lines += _section(t(heading), prefix + command, shell.run(command).output)
    return "\n".join(lines)


def _section(heading: str, command: str, output: str) -> list[str]:
    body = [f"  {escape(line)}" for line in output.rstrip("\n").splitlines()] or ["  -"]
    return ["", f"[bold]{heading}[/]  [$text-muted]$ {escape(command)}[/]", *body]


@dataclass(frozen=True, slots=True)
class TopologyClosed:
    """What the topology screen hands back when it closes."""

    index: int
    """The step it showed last: the explorer continues there."""
    enter: str | None = None
    """The namespace the learner chose to type commands in (`x`), or None to leave the command line
    where it was."""


class TopologyScreen(JourneySteps, Screen[TopologyClosed]):
    """The topology of the session's world with the journey's position; dismissed with the step shown
    (and, after `x`, the namespace to run commands in)."""

    BINDINGS = [
        Binding("right", "step", "Step"),
        Binding("left", "step_back", "Back"),
        Binding("down,tab", "select_next", "Next namespace", key_display="↓"),
        Binding("up,shift+tab", "select_previous", "Previous namespace", key_display="↑"),
        Binding("enter", "details", "Details", key_display="⏎"),
        Binding("x", "commands_here", "Commands here"),
        Binding("c", "compact", "Compact"),
        Binding("home", "first", "Start", show=False),
        Binding("end", "last", "End", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("escape,w,q", "close", "Close", key_display="Esc"),
    ]

    index: var[int] = var(0, init=False)
    """The step of the journey shown."""
    selected: var[str | None] = var(None, init=False)
    """The namespace selected (its box is drawn with a double border)."""
    details: var[bool] = var(False, init=False)
    """Whether the selected namespace's details are shown."""
    compact: var[bool | None] = var(None, init=False)
    """None: the view picks boxes or one line per namespace by size; True/False forces one."""

    def __init__(self, session: Session, trace: Trace | None, index: int, lang: str = "en") -> None:
        """Show `session`'s world with `trace` at step `index`."""
        super().__init__()
        self.session = session
        """The session whose world is drawn."""
        self.trace = trace
        """The journey whose position is marked (the sent packet's or a reply's)."""
        self.lang = lang
        """Language of the texts."""
        self.set_reactive(TopologyScreen.index, index)
        self._view = TopologyView(id="topology")
        self._namespaces = world_topology(self.world.graph(), self.world.label(self.world.root))
        here = journey_position(trace, index).host
        names = [n.name for n in self._namespaces]
        self.set_reactive(TopologyScreen.selected, here if here in names else (names[0] if names else None))

    @property
    def world(self) -> World:
        """The world drawn (the session's live one)."""
        return self.session.shell.world

    @property
    def names(self) -> list[str]:
        """The namespaces in selection order: left to right, top to bottom."""
        return [n.name for n in self._namespaces]

    @property
    def view(self) -> TopologyView:
        """The drawing widget."""
        return self._view

    def t(self, key: str, **params: object) -> str:
        """A UI string in this screen's language."""
        return message(key, {k: str(v) for k, v in params.items()}, self.lang)

    def compose(self) -> ComposeResult:
        """Status and position lines, the drawing (with the details beside or below it), the legend, keys."""
        yield Static("", id="topo-status")
        yield Static("", id="topo-where")
        with Horizontal(id="topo-body"):
            yield self._view
            with VerticalScroll(id="topo-details", can_focus=False):
                yield Static("", id="topo-details-text")
        yield Static("", id="topo-legend")
        yield Footer()

    def on_mount(self) -> None:
        """Label the keys in the screen's language and draw."""
        bindings: list[Binding] = []
        for key_bindings in self._bindings.key_to_bindings.values():
            for b in key_bindings:
                bindings.append(dataclasses.replace(b, description=self.t(f"ui.topo.key.{b.action}")))
        self._bindings = BindingsMap(bindings)
        self.query_one("#topo-details").display = False
        set_markup(self.query_one("#topo-legend", Static), self._legend())
        self.publish()

    # ---- state down -------------------------------------------------------------------------------

    def publish(self) -> None:
        """Build the frozen state and hand it to the view; update the lines around it."""
        position = journey_position(self.trace, self.index)
        self._view.state = TopologyState(self._namespaces, position, self.selected, self.compact,
                                         self.t("ui.topo.wire"))
        set_markup(self.query_one("#topo-status", Static), self._status())
        set_markup(self.query_one("#topo-where", Static), self._where())
        if self.details and self.selected is not None:
            set_markup(self.query_one("#topo-details-text", Static),
                       namespace_details(self.world, self.selected, self.lang))
        self.refresh_bindings()

    def _status(self) -> str:
        t = escaped_translator(self.lang)
        parts = [f"[bold]⇄ {t('ui.topo.title')}[/]"]
        if self.trace is not None and self.trace.steps:
            parts.append(t("ui.hdr.step", n=self.index + 1, total=len(self.trace.steps)))
        parts.append(t("ui.topo.count", n=len(self._namespaces)))
        if self.selected is not None:
            parts.append(t("ui.topo.selected", ns=self.selected))
            parts.append(f"[$text-muted]{t('ui.topo.commands_hint', ns=self.selected)}[/]")
        return "  ".join(parts)

    def _where(self) -> str:
        """Where the packet is now, in words, and the namespaces it has been through."""
        t = escaped_translator(self.lang)
        trace = self.trace
        if trace is None or not trace.steps:
            return f"[$text-muted]{t('ui.topo.no_journey')}[/]"
        pos = journey_position(trace, self.index)
        step = trace.steps[pos.step]
        stage = stage_of(step)
        label = escape(stage.group + " › " + stage_label(stage, self.lang)
                       if stage and stage.group not in (stage.label, "link") else
                       stage_label(stage, self.lang) if stage else step.stage)
        at = escape(f"{pos.host} › {pos.dev}" if pos.dev else str(pos.host))
        if pos.dead:
            text = f"[bold $error]{STATE_SYMBOLS['dead']} {t('ui.topo.died')}[/] [bold]{at}[/] — {label}"
        else:
            text = f"[bold $accent]{STATE_SYMBOLS['here']}[/] [bold]{at}[/] — {label}"
        path = " ━ ".join(escape(h) for h in pos.path)
        text += f"   [$text-muted]{t('ui.topo.path')}[/] {path}"
        if pos.end_host is not None and not pos.dead:
            text += f"   [$error]{t('ui.topo.ends', ns=pos.end_host)}[/]"
        tip = escape(note_text(step, self.lang))
        self.query_one("#topo-where", Static).tooltip = tip
        return text

    def _legend(self) -> str:
        t = escaped_translator(self.lang)
        s = STATE_SYMBOLS
        return (f"[$accent]{s['here']}[/] {t('ui.topo.legend.here')}  [$error]{s['dead']}[/] "
                f"{t('ui.topo.legend.dead')}  [$success]━[/] {t('ui.topo.legend.hop')}  "
                f"{s['up']}/{s['down']} {t('ui.topo.legend.updown')}  {s['bridge']} {t('ui.topo.legend.bridge')}  "
                f"[$primary]═══[/] {t('ui.topo.legend.selected')}")

    def watch_index(self) -> None:
        """Another step: the marker moves."""
        self.publish()

    def watch_selected(self) -> None:
        """Another namespace selected: its box is marked and its details shown."""
        self.publish()

    def watch_details(self, details: bool) -> None:
        """Show or hide the details pane."""
        self.query_one("#topo-details").display = details
        self.publish()

    def watch_compact(self) -> None:
        """Boxes or one line per namespace."""
        self.publish()

    # ---- actions ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out stepping past either end of the journey."""
        last = len(self.trace.steps) - 1 if self.trace is not None and self.trace.steps else 0
        if action in ("step", "last"):
            return None if self.index >= last else True
        if action in ("step_back", "first"):
            return None if self.index <= 0 else True
        return True

    def shown_journey(self) -> Trace | None:
        """The journey being shown (what → and ← move through)."""
        return self.trace

    def _select(self, delta: int) -> None:
        names = self.names
        if not names:
            return
        current = names.index(self.selected) if self.selected in names else -delta
        self.selected = names[(current + delta) % len(names)]

    def action_select_next(self) -> None:
        """Select the next namespace (left to right, top to bottom)."""
        self._select(1)

    def action_select_previous(self) -> None:
        """Select the previous namespace."""
        self._select(-1)

    def action_details(self) -> None:
        """Show (or hide) the selected namespace's routes, rules, neighbours and sockets."""
        self.details = not self.details

    def action_compact(self) -> None:
        """Switch between the boxes and one line per namespace."""
        self.compact = not self._view.compact

    def action_page_up(self) -> None:
        """Scroll the drawing a page up."""
        self._view.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        """Scroll the drawing a page down."""
        self._view.scroll_page_down(animate=False)

    def action_close(self) -> None:
        """Back to the explorer, at the step shown here."""
        self.dismiss(TopologyClosed(self.index))

    def action_commands_here(self) -> None:
        """Back to the explorer with the command line in the selected namespace (as `ip netns exec NS
        bash` does), at the step shown here."""
        self.dismiss(TopologyClosed(self.index, self.selected))

    # ---- messages up ------------------------------------------------------------------------------

    def on_topology_view_namespace_clicked(self, event: TopologyView.NamespaceClicked) -> None:
        """A box was clicked: select its namespace."""
        self.selected = event.name
