"""The scenario picker: every scenario with its level, topics and progress, filtered as you type."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from ...i18n import message
from .. import library


class PickerScreen(ModalScreen[str | None]):
    """Choose a scenario; returns its id (None when cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, lang: str, current: str | None = None) -> None:
        super().__init__()
        self.lang = lang
        """Language of the texts."""
        self.current = current
        """Id of the open scenario (marked in the list)."""
        self.scenarios, self.error = library.list_all()

    def t(self, key: str, **params: object) -> str:
        """A UI string in this screen's language."""
        return message(key, {k: str(v) for k, v in params.items()}, self.lang)

    def compose(self) -> ComposeResult:
        """A title, a filter box and the table."""
        with Vertical(id="picker-body", classes="modal-body"):
            yield Static(f"[bold]{self.t('ui.pick.title')}[/]", id="picker-title")
            yield Input(placeholder=self.t("ui.pick.filter"), id="picker-filter")
            yield DataTable(id="picker-table", cursor_type="row", zebra_stripes=True)
            yield Static(self.error or self.t("ui.pick.hint"), id="picker-hint")

    def on_mount(self) -> None:
        """Fill the table."""
        table = self.query_one(DataTable)
        table.add_columns(
            " ",
            self.t("ui.pick.col.title"),
            self.t("ui.pick.col.level"),
            self.t("ui.pick.col.progress"),
            self.t("ui.pick.col.topics"),
        )
        self._fill("")
        table.focus()

    def _fill(self, needle: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        needle = needle.lower()
        for scenario in self.scenarios:
            title = library.text(scenario.title, self.lang)
            haystack = " ".join([scenario.id, title, scenario.level, *scenario.topics]).lower()
            if needle and needle not in haystack:
                continue
            status = library.progress_status(scenario.id)
            mark = {"solved": "✓", "in progress": "…"}.get(status, " ")
            current = "▶" if scenario.id == self.current else mark
            table.add_row(
                current,
                title,
                self.t("ui.level." + scenario.level),
                self.t("ui.progress." + status.replace(" ", "_")),
                ", ".join(scenario.topics),
                key=scenario.id,
            )

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self.dismiss(str(event.row_key.value))

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
