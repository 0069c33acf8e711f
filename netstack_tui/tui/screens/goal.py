"""Goal and hints: the goal, its checks, hints revealed one at a time, the solution after the last
hint, and a short recap (the lesson) once the goal is reached."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...commands.session import Session
from ...i18n import message
from .. import library
from ..model import escape


class GoalScreen(ModalScreen[None]):
    """The scenario's goal; `h` reveals the next hint; Esc closes."""

    BINDINGS = [Binding("escape,g,q", "dismiss", "Close"), Binding("h", "hint", "Next hint")]

    def __init__(self, scenario: library.ScenarioLike, session: Session, lang: str) -> None:
        super().__init__()
        self.scenario = scenario
        """The scenario whose goal is shown."""
        self.session = session
        """The session the goal is checked against."""
        self.lang = lang
        """Language of the texts."""

    def t(self, key: str, **params: object) -> str:
        """A UI string in this screen's language."""
        return message(key, {k: str(v) for k, v in params.items()}, self.lang)

    def compose(self) -> ComposeResult:
        """One scrolling page."""
        with VerticalScroll(id="goal-body", classes="modal-body"):
            yield Static("", id="goal-text")

    def on_mount(self) -> None:
        """Draw the page."""
        self.redraw()

    def redraw(self) -> None:
        """Rebuild the text from the goal status and the hints revealed so far."""
        s = self.scenario
        lines = [
            f"[bold]{escape(library.text(s.title, self.lang))}[/]",
            escape(library.text(s.summary, self.lang)),
            "",
        ]
        symptom = library.text(getattr(s, "symptom_text", None), self.lang)
        if symptom:
            lines += [f"[bold $warning]{escape(self.t('ui.goal.symptom'))}[/]", escape(symptom), ""]
        lines += [f"[bold $primary]{escape(self.t('ui.goal.goal'))}[/]", escape(library.text(s.goal_text, self.lang))]
        status = library.evaluate(s, self.session, self.lang)
        if status is not None:
            for text, ok in status.checks:
                lines.append(f"  [{'$success' if ok else '$error'}]{'✓' if ok else '✗'}[/] {escape(text)}")
            if status.reached:
                lines += [
                    "",
                    f"[reverse bold $success] {escape(self.t('ui.goal.reached'))} [/]",
                    escape(library.text(s.lesson, self.lang)),
                ]
        hints = list(s.hints)
        used = min(library.hints_used(s.id), len(hints))
        lines += ["", f"[bold $primary]{escape(self.t('ui.goal.hints', used=used, total=len(hints)))}[/]"]
        for i, hint in enumerate(hints[:used], 1):
            lines.append(f"  {i}. " + escape(library.text(hint.text, self.lang)))
        if used < len(hints):
            lines.append(f"  [$text-muted]{escape(self.t('ui.goal.more'))}[/]")
        elif s.solution:
            lines += ["", f"[bold $primary]{escape(self.t('ui.goal.solution'))}[/]"]
            lines += [f"  [bold]$ {escape(line)}[/]" for line in s.solution]
        lines += ["", f"[$text-muted]{escape(self.t('ui.goal.keys'))}[/]"]
        self.query_one("#goal-text", Static).update("\n".join(lines))

    def action_hint(self) -> None:
        """Reveal the next hint."""
        if library.hints_used(self.scenario.id) < len(list(self.scenario.hints)):
            library.use_hint(self.scenario.id)
        self.redraw()

    def action_dismiss(self) -> None:  # type: ignore[override]
        """Close."""
        self.dismiss(None)
