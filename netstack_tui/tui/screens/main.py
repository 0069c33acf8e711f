"""The explorer: pipeline, stage state, packet, explanation and a command line, driven by keys.

The screen owns the position (which journey, which step) and builds one frozen `ViewState` that it
hands down to every widget; widgets post messages up (`PipelineView.StageSelected`,
`CommandLine.CommandEntered`). It never simulates: it reads the `Session`'s traces and asks the
session to run commands.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from ...i18n import message
from ..model import ViewState, change_text, escape, set_markup
from ..widgets.key_legend import KeyLegend
from .stepping import JourneySteps

# The panes (and the kernel's view classes they draw) are imported in `_build`, after the first
# frame: the first frame is the status line, what is loading, and the key legend.
if TYPE_CHECKING:
    from textual.widget import Widget
    from textual.widgets import ContentSwitcher, Log

    from ...commands.base import CommandResult
    from ...commands.session import Session, StepChange
    from ...kernel.trace import Trace
    from .. import library
    from ..widgets.command_line import CommandLine
    from ..widgets.path_strip import PathStrip
    from ..widgets.pipeline import PipelineView
    from ..widgets.stage_views import StageView
    from ..widgets.tabs import TabStrip

SPEEDS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Autoplay speeds in steps per second."""


_ALWAYS_ACTIONS = ("help", "language", "theme", "quit", "scenarios", "command", "packet_tab", "shell_tab", "interrupt")
"""Actions that work while the scenario is still loading."""

_STATEFUL_ACTIONS = (
    "step",
    "last",
    "step_back",
    "first",
    "play",
    "faster",
    "slower",
    "next_packet",
    "previous_packet",
    "reply",
    "summary",
)
"""Actions whose availability depends on the state (see `MainScreen.check_action`)."""


class _Explorer(Protocol):
    """What the main screen asks of the app (`tui.app.NetstackApp`)."""

    lang: str

    def open_scenario(self, scenario_id: str) -> None:
        """Open another scenario in this screen."""

    def action_cycle_theme(self) -> None:
        """Switch to the next theme."""


class MainScreen(JourneySteps, Screen[None]):
    """The explorer screen for one scenario's session."""

    BINDINGS = [
        Binding("right", "step", "Step", priority=False),
        Binding("left", "step_back", "Back"),
        Binding("colon,slash", "command", "Command", key_display=":"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("g", "goal", "Goal"),
        Binding("space", "play", "Play", key_display="␣"),
        Binding("n", "next_packet", "Next packet"),
        Binding("N", "previous_packet", "Previous packet", show=False, key_display="N"),
        Binding("a", "reply", "Reply"),
        Binding("s", "summary", "Summary"),
        Binding("w", "topology", "Topology"),
        Binding("plus,equals_sign", "faster", "Faster", show=False, key_display="+"),
        Binding("minus", "slower", "Slower", show=False, key_display="-"),
        Binding("home", "first", "Start", show=False),
        Binding("end", "last", "End", show=False),
        Binding("r", "restart", "Restart", show=False),
        Binding("R", "reset", "Reset", show=False, key_display="R"),
        Binding("o", "scenarios", "Scenarios", show=False),
        Binding("l", "language", "Language", show=False),
        Binding("t", "theme", "Theme", show=False),
        Binding("p", "packet_tab", "Packet", show=False),
        Binding("dollar_sign", "shell_tab", "Shell", show=False, key_display="$"),
        Binding("escape", "cancel_flood", "Cancel", show=False),
        Binding("ctrl+c", "interrupt", "Interrupt", show=False),
        Binding("q", "quit", "Quit", show=False),
    ]

    index: var[int] = var(0, init=False)
    """The current step in the shown journey."""
    reply: var[int] = var(0, init=False)
    """0: the sent packet's journey; N: reply N's."""
    playing: var[bool] = var(False, init=False)
    """Whether autoplay is stepping."""
    speed: var[int] = var(1, init=False)
    """Index into `SPEEDS`."""

    def __init__(self, scenario: library.ScenarioLike | None = None, session: Session | None = None) -> None:
        """Explore `session`; without one the screen shows 'loading' until `set_session` is called."""
        super().__init__()
        self.scenario = scenario
        """The scenario being explored (None while loading)."""
        self.session = session
        """The session the screen reads traces from and runs commands in (None while loading)."""
        self.change: StepChange | None = None
        """What the last host-changing command changed in the journey."""
        self._timer: Timer | None = None
        self._flood_cancel: threading.Event | None = None
        """Set by Esc or Ctrl-C to stop a running flood between two packets (None: no flood runs)."""
        self._quit_armed_at = -1.0
        self._state = ViewState()
        """The session's journey last shown, and it with the app's calls appended (see `root`)."""
        self._enabled: tuple[bool | None, ...] = ()
        self._built = False
        self._panes_to_publish: tuple[Any, ...] = ()
        self._tabs: TabStrip
        self._pipeline: PipelineView
        self._stage: StageView
        self._log: Log
        self._switcher: ContentSwitcher
        self._command: CommandLine
        self._explain: Widget

    @property
    def lang(self) -> str:
        """The app's language."""
        return getattr(self.app, "lang", "en")

    def t(self, key: str, **params: object) -> str:
        """A UI string in the current language."""
        return message(key, {k: str(v) for k, v in params.items()}, self.lang)

    def compose(self) -> ComposeResult:
        """Status line, then (until `_build`) a note on what is loading, and the key legend.

        With a session already at hand (tests, another scenario) the panes are composed at once.
        While loading, the legend is one line of text: the real footer (a widget per key) costs
        more than the rest of the first frame together, and comes in with the panes.
        """
        yield Static("", id="status")
        if self.session is not None:
            yield from self._panes()
            yield KeyLegend(compact=True)
        else:
            yield Static("", id="loading")
            yield Static("", id="key-hint")

    def _panes(self) -> list[Widget]:
        """Pipeline | centre tabs | packet; explanation; command line (importing their modules)."""
        from textual.containers import Horizontal, Vertical
        from textual.widgets import ContentSwitcher, Log

        from ..widgets.command_line import CommandLine
        from ..widgets.explain import ExplainPane
        from ..widgets.packet_view import PacketView
        from ..widgets.path_strip import PathStrip
        from ..widgets.pipeline import PipelineView
        from ..widgets.stage_views import StageView
        from ..widgets.tabs import TabStrip

        self._built = True
        self._tabs, self._pipeline = TabStrip(id="tabs"), PipelineView(id="pipeline")
        self._stage = StageView(id="stage")
        self._log = Log(id="shell-log", highlight=False)
        packet_tab, packet_pane = PacketView(id="packet-tab"), PacketView(id="packet-pane")
        self._switcher = ContentSwitcher(self._stage, packet_tab, self._log, id="switcher", initial="stage")
        self._command = CommandLine(id="command", placeholder="")
        self._explain = ExplainPane(id="explain")
        centre = Vertical(self._tabs, self._switcher, id="centre")
        body = Horizontal(self._pipeline, centre, packet_pane, id="body")
        strip = PathStrip(id="path-strip")
        self._panes_to_publish = (strip, self._pipeline, self._stage, self._explain, packet_tab, packet_pane)
        return [strip, body, self._explain, self._command]

    async def _build(self) -> None:
        """Replace the loading note with the panes (after the first frame), then draw them."""
        if self._built or not self.is_attached or self.app._exit:
            return
        panes = self._panes()
        await self.query("#loading, #key-hint").remove()
        await self.mount_all([*panes, KeyLegend(compact=True)])
        self._ready()

    def _ready(self) -> None:
        self.apply_language()
        # The switcher starts on the stage (`initial`); its children may still be mounting here.
        self._tabs.active = "stage"
        self.on_resize()
        self._stage.focus()
        self.publish()

    def set_session(self, scenario: library.ScenarioLike, session: Session) -> None:
        """The scenario finished loading: show its journey from the first step."""
        replacing = self.session is not None
        self.scenario, self.session = scenario, session
        if self._built and self.is_mounted:
            if replacing:
                # Another scenario in the same screen (the picker): its own log, from its first step.
                if self._flood_cancel is not None:
                    self._flood_cancel.set()
                self._log.clear()
                self.app.clear_notifications()  # the last scenario's notices are not about this one
                self.show_tab("stage")
                self._stage.focus()
            self._new_journey(None)
        else:
            self.call_later(self._build)

    def on_mount(self) -> None:
        """Show the first step (or what is loading) and label everything in the current language."""
        if self._built:
            self._ready()
            return
        self.apply_language()
        self.publish()
        # The panes come in after the first frame, so that frame is no more than a status line,
        # a note and the key legend.
        self.call_after_refresh(self._build)

    # ---- state down ---------------------------------------------------------------------------

    @property
    def root(self) -> Trace | None:
        """The sent packet's journey (one that woke a program goes on into its calls: the shell
        appends them, `kernel.app.appview.continued`)."""
        return self.session.trace if self.session is not None else None

    @property
    def trace(self) -> Trace | None:
        """The journey being shown (the sent packet's or a reply's)."""
        root = self.root
        if root is None:
            return None
        if self.reply and self.reply <= len(root.replies):
            return root.replies[self.reply - 1]
        return root

    def shown_journey(self) -> Trace | None:
        """The journey being shown (what → and ← move through)."""
        return self.trace

    @property
    def state(self) -> ViewState:
        """The state last handed to the widgets."""
        return self._state

    def publish(self) -> None:
        """Build the frozen view state and hand it to every widget."""
        trace = self.trace
        index = max(0, min(self.index, len(trace.steps) - 1)) if trace and trace.steps else 0
        session = self.session
        macs = tuple((name, iface.mac) for name, iface in session.host.interfaces.items()) if session else ()
        self._state = ViewState(
            trace=trace,
            index=index,
            lang=self.lang,
            reply=self.reply,
            root=self.root,
            change=self.change,
            previous=session.previous_trace if session and self.change else None,
            packet_name=session.current_name if session else None,
            macs=macs,
            loading=session is None,
        )
        for widget in self._panes_to_publish:
            widget.state = self._state
        if self._state.at_end and not self.reply and session is not None and session.journey_viewed():
            # A tour is done when its packets were followed to the end: that may reach the goal.
            self.call_later(self._check_goal)
        self._update_header()
        enabled = tuple(self.check_action(name, ()) for name in _STATEFUL_ACTIONS)
        if enabled != self._enabled:
            # Refreshing bindings rebuilds the footer: only when a key's state really changed.
            self._enabled = enabled
            self.refresh_bindings()

    def _update_header(self) -> None:
        state = self._state
        parts = []
        total = len(self.session.packets) if self.session else 0
        name = state.packet_name or (str(state.root.packet) if state.root else "-")
        if state.trace is not None:
            parts.append(self.t("ui.hdr.step", n=state.index + 1, total=len(state.trace.steps)))
        if total and self.session is not None:
            parts.append(self.t("ui.hdr.packet", n=max(self.session.index + 1, 1), total=total, name=name))
        if state.reply:
            parts.append(self.t("ui.hdr.reply", n=state.reply, total=len(state.root.replies) if state.root else 0))
        if self.playing:
            parts.append(self.t("ui.hdr.playing", speed=SPEEDS[self.speed]))
        if self.scenario is not None:
            from .. import library

            title = library.text(self.scenario.title, self.lang)
        else:
            title = self.t("ui.loading")
        # A plain one-line Static rather than textual's Header: retitling the Header re-runs the
        # whole layout, which alone would cost half a frame per step.
        set_markup(
            self.query_one("#status", Static),
            f"[bold]⇄ netstack-tui[/]  {escape(' · '.join(parts))}  [$text-muted]{escape(title)}[/]",
        )

    def watch_index(self) -> None:
        """Moving to another step redraws."""
        self.publish()

    def watch_reply(self) -> None:
        """Switching journeys starts at its first step."""
        self.index = 0
        self.publish()

    def watch_playing(self, playing: bool) -> None:
        """Start or stop the autoplay timer."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if playing:
            self._timer = self.set_interval(1 / SPEEDS[self.speed], self._tick)
        self.publish()

    def watch_speed(self) -> None:
        """A new speed restarts the timer at that pace."""
        if self.playing:
            self.watch_playing(True)
        else:
            self.publish()

    def _tick(self) -> None:
        if self._state.at_end:
            self.playing = False
        else:
            self.index += 1

    # ---- language -------------------------------------------------------------------------------

    def apply_language(self) -> None:
        """Relabel bindings, tabs and the command line in the app's language, then redraw."""
        bindings: list[Binding] = []
        for key_bindings in self._merged_bindings.key_to_bindings.values() if self._merged_bindings else []:
            for b in key_bindings:
                action = b.action.split("(")[0]
                bindings.append(dataclasses.replace(b, description=self.t(f"ui.key.{action}")))
        self._bindings = BindingsMap(bindings)
        self._enabled = ()  # the footer must show the new descriptions
        if self._built:
            self._tabs.labels = (
                ("stage", self.t("ui.tab.stage")),
                ("packet-tab", self.t("ui.tab.packet")),
                ("shell-log", self.t("ui.tab.shell")),
            )
            self.update_command_line()
        else:
            set_markup(
                self.query_one("#loading", Static),
                f"[bold]{escape(self.t('ui.loading'))}[/]\n\n[$text-muted]{escape(self.t('ui.loading.keys'))}[/]",
            )
            set_markup(self.query_one("#key-hint", Static), self._key_hint())
        if self.is_mounted:
            self.publish()

    def _prompt(self) -> str:
        """The command line's placeholder: which namespace commands run in (as a shell prompt would
        say), then how to use it."""
        where = self.session.shell.namespace if self.session is not None else None
        hint = self.t("ui.cmd.placeholder")
        return f"{where}# {hint}" if where else hint

    def _key_hint(self) -> str:
        """The key legend as one line of markup, as the footer draws it (keys that cannot act yet dimmed)."""
        parts: list[str] = []
        seen: set[str] = set()
        for key_bindings in self._bindings.key_to_bindings.values():
            for b in key_bindings:
                if not b.show or b.action in seen:
                    continue
                seen.add(b.action)
                key = escape(self.app.get_key_display(b))
                item = f"[bold $footer-key-foreground]{key}[/] {escape(b.description)}"
                parts.append(item if self.check_action(b.action, ()) else f"[dim]{item}[/]")
        return " ".join(parts)

    # ---- bindings enabled by state --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out keys that cannot act now (step at the end, back at step 0, ...)."""
        state = self._state
        if self.session is None and action not in _ALWAYS_ACTIONS:
            return None
        if action in ("step", "last"):
            return None if state.at_end else True
        if action in ("step_back", "first"):
            return None if self.index <= 0 else True
        if action == "play":
            return None if state.at_end and not self.playing else True
        if action == "faster":
            return None if self.speed >= len(SPEEDS) - 1 else True
        if action == "slower":
            return None if self.speed <= 0 else True
        if action in ("next_packet", "reply", "reset"):
            # Always enabled once loaded: with no next packet or no reply, the action says why.
            return None if self.root is None else True
        if action == "previous_packet":
            return None if self.session is None or self.session.index <= 0 else True
        if action == "cancel_flood":
            return self._flood_cancel is not None
        if action == "summary":
            return None if self.trace is None else True
        return True

    # ---- actions --------------------------------------------------------------------------------

    def action_play(self) -> None:
        """Start or pause autoplay."""
        self.playing = not self.playing

    def action_faster(self) -> None:
        """Autoplay faster."""
        self.speed = min(len(SPEEDS) - 1, self.speed + 1)

    def action_slower(self) -> None:
        """Autoplay slower."""
        self.speed = max(0, self.speed - 1)

    def action_next_packet(self) -> None:
        """Send the scenario's next packet and follow it from the start (or say it was the last)."""
        if self.session is None:
            return
        if self.session.next_packet() is not None:
            self._new_journey(None)
        else:
            self.say(self.t("ui.no_next_packet", total=len(self.session.packets)))

    def action_previous_packet(self) -> None:
        """Back to the scenario's previous packet, on the host as its predecessors left it."""
        session = self.session
        if session is None or session.index <= 0:
            return
        session.go_to_packet(session.index - 1)
        self._new_journey(None)

    def action_reset(self) -> None:
        """Back to the scenario's broken state: the setup only, the typed commands forgotten."""
        if self.session is None:
            return
        self.session.reset()
        self._log.clear()
        self._new_journey(None)
        self.say(self.t("ui.reset_done"))

    def action_restart(self) -> None:
        """Rebuild the host from the setup plus the typed commands, resend the first packet."""
        if self.session is None:
            return
        self.session.restart()
        self._new_journey(None)
        self.notify(self.t("ui.restarted"))

    def action_reply(self) -> None:
        """Follow the next reply's journey (and back to the sent packet after the last)."""
        root = self.root
        if root is None:
            return
        if not root.replies:
            from ...kernel.trace import Verdict

            last = root.steps[-1] if root.steps else None
            dropped = last is not None and last.verdict == Verdict.DROP and last.table is not None
            self.say(self.t("ui.no_reply.drop" if dropped else "ui.no_reply"))
            return
        self.playing = False
        self.reply = (self.reply + 1) % (len(root.replies) + 1)

    def action_command(self) -> None:
        """Focus the command line, at once: `widget.focus()` waits for the queue, and letters typed
        right after `:` (a fast typist, a paste) would be taken as hotkeys meanwhile."""
        if self._built:
            self.set_focus(self._command)

    def action_help(self) -> None:
        """Open the help screen."""
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(self.lang))

    def action_goal(self) -> None:
        """Open the goal and hints."""
        from .goal import GoalScreen

        if self.scenario is not None and self.session is not None:
            self.app.push_screen(GoalScreen(self.scenario, self.session, self.lang))

    def action_summary(self) -> None:
        """Open the packet-tracer style summary of the journey."""
        from .summary import SummaryScreen

        if self.trace is not None:
            self.app.push_screen(SummaryScreen(self.trace, self.lang))

    def action_topology(self) -> None:
        """Open the topology of the world, with the packet where the journey is; back at the step shown there."""
        from .topology import TopologyClosed, TopologyScreen

        def follow(closed: TopologyClosed | None) -> None:
            if closed is None:
                return
            self.index = closed.index
            if closed.enter is not None and self.session is not None:
                self.enter_namespace(closed.enter)

        if self.session is not None:
            self.app.push_screen(TopologyScreen(self.session, self.trace, self.state.index, self.lang), follow)

    def enter_namespace(self, name: str | None) -> None:
        """Run the command line's commands in namespace `name` (None: the root), say so in the prompt
        and a notice, and focus the command line."""
        if self.session is None or not self._built:
            return
        try:
            self.session.enter_namespace(name)
        except KeyError:
            self.say(self.t("ui.cmd.no_namespace", ns=name), severity="warning")
            return
        self.update_command_line()
        where = self.session.shell.namespace
        self.say(self.t("ui.cmd.entered", ns=where) if where else self.t("ui.cmd.entered_root"))
        self._command.focus()

    def update_command_line(self) -> None:
        """Hand the command line its prompt and the names it completes (namespaces, interfaces)."""
        from ..widgets.command_line import NameBook

        session = self.session
        self._command.placeholder = self._prompt()
        if session is None:
            return
        world = session.shell.world
        self._command.names = NameBook(
            namespaces=tuple(sorted(world.namespaces)),
            interfaces=tuple((world.name_of(h) or "", tuple(h.interfaces)) for h in world.hosts()),
            here=session.shell.namespace,
        )

    def action_scenarios(self) -> None:
        """Open the scenario picker."""
        from .picker import PickerScreen

        current = self.scenario.id if self.scenario else None
        self.app.push_screen(PickerScreen(self.lang, current=current), self._picked)

    @property
    def _explorer(self) -> _Explorer:
        """The app, as far as this screen uses it (the app module imports this one, not the reverse)."""
        return cast(_Explorer, self.app)

    def _picked(self, scenario_id: str | None) -> None:
        if scenario_id:
            self.app.call_later(self._explorer.open_scenario, scenario_id)

    def action_language(self) -> None:
        """Switch between English and Russian."""
        app = self._explorer
        app.lang = "ru" if app.lang == "en" else "en"

    def action_theme(self) -> None:
        """Cycle dark → light → high contrast."""
        self._explorer.action_cycle_theme()

    def action_packet_tab(self) -> None:
        """Show the packet tab (for narrow terminals, where the packet pane is folded into a tab)."""
        self.show_tab("stage" if self.active_tab == "packet-tab" else "packet-tab")

    async def action_quit(self) -> None:
        """Leave the app; with commands typed in this scenario, only on a second `q` (they would be lost)."""
        typed = len(self.session.commands) if self.session is not None else 0
        now = time.monotonic()
        if typed and now - self._quit_armed_at > 4:
            self._quit_armed_at = now
            self.say(self.t("ui.quit_confirm", n=typed), severity="warning")
            return
        self.app.exit(0)

    def action_shell_tab(self) -> None:
        """Show the shell's output (and back to the stage)."""
        self.show_tab("stage" if self.active_tab == "shell-log" else "shell-log")

    def action_cancel_flood(self) -> None:
        """Esc while a flood runs: stop it between two packets; what was sent stays sent."""
        if self._flood_cancel is not None:
            self._flood_cancel.set()

    def action_interrupt(self) -> None:
        """Ctrl-C: stop a running flood, as in the headless shell; otherwise the app's own Ctrl-C."""
        if self._flood_cancel is not None:
            self._flood_cancel.set()
        else:
            self.app.action_help_quit()

    def say(self, text: str, *, severity: str = "information", timeout: float = 6) -> None:
        """One notice at a time: a new one replaces the last, so toasts never pile up over the text."""
        self.app.clear_notifications()
        self.notify(text, severity=severity, timeout=timeout)  # type: ignore[arg-type]

    @property
    def active_tab(self) -> str:
        """Id of the pane the centre shows: `stage`, `packet-tab` or `shell-log`."""
        return (self._switcher.current if self._built else None) or "stage"

    def show_tab(self, pane: str) -> None:
        """Show a centre pane and highlight its tab."""
        if self._built:
            self._switcher.current = pane
            self._tabs.active = pane

    def on_resize(self, event: events.Resize | None = None) -> None:
        """With room for the packet column, the packet tab is not offered.

        Wide or not is worked out from the width here, not read from the `-wide` class: this handler
        may run before Textual's own sets the breakpoint classes for the same Resize event."""
        if not self._built:
            return
        width = event.size.width if event is not None else self.size.width
        wide = self._breakpoint(width) == "-wide"
        self._tabs.hidden = frozenset({"packet-tab"}) if wide else frozenset()
        if wide and self.active_tab == "packet-tab":
            self.show_tab("stage")

    def _breakpoint(self, width: int) -> str:
        """The horizontal breakpoint class Textual gives the screen at `width` columns."""
        points = self.HORIZONTAL_BREAKPOINTS if self.HORIZONTAL_BREAKPOINTS is not None else \
            self.app.HORIZONTAL_BREAKPOINTS
        return max(((edge, name) for edge, name in points or [] if width >= edge), default=(0, ""))[1]

    # ---- messages up ----------------------------------------------------------------------------

    def on_tab_strip_tab_selected(self, event: TabStrip.TabSelected) -> None:
        """A tab was clicked: show its pane."""
        self.show_tab(event.tab)

    def on_pipeline_view_stage_selected(self, event: PipelineView.StageSelected) -> None:
        """A stage was clicked: stop playing and jump to it."""
        self.playing = False
        self.index = event.index

    def on_path_strip_stage_selected(self, event: PathStrip.StageSelected) -> None:
        """A segment of the path strip was clicked: stop playing and jump to its first step."""
        self.playing = False
        self.index = event.index

    def on_command_line_left(self) -> None:
        """Esc in the command line: back to the journey."""
        self._stage.focus()

    def on_command_line_command_entered(self, event: CommandLine.CommandEntered) -> None:
        """Run the line the user entered."""
        self.run_command(event.line)

    def run_command(self, line: str) -> None:
        """Run a shell line in the session; show its output, and the journey again if it changed."""
        if not self._built:
            return
        self.write_log(f"$ {line}")
        if line.strip() in ("clear",):
            self._log.clear()
            return
        if self.session is None:
            return
        before = self.session.trace
        if line.split()[:1] == ["flood"]:
            self._run_flood(line, before)
            return
        try:
            result = self.session.run_command(line)
        except Exception as exc:  # a simulator bug must not take the learner's session down
            self.write_log(self.t("ui.internal_error", error=f"{type(exc).__name__}: {exc}"))
            self.show_tab("shell-log")
            return
        self._after_command(result, before)

    def write_log(self, text: str) -> None:
        """Append output to the Shell tab, wrapped at the pane's width as a terminal wraps it
        (`iptables -L -v -n` and `ip link` lines are wider than a narrow pane)."""
        width = max(20, self._log.scrollable_content_region.width or self._switcher.size.width - 1)
        lines: list[str] = []
        for line in text.splitlines() or [""]:
            lines += [line[i : i + width] for i in range(0, len(line), width)] or [""]
        self._log.write_lines(lines)

    def _run_flood(self, line: str, before: Trace | None) -> None:
        """A flood runs in a worker thread with a progress bar; the command line waits for it."""
        from textual.widgets import ProgressBar

        from ...commands.base import CommandResult

        session = self.session
        assert session is not None
        bar = ProgressBar(show_eta=False, id="flood-progress")
        self.mount(bar, before=self._command)
        self._command.disabled = True
        cancel = self._flood_cancel = threading.Event()
        self.say(self.t("ui.flood.cancel_hint"))
        screen = self

        class BarReporter:
            """Moves the bar from the flood's thread (via call_from_thread); answers Esc's request to stop."""

            def update(self, done: int, total: int) -> bool:
                screen.app.call_from_thread(bar.update, total=total, progress=done)
                return cancel.is_set()

            def close(self) -> None:
                """Nothing: the bar goes when the result arrives."""

        def flood() -> None:
            session.shell.progress = BarReporter
            try:
                result = session.run_command(line)
            except Exception as exc:  # a simulator bug must not take the learner's session down
                result = CommandResult(self.t("ui.internal_error", error=f"{type(exc).__name__}: {exc}"), 1)
            finally:
                session.shell.progress = None
            self.app.call_from_thread(finished, result)

        def finished(result: CommandResult) -> None:
            self._flood_cancel = None
            bar.remove()
            self._command.disabled = False
            self._command.focus()
            self._after_command(result, before)

        self.run_worker(flood, thread=True, exclusive=True, group="flood")

    def _after_command(self, result: CommandResult, before: Trace | None) -> None:
        """Show a command's output, and the journey again if the command changed it.

        Focus stays where it is (the command line), so commands can be typed one after another;
        the view stays on the step being studied unless the journey changed, then it moves there.
        """
        if result.output:
            self.write_log(result.output)
        if result.status != 0:
            self.write_log(self.t("ui.cmd.status", status=result.status))
        session = self.session
        assert session is not None
        self.update_command_line()  # `ip netns exec NS bash` / `exit` move the prompt; names may be new
        if session.trace is not before:
            change = session.changed_step() if session.previous_trace is not None else None
            studied = self.index
            self._new_journey(change)
            last = len(self.trace.steps) - 1 if self.trace else 0
            self.index = max(0, min(change.index if change is not None else studied, last))
            if change is not None:
                self.say(change_text(self._state) or "")
            else:
                others = session.other_packets_changed()
                if others:
                    self.say(self.t("ui.unchanged_but_others", names=", ".join(others)))
                else:
                    self.say(self.t("ui.unchanged"))
        self.show_tab("shell-log" if result.output or result.status else "stage")
        self._check_goal()

    def _new_journey(self, change: StepChange | None) -> None:
        if self._built:
            self.update_command_line()  # a restart or another scenario starts in the root namespace
        self.change = change
        self.playing = False
        self.set_reactive(MainScreen.reply, 0)
        self.set_reactive(MainScreen.index, 0)
        self.publish()

    def _check_goal(self) -> None:
        if self.scenario is None or self.session is None:
            return
        from .. import library

        status = library.evaluate(self.scenario, self.session, self.lang)
        if status is None:
            return
        problem = None
        if status.reached:
            if library.progress_status(self.scenario.id) != "solved":
                problem = library.mark(self.scenario.id, "solved")
                self.say(self.t("ui.goal.reached_toast"), timeout=8)
        else:
            problem = library.mark(self.scenario.id, "in progress")
        if problem is not None:
            self.notify(problem, severity="warning")
