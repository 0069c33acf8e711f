"""The explorer: pipeline, stage state, packet, explanation and a command line, driven by keys.

The screen owns the position (which journey, which step) and builds one frozen `ViewState` that it
hands down to every widget; widgets post messages up (`PipelineView.StageSelected`,
`CommandLine.CommandEntered`). It never simulates: it reads the `Session`'s traces and asks the
session to run commands.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Log, Static

from ...i18n import message
from ...kernel.trace import Trace
from .. import library
from ..model import ViewState, change_text, escape, set_markup
from ..widgets.command_line import CommandLine
from ..widgets.explain import ExplainPane
from ..widgets.packet_view import PacketView
from ..widgets.pipeline import PipelineView
from ..widgets.stage_views import StageView
from ..widgets.tabs import TabStrip

if TYPE_CHECKING:
    from ...commands.session import Session, StepChange
    from ..app import NetstackApp

SPEEDS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Autoplay speeds in steps per second."""


_ALWAYS_ACTIONS = ("help", "language", "theme", "quit", "scenarios", "command", "packet_tab")
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
    "reply",
    "summary",
)
"""Actions whose availability depends on the state (see `MainScreen.check_action`)."""


class MainScreen(Screen[None]):
    """The explorer screen for one scenario's session."""

    BINDINGS = [
        Binding("right", "step", "Step", priority=False),
        Binding("left", "step_back", "Back"),
        Binding("colon,slash", "command", "Command", key_display=":"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("g", "goal", "Goal"),
        Binding("space", "play", "Play", key_display="␣"),
        Binding("n", "next_packet", "Next packet"),
        Binding("a", "reply", "Reply"),
        Binding("s", "summary", "Summary"),
        Binding("plus,equals_sign", "faster", "Faster", show=False, key_display="+"),
        Binding("minus", "slower", "Slower", show=False, key_display="-"),
        Binding("home", "first", "Start", show=False),
        Binding("end", "last", "End", show=False),
        Binding("r", "restart", "Restart", show=False),
        Binding("o", "scenarios", "Scenarios", show=False),
        Binding("l", "language", "Language", show=False),
        Binding("t", "theme", "Theme", show=False),
        Binding("p", "packet_tab", "Packet", show=False),
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
        self._state = ViewState()
        self._enabled: tuple[bool | None, ...] = ()

    @property
    def lang(self) -> str:
        """The app's language."""
        return getattr(self.app, "lang", "en")

    def t(self, key: str, **params: object) -> str:
        """A UI string in the current language."""
        return message(key, {k: str(v) for k, v in params.items()}, self.lang)

    def compose(self) -> ComposeResult:
        """Header; pipeline | centre tabs | packet; explanation; command line; footer."""
        yield Static("", id="status")
        with Horizontal(id="body"):
            yield PipelineView(id="pipeline")
            with Vertical(id="centre"):
                yield TabStrip(id="tabs")
                with ContentSwitcher(id="switcher", initial="stage"):
                    yield StageView(id="stage")
                    yield PacketView(id="packet-tab")
                    yield Log(id="shell-log", highlight=False)
            yield PacketView(id="packet-pane")
        yield ExplainPane(id="explain")
        yield CommandLine(id="command", placeholder="")
        yield Footer(compact=True)

    def set_session(self, scenario: library.ScenarioLike, session: Session) -> None:
        """The scenario finished loading: show its journey from the first step."""
        self.scenario, self.session = scenario, session
        self._new_journey(None)

    def on_mount(self) -> None:
        """Show the first step and label everything in the current language."""
        self.apply_language()
        self.show_tab("stage")
        self.on_resize()
        self.query_one("#stage", StageView).focus()
        self.publish()

    # ---- state down ---------------------------------------------------------------------------

    @property
    def root(self) -> Trace | None:
        """The sent packet's journey."""
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
        for widget in (
            self.query_one(PipelineView),
            self.query_one(StageView),
            self.query_one(ExplainPane),
            *self.query(PacketView),
        ):
            widget.state = self._state
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
        title = library.text(self.scenario.title, self.lang) if self.scenario else self.t("ui.loading")
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
        self.query_one(TabStrip).labels = (
            ("stage", self.t("ui.tab.stage")),
            ("packet-tab", self.t("ui.tab.packet")),
            ("shell-log", self.t("ui.tab.shell")),
        )
        self.query_one(CommandLine).placeholder = self.t("ui.cmd.placeholder")
        if self.is_mounted:
            self.publish()

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
        if action == "next_packet":
            return None if self.session is None or not self.session.has_next_packet else True
        if action == "reply":
            return None if self.root is None or not self.root.replies else True
        if action == "summary":
            return None if self.trace is None else True
        return True

    # ---- actions --------------------------------------------------------------------------------

    def action_step(self) -> None:
        """One step forward."""
        if not self._state.at_end:
            self.index += 1

    def action_step_back(self) -> None:
        """One step back (the previous step's snapshot)."""
        if self.index > 0:
            self.index -= 1

    def action_first(self) -> None:
        """Jump to the first step."""
        self.index = 0

    def action_last(self) -> None:
        """Jump to the last step."""
        if self.trace is not None:
            self.index = len(self.trace.steps) - 1

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
        """Send the scenario's next packet and follow it from the start."""
        if self.session is not None and self.session.next_packet() is not None:
            self._new_journey(None)

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
        if root is None or not root.replies:
            return
        self.playing = False
        self.reply = (self.reply + 1) % (len(root.replies) + 1)

    def action_command(self) -> None:
        """Focus the command line."""
        self.query_one(CommandLine).focus()

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

    def action_scenarios(self) -> None:
        """Open the scenario picker."""
        from .picker import PickerScreen

        current = self.scenario.id if self.scenario else None
        self.app.push_screen(PickerScreen(self.lang, current=current), self._picked)

    def _picked(self, scenario_id: str | None) -> None:
        if scenario_id:
            self.app.call_later(self.app.open_scenario, scenario_id)  # type: ignore[attr-defined]

    def action_language(self) -> None:
        """Switch between English and Russian."""
        app: NetstackApp = self.app  # type: ignore[assignment]
        app.lang = "ru" if app.lang == "en" else "en"

    def action_theme(self) -> None:
        """Cycle dark → light → high contrast."""
        self.app.action_cycle_theme()  # type: ignore[attr-defined]

    def action_packet_tab(self) -> None:
        """Show the packet tab (for narrow terminals, where the packet pane is folded into a tab)."""
        self.show_tab("stage" if self.active_tab == "packet-tab" else "packet-tab")

    async def action_quit(self) -> None:
        """Leave the app."""
        self.app.exit(0)

    @property
    def active_tab(self) -> str:
        """Id of the pane the centre shows: `stage`, `packet-tab` or `shell-log`."""
        return self.query_one("#switcher", ContentSwitcher).current or "stage"

    def show_tab(self, pane: str) -> None:
        """Show a centre pane and highlight its tab."""
        self.query_one("#switcher", ContentSwitcher).current = pane
        self.query_one(TabStrip).active = pane

    def on_resize(self) -> None:
        """With room for the packet column, the packet tab is not offered."""
        wide = self.has_class("-wide")
        self.query_one(TabStrip).hidden = frozenset({"packet-tab"}) if wide else frozenset()
        if wide and self.active_tab == "packet-tab":
            self.show_tab("stage")

    # ---- messages up ----------------------------------------------------------------------------

    @on(TabStrip.TabSelected)
    def _tab_selected(self, event: TabStrip.TabSelected) -> None:
        self.show_tab(event.tab)

    @on(PipelineView.StageSelected)
    def _stage_selected(self, event: PipelineView.StageSelected) -> None:
        self.playing = False
        self.index = event.index

    @on(CommandLine.Left)
    def _left_command_line(self) -> None:
        self.query_one("#stage", StageView).focus()

    @on(CommandLine.CommandEntered)
    def _command_entered(self, event: CommandLine.CommandEntered) -> None:
        self.run_command(event.line)

    def run_command(self, line: str) -> None:
        """Run a shell line in the session; show its output, and the journey again if it changed."""
        log = self.query_one("#shell-log", Log)
        log.write_line(f"$ {line}")
        if line.strip() in ("clear",):
            log.clear()
            return
        if self.session is None:
            return
        before = self.session.trace
        try:
            result = self.session.run_command(line)
        except Exception as exc:  # a simulator bug must not take the learner's session down
            log.write_line(self.t("ui.internal_error", error=f"{type(exc).__name__}: {exc}"))
            self.show_tab("shell-log")
            return
        if result.output:
            log.write_lines(result.output.splitlines())
        if result.status != 0:
            log.write_line(self.t("ui.cmd.status", status=result.status))
        rerun = self.session.trace is not before
        if rerun:
            change = self.session.changed_step() if self.session.previous_trace is not None else None
            self._new_journey(change)
            if change is not None:
                self.index = min(change.index, len(self.trace.steps) - 1) if self.trace else 0
                self.notify(change_text(self._state) or "", timeout=6)
            else:
                self.notify(self.t("ui.unchanged"))
            self.show_tab("stage")
            # Back to the journey, so → and ← work at once on the re-run.
            self.query_one("#stage", StageView).focus()
        elif result.output or result.status:
            self.show_tab("shell-log")
        self._check_goal()

    def _new_journey(self, change: StepChange | None) -> None:
        self.change = change
        self.playing = False
        self.set_reactive(MainScreen.reply, 0)
        self.set_reactive(MainScreen.index, 0)
        self.publish()

    def _check_goal(self) -> None:
        if self.scenario is None or self.session is None:
            return
        status = library.evaluate(self.scenario, self.session, self.lang)
        if status is None:
            return
        if status.reached:
            if library.progress_status(self.scenario.id) != "solved":
                library.mark(self.scenario.id, "solved")
                self.notify(self.t("ui.goal.reached_toast"), timeout=8)
        else:
            library.mark(self.scenario.id, "in progress")
