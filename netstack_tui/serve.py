"""`netstack-tui serve`: the explorer in the browser, for a classroom, through textual-serve.

textual-serve answers the page, and for every websocket (every browser tab) it starts one app
process and ends it when the socket closes; so each student has an app and a simulated world of
their own, and closing the tab frees both. The apps it starts run `netstack-tui --served`, which
puts the shell in served mode (`commands.base.SERVED_ENV`): no command a student types reads the
server's files, and progress is kept apart from the teacher's.

textual-serve starts one fixed command and passes nothing from the page's URL to it, so a scenario
link is ours: `/?scenario=ID` renders textual-serve's page with the socket pointed at `/ws/ID`, and
that socket starts the app on library scenario ID. Only ids of the shipped library are accepted
(a path in a URL would let a stranger name the server's files), and the command is quoted word by
word because textual-serve runs it through the shell.
"""

from __future__ import annotations

import atexit
import copy
import inspect
import os
import shlex
import socket
import sys
import tempfile
from typing import Any

from .commands.base import SERVED_ENV

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def enter_served_mode() -> None:
    """Make this process a served app: the shell refuses the server's files, and progress goes to
    a directory of this session's own, removed when it ends (thirty students writing the teacher's
    progress file would mix their progress into it)."""
    os.environ[SERVED_ENV] = "1"
    private = tempfile.mkdtemp(prefix="netstack-tui-session-")
    os.environ["NETSTACK_TUI_DATA"] = private

    def remove() -> None:
        import shutil

        shutil.rmtree(private, ignore_errors=True)

    atexit.register(remove)


def app_command(scenario: str | None, lang: str | None, theme: str | None) -> str:
    """The shell command textual-serve runs for each tab: this Python, this package, served mode."""
    words = [sys.executable, "-m", "netstack_tui", "--served"]
    for option, value in (("--scenario", scenario), ("--lang", lang), ("--theme", theme)):
        if value:
            words += [option, value]
    return shlex.join(words)


def library_ids() -> set[str]:
    """The scenario ids a link may name: the shipped library's."""
    from .scenarios.library import library_files

    return {path.stem for path in library_files()}


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, in one line (None: it can), asked before the
    URL is printed so a taken port is not announced as served."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"cannot serve on {host}: {exc.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return f"cannot serve on {host}:{port}: {exc.strerror}"
    return None


def _make_server(host: str, port: int, scenario: str | None, lang: str | None, theme: str | None) -> Any:
    """textual-serve's Server with scenario links added (see the module docstring)."""
    import aiohttp_jinja2
    from aiohttp import web
    from textual_serve.server import Server

    ids = library_ids()

    class ClassroomServer(Server):
        """Server whose page and socket also answer `?scenario=ID` and `/ws/ID`."""

        async def _make_app(self) -> web.Application:
            app: web.Application = await super()._make_app()
            app.router.add_get("/ws/{scenario}", self.handle_websocket)
            return app

        async def on_startup(self, app: web.Application) -> None:
            print(f"netstack-tui: serving the explorer at {self.public_url}/ (one app per browser tab; "
                  "Ctrl+C stops)", flush=True)
            print(f"  a scenario by link: {self.public_url}/?scenario=ID  (ids: netstack-tui scenarios list)",
                  flush=True)

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            chosen = request.query.get("scenario")
            if chosen is not None and chosen not in ids:
                raise web.HTTPNotFound(text=f"netstack-tui: no scenario '{chosen}' in the library "
                                       "(netstack-tui scenarios list shows the ids)\n")
            context = await inspect.unwrap(Server.handle_index)(self, request)  # the page's data, not yet rendered
            if chosen is not None:
                context["app_websocket_url"] += f"/{chosen}"
            return aiohttp_jinja2.render_template("app_index.html", request, context)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            chosen = request.match_info.get("scenario")
            if chosen is None:
                return await super().handle_websocket(request)
            if chosen not in ids:
                raise web.HTTPNotFound(text=f"no scenario '{chosen}' in the library\n")
            # textual-serve reads the command from the server object after its first await, so a
            # per-socket command needs a per-socket object: a shallow copy sharing everything else.
            linked = copy.copy(self)
            linked.command = app_command(chosen, lang, theme)
            return await Server.handle_websocket(linked, request)

    return ClassroomServer(app_command(scenario, lang, theme), host=host, port=port, title="netstack-tui")


def session_pids(server_pid: int) -> list[int]:
    """The pids of the apps (one per open tab, run with `--served`) a server process started, found
    through /proc (Linux): for counting and measuring a classroom's sessions."""
    found: list[int] = []
    pending = [server_pid]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as children:
                kids = [int(word) for word in children.read().split()]
        except OSError:
            continue
        for kid in kids:
            try:
                with open(f"/proc/{kid}/cmdline", "rb") as cmdline:
                    if b"--served" in cmdline.read().split(b"\0"):
                        found.append(kid)
            except OSError:
                pass
        pending.extend(kids)
    return found


def run_serve(host: str, port: int, scenario: str | None, lang: str | None, theme: str | None) -> int:
    """Serve until Ctrl+C; the exit code (2 when the address cannot be used)."""
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        print("netstack-tui: serve needs textual-serve (pip install textual-serve)", file=sys.stderr)
        return 2
    if problem := port_problem(host, port):
        print(f"netstack-tui: {problem}", file=sys.stderr)
        return 2
    _make_server(host, port, scenario, lang, theme).serve()
    return 0
