"""The scenario picker: every scenario with its level, topics and progress, filtered as you type."""

from __future__ import annotations

from rich.text import Text
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

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # The filter has the focus; the arrows still move through the list.
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

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
            yield Static(self.error or self.t("ui.pick.hint"), id="picker-hint", markup=False)

    def on_mount(self) -> None:
        """Fill the table."""
        table = self.query_one(DataTable)
        table.add_columns(
            " ",
            self.t("ui.pick.col.title"),
            self.t("ui.pick.col.level"),
            self.t("ui.pick.col.progress"),
            self.t("ui.pick.col.topics"),
            "id",
        )
        self._fill("")
        self.query_one("#picker-filter", Input).focus()

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
            # Text, not str: DataTable reads a str cell as markup, and these are a scenario's own words.
            table.add_row(
                current,
                Text(title),
                self.t("ui.level." + scenario.level),
                self.t("ui.progress." + status.replace(" ", "_")),
                Text(", ".join(scenario.topics)),
                Text(scenario.id),
                key=scenario.id,
            )

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-filter")
    def _filter_done(self) -> None:
        """Enter in the filter opens the highlighted scenario."""
        table = self.query_one(DataTable)
        if table.row_count:
            self.dismiss(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def action_move(self, delta: int) -> None:
        """Move the highlighted row while the filter keeps the focus."""
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + delta)))

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self.dismiss(str(event.row_key.value))

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
