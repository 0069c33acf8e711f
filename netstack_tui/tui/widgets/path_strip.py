"""The path strip: the whole journey on one line, hook by hook and host by host, the current one marked.

At 80×24 the pipeline has room for a dozen stages, so a newcomer sees the NIC but not PREROUTING,
routing, INPUT or the socket. The strip lists every group of stages the journey crosses (a hook,
the routing decision, the socket, ...), each namespace after a `⇒`, and marks the current one with
`▶` and reversed text; it abbreviates what is not current until the line fits, never the current.

The segments are worked out once per journey (`path_segments`, a pure function of the trace) and
fitted to the width on each step (`fit_path`); the widget draws one line through the line API, so
a step costs no layout pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from textual import events
from textual.message import Message
from textual.reactive import var
from textual.strip import Strip
from textual.widget import Widget

from ..model import SYMBOLS, ViewState, outcome, stage_of, unreached_stages

SHORT: dict[str, str] = {
    "PREROUTING": "PRE",
    "POSTROUTING": "POST",
    "FORWARD": "FWD",
    "OUTPUT": "OUT",
    "INPUT": "IN",
}
"""Abbreviations of the hooks, used for segments that are not current when the line is too long
(the words — routing, socket — are abbreviated through the catalog, `ui.strip.short.<group>`)."""

MINOR_GROUPS: frozenset[str] = frozenset({"skb", "IP"})
"""Groups left out (when not current) only if the line still does not fit: not hooks, but the
buffer being built and ip_rcv's checks between the NIC and PREROUTING."""


@dataclass(frozen=True, slots=True)
class PathSegment:
    """A run of steps in one namespace under one group (or a group never reached after a drop)."""

    host: str
    """The namespace the steps ran in."""
    group: str
    """The group (`NIC`, `PREROUTING`, `routing`, `bridge`, ...)."""
    first: int
    """Index of the segment's first step in the trace (-1 for a group never reached)."""
    last: int
    """Index of its last step (-1 for a group never reached)."""
    dropped: bool = False
    """Whether the journey ended here in a drop or a reject."""


@dataclass(frozen=True, slots=True)
class StripPiece:
    """A piece of the fitted line: its text, its component class, and the step a click goes to."""

    text: str
    style: str
    """Component class: `path-strip--passed`, `path-strip--current`, ..."""
    step: int | None = None
    """First step of the segment it draws, or of the namespace a host name heads (None for separators)."""
    segment: int = -1
    """Index of the segment it belongs to (a separator: the segment before it; the label: -1)."""
    opens: bool = False
    """Whether it is the segment's first piece (where a line may begin)."""


def _group(step_stage: str, group: str) -> str:
    # The bridge's decision is its own place on the path (br_handle_frame), not part of the skb's build.
    return "bridge" if step_stage == "bridge" else group


def path_segments(state: ViewState) -> tuple[PathSegment, ...]:
    """The journey's groups in order, one segment per run of steps in one namespace and group, then
    the groups the packet never reached after a drop (from the stage table, as the pipeline shows them)."""
    trace = state.trace
    if trace is None or not trace.steps:
        return ()
    segments: list[PathSegment] = []
    for i, step in enumerate(trace.steps):
        stage = stage_of(step)
        group = _group(step.stage, stage.group if stage else step.stage)
        if segments and segments[-1].host == step.host and segments[-1].group == group:
            segments[-1] = PathSegment(step.host, group, segments[-1].first, i)
        else:
            segments.append(PathSegment(step.host, group, i, i))
    if outcome(trace.steps[-1]) == "dropped":
        last = segments[-1]
        segments[-1] = PathSegment(last.host, last.group, last.first, last.last, dropped=True)
    host = trace.steps[-1].host
    for stage in unreached_stages(trace):
        if segments[-1].group != stage.group:
            segments.append(PathSegment(host, stage.group, -1, -1))
    return tuple(segments)


def current_segment(segments: tuple[PathSegment, ...], index: int) -> int:
    """Which segment holds step `index`."""
    for n, seg in enumerate(segments):
        if seg.first <= index <= seg.last:
            return n
    return 0


LEVELS: tuple[tuple[bool, int, str, bool], ...] = (
    (True, 0, " › ", False),
    (False, 0, " › ", False),
    (False, 1, " › ", False),
    (False, 1, "›", False),
    (False, 2, "›", False),
    (False, 1, "›", True),
    (False, 2, "›", True),
)
"""Ways of writing the line, longest first: (with the label, which names are short — 0 none, 1 the
three long hooks, 2 all —, the separator, without the buffer and ip_rcv groups)."""

LONG_HOOKS: frozenset[str] = frozenset({"PREROUTING", "POSTROUTING", "FORWARD"})
"""The hooks shortened first."""


def _keep(segments: tuple[PathSegment, ...], cur: int, drop_minor: bool) -> list[int]:
    return [n for n, seg in enumerate(segments)
            if not (drop_minor and n != cur and seg.group in MINOR_GROUPS and seg.first >= 0)]


def _at_level(segments: tuple[PathSegment, ...], cur: int, index: int, level: int,
              state: ViewState) -> list[StripPiece]:
    label, short, sep, drop_minor = LEVELS[level]
    crosses = len({seg.host for seg in segments}) > 1
    return _pieces(segments, _keep(segments, cur, drop_minor), cur, index, state, label=label, short=short,
                   sep=sep, crosses=crosses)


@dataclass(frozen=True, slots=True)
class Layout:
    """How a journey's strip is written at one width, whichever segment is current."""

    level: int
    """Index into `LEVELS`."""
    breaks: tuple[int, ...] = ()
    """Segments that start a new line (a namespace's first segment where possible)."""


def _lines(pieces: list[StripPiece], breaks: tuple[int, ...]) -> list[list[StripPiece]]:
    """`pieces` cut into lines before the segments in `breaks`; the separator before a cut goes, and a
    new line that continues the journey into another namespace starts with `⇒ `."""
    lines: list[list[StripPiece]] = [[]]
    for piece in pieces:
        if piece.segment in breaks and piece.opens and lines[-1]:
            last = lines[-1].pop() if lines[-1][-1].style == "path-strip--sep" else None
            lines.append([StripPiece("⇒ ", "path-strip--sep")] if last is not None and "⇒" in last.text else [])
        lines[-1].append(piece)
    return lines


def fit_layout(segments: tuple[PathSegment, ...], width: int, state: ViewState) -> Layout:
    """The longest way of writing the journey that fits `width` whichever segment is current, so that
    stepping moves the marker without rewriting or re-wrapping the rest of the line.

    One line if any level of abbreviation fits (`LEVELS`); otherwise two lines, cut at a namespace
    boundary where possible, with the least abbreviation that fits; otherwise as many lines as the most
    abbreviated form needs.
    """
    currents = [cur for cur, seg in enumerate(segments) if seg.first >= 0]
    starts = [n for n in range(1, len(segments)) if segments[n].host != segments[n - 1].host]
    for max_lines in (1, 2, len(segments)):
        for level in range(len(LEVELS)):
            variants = [_at_level(segments, cur, segments[cur].first, level, state) for cur in currents]

            def fits(breaks: tuple[int, ...], upto: int, variants: list[list[StripPiece]] = variants) -> bool:
                """Whether every line up to the one holding segment `upto` fits, whichever is current."""
                for pieces in variants:
                    lines = _lines([p for p in pieces if p.segment < upto], breaks)
                    if lines[-1] and lines[-1][-1].style == "path-strip--sep":
                        lines[-1] = lines[-1][:-1]  # the separator before the next segment
                    if any(_width(line) > width for line in lines):
                        return False
                return True

            breaks: tuple[int, ...] = ()
            if not fits(breaks, len(segments)):
                # Greedy: each line takes as many whole namespaces as fit, else as many segments.
                line_start = 0
                while not fits(breaks, len(segments)) and len(breaks) < max_lines - 1:
                    later = [n for n in range(line_start + 1, len(segments) + 1)]
                    ends = [n for n in starts if n > line_start] + [len(segments)]
                    cut = next((n for n in reversed(ends) if fits(breaks, n)), None)
                    if cut is None or cut == len(segments):
                        cut = next((n for n in reversed(later) if fits(breaks, n)), line_start + 1)
                    if cut >= len(segments):
                        break
                    breaks, line_start = (*breaks, cut), cut
            if fits(breaks, len(segments)):
                return Layout(level, breaks)
    return Layout(len(LEVELS) - 1, ())


def fit_path(segments: tuple[PathSegment, ...], index: int, width: int, state: ViewState,
             layout: Layout | None = None) -> list[list[StripPiece]]:
    """The strip's lines for step `index` at `width` cells, laid out as `layout` says (by default as
    `fit_layout` finds for this width); the current segment is always shown whole."""
    if not segments:
        return []
    if layout is None:
        layout = fit_layout(segments, width, state)
    cur = current_segment(segments, index)
    return _lines(_at_level(segments, cur, index, layout.level, state), layout.breaks)


def _width(pieces: list[StripPiece]) -> int:
    return sum(len(p.text) for p in pieces)


def _name(seg: PathSegment, state: ViewState, short: bool) -> str:
    """The segment's name: the group's heading, or its abbreviation."""
    if short and seg.group in SHORT:
        return SHORT[seg.group]
    key = f"ui.strip.short.{seg.group}" if short else f"ui.grouphead.{seg.group}"
    text = state.t(key)
    if text == key and short:
        text = state.t(f"ui.grouphead.{seg.group}")
        key = f"ui.grouphead.{seg.group}"
    return seg.group if text == key else text


def _pieces(segments: tuple[PathSegment, ...], keep: list[int], cur: int, index: int, state: ViewState, *,
            label: bool, short: int, sep: str, crosses: bool) -> list[StripPiece]:
    """One line of pieces: the label, then each kept segment (after its namespace's name when the
    journey crosses namespaces), the current one marked."""
    pieces: list[StripPiece] = []
    if label:
        pieces.append(StripPiece(state.t("ui.strip.label") + " ", "path-strip--label", segment=-1))
    host: str | None = None
    previous = -1
    for n in keep:
        seg = segments[n]
        if crosses and seg.host != host:
            if host is not None:
                pieces.append(StripPiece(" ⇒ ", "path-strip--sep", segment=previous))
            host = seg.host
            pieces.append(StripPiece(f"{seg.host}:", "path-strip--host", seg.first, n, opens=True))
            pieces.append(StripPiece(" ", "path-strip--sep", segment=n))
            opens = False
        else:
            if previous >= 0:
                pieces.append(StripPiece(sep, "path-strip--sep", segment=previous))
            opens = True
        previous = n
        name = _name(seg, state, n != cur and (short == 2 or (short == 1 and seg.group in LONG_HOOKS)))
        if n == cur:
            died = seg.dropped and index >= seg.last
            style = "path-strip--dropped-current" if died else "path-strip--current"
            pieces.append(StripPiece(f"{SYMBOLS['dropped'] if died else '▶'}{name}", style, seg.first, n, opens))
        elif seg.first < 0:
            pieces.append(StripPiece(f"{SYMBOLS['unreached']}{name}", "path-strip--unreached", None, n, opens))
        elif seg.last < index:
            pieces.append(StripPiece(name, "path-strip--passed", seg.first, n, opens))
        else:
            pieces.append(StripPiece(name, "path-strip--pending", seg.first, n, opens))
    return pieces


class PathStrip(Widget, can_focus=False):
    """The journey on one line (two when it does not fit): every group of stages it crosses, host by
    host, the current one marked."""

    DEFAULT_CSS = """
    PathStrip { height: 1; }
    """

    COMPONENT_CLASSES = {
        "path-strip--label",
        "path-strip--host",
        "path-strip--sep",
        "path-strip--passed",
        "path-strip--current",
        "path-strip--dropped-current",
        "path-strip--pending",
        "path-strip--unreached",
    }

    @dataclass
    class StageSelected(Message):
        """The user clicked a segment: jump to step `index` (the segment's first step)."""

        index: int
        """Position of the step in the trace."""

    state: var[ViewState | None] = var(None, always_update=True)
    """The whole view state; the segments are worked out again when its trace or language changes."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.segments: tuple[PathSegment, ...] = ()
        """The journey's segments (read by tests)."""
        self.lines: list[list[StripPiece]] = []
        """What each line shows now, left to right (read by tests and clicks)."""
        self._built_for: object = None
        self._built_lang = ""
        self._fitted: tuple[int, int] = (-1, -1)
        self._layout: tuple[int, Layout] = (-1, Layout(0))
        """(width, layout) from `fit_layout` for the current segments."""

    @property
    def pieces(self) -> list[StripPiece]:
        """Every piece shown, line after line."""
        return [piece for line in self.lines for piece in line]

    @property
    def text(self) -> str:
        """What the strip shows as plain text, lines joined by newlines."""
        return "\n".join("".join(p.text for p in line) for line in self.lines)

    def watch_state(self, state: ViewState | None) -> None:
        """New journey or language: new segments; a step: fit and redraw the line if it changed."""
        if state is None:
            return
        if self._built_for is not state.trace or self._built_lang != state.lang:
            self._built_for, self._built_lang = state.trace, state.lang
            self.segments = path_segments(state)
            self._fitted, self._layout = (-1, -1), (-1, Layout(0))
        self._fit()

    def _fit(self) -> None:
        state = self.state
        width = self.content_region.width
        if state is None or width <= 0 or self._fitted == (state.index, width):
            return
        self._fitted = (state.index, width)
        if self._layout[0] != width:
            self._layout = (width, fit_layout(self.segments, width, state))
        lines = fit_path(self.segments, state.index, width, state, self._layout[1])
        if lines == self.lines:
            return
        self.lines = lines
        height = max(1, len(lines))
        if self.styles.height is None or self.styles.height.cells != height:
            self.styles.height = height  # a new journey that needs another line: one layout pass
        else:
            self.refresh()

    def on_resize(self) -> None:
        """Another width: fit again."""
        self._fit()

    def render_line(self, y: int) -> Strip:
        """Line `y`'s pieces, each in its component style, padded to the width."""
        width = self.content_region.width
        base = self.rich_style
        if not 0 <= y < len(self.lines):
            return Strip.blank(width, base)
        segments: list[Segment] = []
        used = 0
        for piece in self.lines[y]:
            text = piece.text[: max(width - used, 0)]
            if not text:
                break
            segments.append(Segment(text, self.get_component_rich_style(piece.style)))
            used += len(text)
        segments.append(Segment(" " * (width - used), base))
        return Strip(segments, width)

    def notify_style_update(self) -> None:
        """A theme change restyles the line."""
        super().notify_style_update()
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        """A click on a segment (or a namespace's name) jumps to its first step."""
        if not 0 <= event.y < len(self.lines):
            return
        x = event.x - self.styles.padding.left
        for piece in self.lines[event.y]:
            if x < len(piece.text):
                if piece.step is not None and piece.step >= 0:
                    event.stop()
                    self.post_message(self.StageSelected(piece.step))
                return
            x -= len(piece.text)
