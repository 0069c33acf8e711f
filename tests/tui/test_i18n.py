"""Every message has a Russian text with the same placeholders, and every UI key the TUI uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from netstack_tui.i18n import en, message, ru

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_english_key_has_a_russian_text() -> None:
    """ru.py translates every key of en.py (kernel notes and UI strings alike)."""
    assert sorted(set(en.MESSAGES) - set(ru.MESSAGES)) == []
    assert sorted(set(ru.MESSAGES) - set(en.MESSAGES)) == []


def test_translations_keep_the_placeholders() -> None:
    """A translation uses exactly the placeholders of the English text."""
    for key, text in en.MESSAGES.items():
        assert set(PLACEHOLDER.findall(ru.MESSAGES[key])) == set(PLACEHOLDER.findall(text)), key


def test_ui_keys_used_by_the_tui_exist() -> None:
    """Every literal `ui.*` key in the TUI's source is in the catalog (dynamic ones are checked below)."""
    root = Path(__file__).resolve().parents[2] / "netstack_tui" / "tui"
    used = set()
    for path in root.rglob("*.py"):
        used |= set(re.findall(r"[\"'](ui\.[a-z_]+(?:\.[a-z_]+)*)[\"']", path.read_text()))
    assert sorted(k for k in used if k not in en.MESSAGES) == []


def test_dynamic_ui_keys_exist() -> None:
    """Keys built at run time: outcomes, legends, groups, analogies, dispositions, levels, progress."""
    from netstack_tui.kernel.trace import Disposition
    from netstack_tui.tui.model import SYMBOLS
    from netstack_tui.tui.screens.main import MainScreen
    from netstack_tui.tui.stage_info import ANALOGY_BY_STAGE, GROUP_KEYS

    keys = [f"ui.outcome.{k}" for k in SYMBOLS] + [f"ui.legend.{k}" for k in SYMBOLS]
    keys += [f"ui.group.{g}" for g in GROUP_KEYS]
    keys += [f"ui.analogy.{a}" for a in {*ANALOGY_BY_STAGE.values(), "netfilter", "nat"}]
    keys += [f"ui.disp.{d}" for d in Disposition]
    keys += [f"ui.level.{lv}" for lv in ("beginner", "intermediate", "advanced")]
    keys += [f"ui.progress.{p}" for p in ("new", "in_progress", "solved")]
    keys += [f"ui.key.{b.action.split('(')[0]}" for b in MainScreen.BINDINGS]  # type: ignore[union-attr]
    assert [k for k in keys if k not in en.MESSAGES] == []


def test_message_falls_back_to_english_then_to_the_key() -> None:
    """A missing translation shows English; a missing key shows itself."""
    assert message("ui.key.step", None, "xx") == "Step"
    assert message("no.such.key") == "no.such.key"


def test_every_stage_has_a_label_in_both_languages() -> None:
    """The pipeline's labels come from the catalog: each stage has `stage.<id>` in en and ru."""
    from netstack_tui.kernel.stages import STAGES
    from netstack_tui.tui.model import stage_label

    for stage in STAGES:
        assert stage_label(stage, "en") == stage.label
        assert f"stage.{stage.id}" in ru.MESSAGES
    assert stage_label(next(s for s in STAGES if s.id == "route_input"), "ru") == "маршрутизация"


def test_scenario_prose_is_reflowed_but_code_keeps_its_lines() -> None:
    """Hard-wrapped YAML prose becomes one line per paragraph (the terminal wraps it); indented
    code keeps its line breaks."""
    from netstack_tui.tui.library import reflow

    assert reflow("The NIC checks the\nframe's address.\n\n    int fd;\n    bind(fd);") == (
        "The NIC checks the frame's address.\n\n    int fd;\n    bind(fd);")
