"""A served explorer and a headless Chromium that reads its terminal as text, for the browser tests.

What textual-serve's page renders: xterm.js with its WebGL (else canvas) renderer, so the screen is
pixels, not DOM rows, and screen-reader mode (the accessibility rows) is off. The page keeps its
xterm `Terminal` in a closure, as the property `terminal` of its own object. A script installed before
the page's scripts run (CDP `Page.addScriptToEvaluateOnNewDocument`) puts a one-shot setter for that
property name on Object.prototype, so the first assignment hands the terminal to `window`; the tests
then read xterm's buffer, line by line, as text. Keys go to xterm's hidden input textarea, as typing would.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

CAPTURE_TERMINAL = """
Object.defineProperty(Object.prototype, 'terminal', {configurable: true, set(value) {
  Object.defineProperty(this, 'terminal', {value: value, writable: true, configurable: true, enumerable: true});
  if (value && value.buffer && !window.servedTerminal) { window.servedTerminal = value; }
}});
"""
READ_SCREEN = """
const terminal = window.servedTerminal;
if (!terminal) { return ''; }
const buffer = terminal.buffer.active, rows = [];
for (let y = 0; y < terminal.rows; y++) {
  const line = buffer.getLine(buffer.viewportY + y);
  rows.push(line ? line.translateToString(true) : '');
}
return rows.join('\\n');
"""
PATIENCE = 60.0
"""Seconds to wait for something to appear before the test fails (a deadline, not a measurement)."""


def missing() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not CHROMIUM or not CHROMEDRIVER:
        return "chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)"
    return None


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, probe: Callable[[], Any], patience: float = PATIENCE, shown: Callable[[], str] = str) -> Any:
    """The first truthy answer of `probe`, asked until `patience` runs out (then AssertionError,
    with what `shown` returns: the screen, for a test that waited for it)."""
    deadline = time.monotonic() + patience
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {patience:.0f} s for {what}; the screen:\n{shown()}")
        time.sleep(0.1)


@contextmanager
def serving(*options: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`netstack-tui serve` on a free port: its URL and its process, stopped afterwards."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "netstack_tui", "serve", "--port", str(port), *options],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def listening() -> bool:
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        wait_for("the server to listen", listening)
        yield f"http://127.0.0.1:{port}/", server
    finally:
        server.terminate()
        server.wait(timeout=10)


def start_browser() -> Any:
    """Headless Chromium through Debian's chromedriver, with the terminal capture installed."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER or ""), options=options)
    capture_terminal(driver)
    return driver


def capture_terminal(driver: Any) -> None:
    """Install the capture (see the module docstring) in the current tab, before it loads a page."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CAPTURE_TERMINAL})


def screen(driver: Any) -> str:
    """The terminal's visible rows as text."""
    return str(driver.execute_script(READ_SCREEN))


def wait_for_screen(driver: Any, what: str, holds: Callable[[str], bool], patience: float = PATIENCE) -> str:
    """The screen once `holds(screen)`; the failure message shows the last screen."""
    return str(wait_for(what, lambda: (text if holds(text := screen(driver)) else ""), patience,
                        shown=lambda: screen(driver)))


def press(driver: Any, *keys: str) -> None:
    """Type into the terminal (selenium key names or plain text)."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "textarea.xterm-helper-textarea").send_keys(*keys)
