"""The served explorer in a real browser: headless Chromium opens `netstack-tui serve`, reads the
app's screen from the page's terminal, steps, types commands, and closes the tab."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from netstack_tui.serve import session_pids as served_apps

from .browser import (
    capture_terminal,
    missing,
    press,
    screen,
    serving,
    start_browser,
    wait_for,
    wait_for_screen,
)

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Any]]:
    with serving() as running:
        yield running


@pytest.fixture(scope="module")
def page(server: tuple[str, Any]) -> Iterator[Any]:
    """One browser tab on the served explorer, its first screen drawn."""
    driver = start_browser()
    try:
        driver.get(server[0])
        wait_for_screen(driver, "the pipeline on the page", lambda text: "PREROUTING" in text)
        yield driver
    finally:
        driver.quit()


def _step(text: str) -> int:
    found = re.search(r"step (\d+)/\d+", text)
    assert found, f"no step counter on the screen:\n{text}"
    return int(found.group(1))


def _footer(text: str) -> str:
    return text.rstrip().splitlines()[-1]


def _command(page: Any, line: str) -> None:
    """Type `line` at the explorer's command line. `:` focuses it when the pipeline has the focus (its
    footer offers → Step); the keys of the line are sent once the footer shows the input has it."""
    from selenium.webdriver.common.keys import Keys

    if "→ Step" in _footer(screen(page)):
        press(page, ":")
        wait_for_screen(page, "the command line to take the focus", lambda text: "→ Step" not in _footer(text))
    press(page, line, Keys.ENTER)


def test_the_page_shows_the_pipeline_and_right_arrow_steps_it(page: Any) -> None:
    """The page shows the explorer's pipeline; → in the browser moves the packet one stage."""
    from selenium.webdriver.common.keys import Keys

    before = _step(screen(page))
    press(page, Keys.ARROW_RIGHT)
    wait_for_screen(page, f"the step after {before}", lambda text: _step(text) == before + 1)


def test_a_typed_command_shows_its_output(page: Any) -> None:
    """`iptables -S` typed in the browser prints the tour's ruleset on the page."""
    _command(page, "iptables -S")
    wait_for_screen(page, "the output of iptables -S",
                    lambda text: "$ iptables -S" in text and "-P FORWARD ACCEPT" in text)


def test_a_student_cannot_read_the_servers_files(page: Any) -> None:
    """`nft -f /etc/passwd` in the browser is refused in one line, and nothing of the file shows."""
    _command(page, "nft -f /etc/passwd")
    shown = wait_for_screen(page, "the refusal", lambda text: "reading the server's files is disabled" in text)
    assert "/etc/passwd: reading the server's files is disabled in the served explorer" in shown
    assert "root:x:0" not in shown


def test_each_tab_has_its_own_app_and_closing_it_ends_the_app(server: tuple[str, Any], page: Any) -> None:
    """A second tab starts a second app process, on a journey of its own; closing the tab ends it."""
    url, process = server
    assert len(served_apps(process.pid)) == 1
    first = page.current_window_handle
    page.switch_to.new_window("tab")
    try:
        capture_terminal(page)
        page.get(url)
        shown = wait_for_screen(page, "the second tab's pipeline", lambda text: "PREROUTING" in text)
        assert len(served_apps(process.pid)) == 2
        assert _step(shown) == 1, "the second tab continues the first tab's journey"
    finally:
        page.close()
        page.switch_to.window(first)
    wait_for("the closed tab's app to end", lambda: len(served_apps(process.pid)) == 1)


def test_a_scenario_link_opens_that_scenario(server: tuple[str, Any]) -> None:
    """`/?scenario=rule-order` opens that scenario; an id outside the library is not served."""
    url, _ = server
    driver = start_browser()
    try:
        driver.get(url + "?scenario=rule-order")
        wait_for_screen(driver, "the linked scenario", lambda text: "the ACCEPT that never fires" in text)
        driver.get(url + "?scenario=/etc/passwd")
        assert "no scenario '/etc/passwd' in the library" in driver.page_source
    finally:
        driver.quit()
