"""The export keys: the screen as SVG (P), the journey's frames as pcapng (C), the journey as the
JSON trace (J), the summary as text (S).

They are the app's keys, so they work over the topology and the summary too. The files themselves
are made below the UI (`netstack_tui.export`); here they are only named and put where the user
chose: the export directory (`--export-dir`, else the current one), or, in a browser, the browser's
downloads. A served explorer never writes to the server's disk.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from ..i18n import message

if TYPE_CHECKING:
    from textual.app import App

    from .screens.main import MainScreen

Kind = Literal["svg", "pcap", "json", "summary"]

SUFFIX: dict[str, str] = {"svg": "svg", "pcap": "pcapng", "json": "json", "summary": "txt"}
MIME: dict[str, str] = {
    "svg": "image/svg+xml",
    "pcap": "application/x-pcapng",
    "json": "application/json",
    "summary": "text/plain",
}


@dataclass(frozen=True, slots=True)
class Export:
    """A file ready to go: what it is (in words), its name's stem and its bytes."""

    kind: Kind
    what: str
    stem: str
    data: bytes


def build(app: App[Any], main: MainScreen, kind: Kind, lang: str) -> Export | None:
    """The export of `kind` for the journey `main` shows; None when there is no journey yet."""
    from ..export.files import stem, traces_json

    session, root, shown = main.session, main.root, main.trace
    scenario = main.scenario.id if main.scenario is not None else None
    packet = (session.current_name if session is not None else None) or "packet"
    reply = f"reply{main.reply}" if main.reply else None

    def what(**params: object) -> str:
        return message(f"ui.export.what.{kind}", {k: str(v) for k, v in params.items()}, lang)

    if kind == "svg":  # (any screen can be pictured, even before a journey)
        svg = app.export_screenshot(title=f"netstack-tui — {scenario or packet}")
        step = f"step{main.state.index + 1}" if shown is not None else None
        return Export(kind, what(), stem(scenario or "netstack-tui", packet, reply, step), svg.encode())
    if session is None or root is None or shown is None:
        return None
    if kind == "pcap":
        from ..export.frames import journey_frames
        from ..export.pcapng import pcapng

        replayed = journey_frames(session)
        frames = replayed[1] if replayed is not None else []
        comment = f"netstack-tui: {scenario or 'journey'}, packet {packet}: {root.packet}"
        return Export(kind, what(n=len(frames)), stem(scenario, packet), pcapng(frames, comment=comment))
    if kind == "json":
        return Export(kind, what(), stem(scenario, packet), (traces_json([root]) + "\n").encode())
    from ..export.summary import summary_plain

    return Export(kind, what(), stem(scenario, packet, reply), summary_plain(shown, lang).encode())


@dataclass(slots=True)
class Target:
    """Where an app's exports go."""

    directory: Path | None = None
    """The export directory (`--export-dir`); None: the current directory at the time of the export."""
    sent: dict[str, int] = field(default_factory=dict)
    """Files sent to the browser so far, by name without the number (numbered in the order sent:
    there is no disk to look at)."""


def export(app: App[Any], kind: str, target: Target, lang: str) -> None:
    """An export key: make the export of `kind` and deliver it; one notice says where it went (or why
    not). The screen is pictured as it is, without the notice of an earlier export."""
    if kind not in SUFFIX:
        return
    if kind == "svg":
        app.clear_notifications()
        app.call_after_refresh(_deliver, app, "svg", target, lang)
    else:
        _deliver(app, cast(Kind, kind), target, lang)


def _deliver(app: App[Any], kind: Kind, target: Target, lang: str) -> None:
    from .screens.main import MainScreen

    main = app.screen_stack[0] if app.screen_stack else None
    say = main.say if isinstance(main, MainScreen) else app.notify

    def t(key: str, **params: object) -> str:
        return message(key, {k: str(v) for k, v in params.items()}, lang)

    made = build(app, main, kind, lang) if isinstance(main, MainScreen) else None
    if made is None:
        say(t("ui.export.nothing"), severity="warning")
        return
    if app.is_web:
        # In a browser the user's disk is the browser's: the file goes there as a download.
        from ..export.files import numbered

        plain = f"{made.stem}.{SUFFIX[kind]}"
        target.sent[plain] = target.sent.get(plain, 0) + 1
        name = numbered(made.stem, SUFFIX[kind], target.sent[plain])
        app.deliver_binary(io.BytesIO(made.data), save_filename=name, mime_type=MIME[kind])
        say(t("ui.export.sent", what=made.what, name=name))
        return
    from ..commands.base import served  # (the shell's own switch, set by `serve` for its apps)

    if served():
        say(t("ui.export.refused"), severity="error")
        return
    from ..export.files import write_new

    where = target.directory if target.directory is not None else Path.cwd()
    try:
        path = write_new(where, made.stem, SUFFIX[kind], made.data)
    except OSError as exc:
        say(t("ui.export.failed", what=made.what, dir=where, error=exc.strerror or exc), severity="error")
        return
    say(t("ui.export.saved", what=made.what, path=path.resolve()))


