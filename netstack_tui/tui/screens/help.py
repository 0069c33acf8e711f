"""Help: the keys, the legend of symbols, and a glossary of the stages (from `STAGES`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...kernel.stages import STAGES
from ..model import SYMBOLS, escape, escaped_translator, stage_label
from ..stage_info import GROUP_KEYS

KEYS: tuple[tuple[str, str], ...] = (
    ("→  ←", "ui.help.k.step"),
    ("Home End", "ui.help.k.jump"),
    ("Space  + -", "ui.help.k.play"),
    ("n", "ui.key.next_packet"),
    ("N", "ui.key.previous_packet"),
    ("a", "ui.help.k.reply"),
    ("s", "ui.key.summary"),
    ("w", "ui.key.topology"),
    (":  /", "ui.help.k.command"),
    ("↑ ↓ Tab", "ui.help.k.history"),
    ("Esc", "ui.help.k.escape"),
    ("r", "ui.help.k.restart"),
    ("R", "ui.key.reset"),
    ("g", "ui.key.goal"),
    ("o", "ui.key.scenarios"),
    ("p", "ui.help.k.packet"),
    ("$", "ui.key.shell_tab"),
    ("l", "ui.key.language"),
    ("t", "ui.key.theme"),
    ("P", "ui.help.k.export_svg"),
    ("C", "ui.help.k.export_pcap"),
    ("J", "ui.help.k.export_json"),
    ("S", "ui.help.k.export_summary"),
    ("? F1", "ui.key.help"),
    ("q", "ui.key.quit"),
)
"""Keys and what they do (catalog keys), in the order the help lists them."""

OUTCOME_STYLE = {
    "passed": "$success",
    "dropped": "$error",
    "skipped": "$text-muted",
    "delivered": "$accent",
    "transmitted": "$accent",
    "pending": "$text-muted",
    "unreached": "$text-disabled",
}


def help_text(lang: str) -> str:
    """The help screen's markup."""
    t = escaped_translator(lang)
    lines = [f"[bold]{t('ui.help.title')}[/]", "", t("ui.help.intro"), "", f"[bold $primary]{t('ui.help.keys')}[/]"]
    lines += [f"  [bold]{escape(keys):<12}[/] {t(key)}" for keys, key in KEYS]
    lines += ["", f"[bold $primary]{t('ui.help.legend')}[/]"]
    for kind, symbol in SYMBOLS.items():
        lines.append(f"  [{OUTCOME_STYLE[kind]}]{symbol}[/]  {t('ui.outcome.' + kind)} — {t('ui.legend.' + kind)}")
    lines.append(f"  ▶  {t('ui.legend.current')}")
    lines.append(f"  [reverse $warning]0a[/] {t('ui.legend.changed')}")
    lines += ["", f"[bold $primary]{t('ui.help.glossary')}[/]"]
    for group in GROUP_KEYS:
        stages = [s for s in STAGES if s.group == group]
        lines.append(f"[bold]{escape(group)}[/] — {t('ui.group.' + group)}")
        for s in stages:
            lines.append(f"    {escape(stage_label(s, lang)):<24} [$text-muted]{escape(s.function)}[/]")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """Keys, legend and stage glossary; any of Esc, q, ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        """Language of the texts."""

    def compose(self) -> ComposeResult:
        """One scrolling page of help."""
        with VerticalScroll(id="help-body", classes="modal-body"):
            yield Static(help_text(self.lang), id="help-text")

    def action_dismiss(self) -> None:  # type: ignore[override]
        """Close the help."""
        self.dismiss(None)
