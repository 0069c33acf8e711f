"""The app: themes, language, the scenario being explored, and `run_app` for the CLI.

Thin on purpose: the explorer lives in `screens/main.py`, widgets in `widgets/`. The app only
knows which scenario is open, which language and theme are active, and how to switch them.
"""

from __future__ import annotations

import gc
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.reactive import var
from textual.theme import Theme
from textual.worker import get_current_worker

from ..i18n import message
from .exports import Target, export
from .first_screen import BootScreen
from .handover import UNSEEN_AT_MOST, RecordedStart

# The explorer (`screens.main`) is imported when it is built: on a start that draws the recorded
# first screen, only after that screen is painted (see `first_screen`).
if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

    from ..commands.session import Session
    from . import library

THEMES: dict[str, Theme] = {
    "dark": Theme(
        name="netstack-dark",
        primary="#4C9EEB",
        secondary="#B48EAD",
        accent="#E5C07B",
        warning="#E5A04B",
        error="#F0605A",
        success="#5FD068",
        foreground="#D8DEE9",
        background="#1B1F27",
        surface="#232833",
        panel="#2E3440",
        dark=True,
    ),
    "light": Theme(
        name="netstack-light",
        primary="#1F5FAD",
        secondary="#7A3E9D",
        accent="#9A6700",
        warning="#B35900",
        error="#C0262D",
        success="#1A7F37",
        foreground="#1F2328",
        background="#FAFAF7",
        surface="#EFEFEA",
        panel="#E2E2DC",
        dark=False,
    ),
    "contrast": Theme(
        name="netstack-contrast",
        primary="#00FFFF",
        secondary="#FF00FF",
        accent="#FFFF00",
        warning="#FFAA00",
        error="#FF3030",
        success="#00FF00",
        foreground="#FFFFFF",
        background="#000000",
        surface="#000000",
        panel="#202020",
        dark=True,
        variables={"text-muted": "#C0C0C0", "border": "#FFFFFF"},
    ),
}
"""The three themes by their short names (`--theme dark|light|contrast`)."""

THEME_ORDER = ("dark", "light", "contrast")

LIVE_SHOWN_WAIT = UNSEEN_AT_MOST + 1.0
"""Seconds the loader waits at most for a swapped-in explorer to be shown before warming the goals."""


class NetstackApp(RecordedStart):
    """netstack-tui: step a packet through a simulated Linux network stack."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "netstack-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        # The export keys are the app's, so they also work over the topology and the summary.
        Binding("P", "export('svg')", "Save picture", show=False),
        Binding("C", "export('pcap')", "Save capture", show=False),
        Binding("J", "export('json')", "Save JSON", show=False),
        Binding("S", "export('summary')", "Save summary", show=False),
    ]

    lang: var[str] = var("en", init=False)
    """Interface language: `en` or `ru`."""

    def __init__(
        self,
        *,
        lang: str = "en",
        theme: str | None = None,
        scenario: str | None = None,
        session: Session | None = None,
        scenario_obj: library.ScenarioLike | None = None,
        export_dir: Path | None = None,
    ) -> None:
        """Open `scenario` (an id or a YAML path; default: the walkthrough), or an injected session;
        exports go to `export_dir` (default: the current directory)."""
        super().__init__()
        self.exports = Target(export_dir)
        """Where the export keys put their files."""
        self._initial_theme = theme or "dark"
        self._scenario_ref = scenario
        self._injected = (scenario_obj, session)
        self.set_reactive(NetstackApp.lang, lang if lang in ("en", "ru") else "en")
        self.load_error: str | None = None
        """Why the requested scenario could not be loaded (None: it loaded)."""
        self.progress_notice: str | None = None
        """Why the progress file was set aside at start (shown once with the scenario)."""
        # Themes are set before anything mounts: switching later restyles every widget again.
        for palette in THEMES.values():
            self.register_theme(palette)
        name = {"high-contrast": "contrast"}.get(self._initial_theme, self._initial_theme)
        self.theme = THEMES.get(name, THEMES["dark"]).name

    def get_default_screen(self) -> Screen[None]:
        """The explorer; without an injected session it loads behind the first frame, and that frame is
        the recording of the explorer's first screen when this start's conditions have one."""
        scenario, session = self._injected
        if scenario is None and session is None and (recorded := self.recorded_screen(self._scenario_ref)):
            return recorded
        from .screens.main import MainScreen

        if scenario is not None and session is not None:
            return MainScreen(scenario, session)
        return MainScreen()

    def on_mount(self) -> None:
        """Start loading the scenario once the first frame is painted (the import would otherwise hold
        the GIL while the frame is drawn)."""
        if self._injected[1] is None:
            self.screen.call_after_refresh(self.run_worker, self._load, thread=True, exclusive=True, group="load")
        else:
            # A session handed in is loaded already: keep it out of the collector's walks, as `_loaded` does.
            self.call_after_refresh(gc.freeze)
            scenario = self._injected[0]
            if scenario is not None:
                from . import library

                self.call_after_refresh(self.run_worker, partial(library.warm_goals, scenario), thread=True,
                                        group="warm")

    def _load(self) -> None:
        from . import library  # the scenario library (and its YAML) loads behind the first frame
        from .screens import main  # noqa: F401  (the explorer and its panes' modules too, off the UI thread)
        from .widgets import command_line, explain, packet_view, path_strip, pipeline, stage_views, tabs  # noqa: F401

        scenario, session = self._injected
        if scenario is None:
            scenario, self.load_error = library.load(self._scenario_ref)
        self.progress_notice = library.progress_notice()  # read off the UI thread, like the scenario
        if session is None:
            session = self._session_for(scenario)
        if get_current_worker().is_cancelled:
            return
        self.call_from_thread(self._loaded, scenario, session)
        # While the learner reads the first screen: what the goal check needs the first time a journey
        # ends (the checks' module, and the full validated scenario a cached one builds on demand),
        # else that step stalls for ~0.4 s. Not while a live screen is being swapped in unseen: these
        # imports would hold the GIL the swap needs.
        self.live_shown.wait(LIVE_SHOWN_WAIT)
        library.warm_goals(scenario)

    def _loaded(self, scenario: library.ScenarioLike, session: Session | None) -> None:
        # Everything loaded so far (textual, the simulator, the scenario) lives as long as the app:
        # moved out of the collector's reach, a full collection no longer walks it in the middle
        # of a step (it took 40 ms, more than two frames).
        gc.freeze()
        from .screens.main import MainScreen

        screen = self.screen_stack[0]
        if isinstance(screen, BootScreen):
            # Built as on a start without a recording (the panes after the screen's first refresh),
            # so that it comes to the very picture recorded then.
            live = MainScreen()
            if session is not None:
                live.set_session(scenario, session)
            self.swap_in(live)
        elif isinstance(screen, MainScreen) and session is not None:
            screen.set_session(scenario, session)
            usual = self._injected == (None, None)  # the scenario named on the command line, as the key says
            if usual and not (self.load_error or self.progress_notice or session.setup_errors):
                self.record_when_settled(screen, self._scenario_ref)
        if self.load_error:
            self.notify(self.load_error, severity="error" if session is None else "warning", timeout=15)
        if self.progress_notice:
            self.notify(self.progress_notice, severity="warning", timeout=15)
        if session is not None and session.setup_errors:
            self.notify(
                "\n".join(session.setup_errors[:3]),
                title=message("ui.setup_errors", None, self.lang),
                severity="warning",
                timeout=8,
            )

    def _session_for(self, scenario: library.ScenarioLike) -> Session | None:
        """The scenario's session; on a simulator failure None, and `load_error` says why."""
        from . import library

        try:
            return library.session_for(scenario)
        except Exception as exc:  # show the failure on screen rather than a traceback
            self.load_error = message("ui.internal_error", {"error": f"{type(exc).__name__}: {exc}"}, self.lang)
            return None

    def open_scenario(self, scenario_id: str) -> None:
        """Replace the explorer with one for another scenario."""
        from . import library

        scenario, error = library.load(scenario_id)
        if error:
            self.notify(error, severity="error")
            return
        self.load_error = None
        session = self._session_for(scenario)
        if session is None:
            self.notify(self.load_error or "", severity="error", timeout=15)
            return
        # The explorer is the base screen (nothing to switch from): it takes the new scenario itself.
        from .screens.main import MainScreen

        screen = self.screen_stack[0]
        if isinstance(screen, MainScreen):
            screen.set_session(scenario, session)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Textual's notice, always as plain text: notices carry paths, commands typed, names and
        errors a user controls, and a `[/]` in one must show as written (as markup it ends the app)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def watch_lang(self) -> None:
        """Relabel every screen that speaks."""
        for screen in self.screen_stack:
            relabel = getattr(screen, "apply_language", None)
            if relabel is not None:
                relabel()

    def action_export(self, kind: str) -> None:
        """P, C, J, S: save the screen (SVG), the journey's frames (pcapng), the JSON trace or the
        summary (text) to the export directory, or send it to the browser when served."""
        export(self, kind, self.exports, self.lang)

    def action_cycle_theme(self) -> None:
        """dark → light → high contrast → dark."""
        names = [THEMES[k].name for k in THEME_ORDER]
        current = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(current + 1) % len(names)]
        self.notify(message("ui.theme_now", {"theme": self.theme.removeprefix("netstack-")}, self.lang))


def run_app(lang: str = "en", theme: str | None = None, scenario: str | None = None,
            export_dir: Path | None = None) -> int:
    """Run the app until the user quits; the exit code."""
    result = NetstackApp(lang=lang, theme=theme, scenario=scenario, export_dir=export_dir).run()
    return int(result or 0)
