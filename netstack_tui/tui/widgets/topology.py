"""The topology: the world's namespaces as boxes, veth pairs and the uplink as cables, the packet's place.

Three layers, each pure but the last:

- `world_topology(graph, root)` turns `World.graph()` into `Namespace` records in a stable order (a
  breadth-first walk from the root namespace along the cables), each with the column it is drawn in:
  the root in its own column, `internet` (whatever is reached over the root's wire) to its left,
  namespaces reached over veth pairs to its right, one column per hop; namespaces with no cable yet
  after the root's neighbours.
- `journey_position(trace, index)` says where the packet is at a step (namespace and device), which
  devices and cables it has crossed so far, and whether it died there.
- `layout_boxes` / `layout_compact` draw a `TopologyState` into a `Drawing`: character cells with a
  component-class name each, and the rectangle of every box (for clicks and scrolling). Boxes are
  text-art with cables between their borders; the compact form is one line per namespace.

`TopologyView` draws a `Drawing` through Textual's line API, scrolls, chooses the compact form when
the boxes would not fit, and posts `NamespaceClicked` when a box is clicked.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...kernel.addr import format_ipv4
from ...kernel.stages import Path
from ..model import SYMBOLS, stage_of

if TYPE_CHECKING:
    import networkx

    from ...kernel.trace import Trace

# ---- the world as the view sees it --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Device:
    """One device of a namespace, as the topology shows it."""

    name: str
    kind: str
    """`loopback`, `ether`, `veth`, `bridge`, `dummy`, ..."""
    up: bool
    addresses: tuple[str, ...]
    """`10.0.0.1/24`, in the order `ip addr` lists them."""
    master: str | None = None
    """The bridge this device is a port of."""
    peer: tuple[str, str] | None = None
    """(namespace, device) at the other end of its veth pair or wire."""


@dataclass(frozen=True, slots=True)
class Namespace:
    """A namespace box: its name, its devices (`lo` only when it holds more than 127.0.0.1), its column."""

    name: str
    devices: tuple[Device, ...]
    column: int
    """0 for the root; negative to its left (the outside), positive to its right."""
    via: tuple[str, str, str] | None = None
    """(parent namespace, parent's device, own device) of the cable the walk reached it over."""

    def device(self, name: str) -> Device | None:
        """The device called `name`, if shown."""
        return next((d for d in self.devices if d.name == name), None)


def world_topology(graph: networkx.Graph[tuple[str, ...]], root: str) -> tuple[Namespace, ...]:
    """The namespaces of `graph` (from `World.graph()`), left to right and top to bottom: sorted by
    column, and within a column in the order a breadth-first walk from `root` meets them."""
    devices: dict[str, list[Device]] = {}
    for node in graph.nodes:
        if node[0] != "ns":
            continue
        ns = node[1]
        found: list[Device] = []
        for other, edge in graph.adj[node].items():
            if edge.get("kind") != "in":
                continue
            info = graph.nodes[other]
            addresses = tuple(f"{format_ipv4(a)}/{p}" for a, p in info.get("addresses", ()))
            if info.get("kind") == "loopback":
                # lo is shown for what it holds beyond 127.0.0.1 (the outside's public servers).
                addresses = tuple(a for a in addresses if not a.startswith("127."))
                if not addresses:
                    continue
            master = next((n[2] for n, e in graph.adj[other].items() if e.get("kind") == "port"
                           and graph.nodes[n].get("kind") == "bridge" and n != other
                           and info.get("kind") != "bridge"), None)
            peer = next(((n[1], n[2]) for n, e in graph.adj[other].items() if e.get("kind") in ("veth", "wire")), None)
            found.append(Device(other[2], str(info.get("kind", "ether")), bool(info.get("up")), addresses,
                                master, peer))
        devices[ns] = found
    if root not in devices:
        return ()
    columns: dict[str, int] = {root: 0}
    via: dict[str, tuple[str, str, str]] = {}
    walk: list[str] = []
    queue = deque([root])
    while queue:
        ns = queue.popleft()
        walk.append(ns)
        for dev in _in_box_order(devices[ns]):
            if dev.peer is None or dev.peer[0] in columns or dev.peer[0] not in devices:
                continue
            far: str = dev.peer[0]
            col = columns[ns]
            outward = -1 if col < 0 or (ns == root and _is_wire(graph, ns, dev.name)) else 1
            columns[far] = col + outward
            via[far] = (ns, dev.name, dev.peer[1])
            queue.append(far)
    for ns in devices:
        if ns not in columns:
            columns[ns] = 1
            walk.append(ns)
    order = sorted(walk, key=lambda n: (columns[n], walk.index(n)))
    return tuple(Namespace(n, tuple(devices[n]), columns[n], via.get(n)) for n in order)


def _is_wire(graph: networkx.Graph[tuple[str, ...]], ns: str, dev: str) -> bool:
    node = ("dev", ns, dev)
    return any(e.get("kind") == "wire" for e in graph.adj[node].values())


def _in_box_order(devices: list[Device] | tuple[Device, ...]) -> list[Device]:
    """Devices as a box lists them: each bridge followed by its ports."""
    ordered: list[Device] = []
    names = {d.name for d in devices}
    for dev in devices:
        if dev.master is not None and dev.master in names:
            continue
        ordered.append(dev)
        if dev.kind == "bridge":
            ordered += [p for p in devices if p.master == dev.name]
    return ordered


# ---- where the packet is ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Position:
    """Where the packet is at one step of its journey, and where it has been."""

    host: str | None = None
    """The namespace of the current step."""
    dev: str | None = None
    """The device it is at or heading for (None: somewhere in the namespace's stack)."""
    dead: bool = False
    """Whether the current step dropped it."""
    visited: frozenset[tuple[str, str]] = frozenset()
    """(namespace, device) pairs it has passed so far."""
    hops: frozenset[frozenset[tuple[str, str]]] = frozenset()
    """Cables crossed so far, each as its two (namespace, device) ends."""
    path: tuple[str, ...] = ()
    """The namespaces visited so far, in order (a namespace twice if the packet came back)."""
    step: int = 0
    """The step's position in the journey."""
    total: int = 0
    """How many steps the journey has."""
    end_host: str | None = None
    """Where the journey ends when it ends in a drop (None: it does not)."""


_AFTER_ROUTING = (Path.FORWARD, Path.POSTROUTING, Path.TX, Path.LOCAL_OUT)


def step_device(step: object) -> str | None:
    """The device a step happens at: the bridge deciding, the device sending or receiving, the
    output device once routing chose one, else the input device."""
    from ...kernel.trace import Step

    assert isinstance(step, Step)
    params = step.param
    if "bridge" in params:
        return params["bridge"]
    if step.stage in ("tx", "veth", "nic", "dma", "napi", "xdp", "tc_ingress", "qdisc", "neigh") and "dev" in params:
        return params["dev"]
    stage = stage_of(step)
    if step.packet.oif and stage is not None and stage.path in _AFTER_ROUTING:
        return step.packet.oif
    return step.packet.iif or step.packet.oif


def journey_position(trace: Trace | None, index: int) -> Position:
    """Where `trace` is at step `index`, and the devices and cables it crossed up to there."""
    if trace is None or not trace.steps:
        return Position()
    index = max(0, min(index, len(trace.steps) - 1))
    visited: set[tuple[str, str]] = set()
    hops: set[frozenset[tuple[str, str]]] = set()
    path: list[str] = []
    for step in trace.steps[: index + 1]:
        if not path or path[-1] != step.host:
            path.append(step.host)
        dev = step_device(step)
        if dev:
            visited.add((step.host, dev))
        params = step.param
        if step.stage == "tx" and "peer" in params and "ns" in params and "dev" in params:
            hops.add(frozenset({(step.host, params["dev"]), (params["ns"], params["peer"])}))
        if step.stage == "bridge":
            for key in ("port", "out"):
                if key in params:
                    visited.add((step.host, params[key]))
    current = trace.steps[index]
    last = trace.steps[-1]
    ended = str(trace.disposition) in ("dropped", "rejected")
    return Position(current.host, step_device(current), str(current.verdict) in ("DROP", "REJECT"),
                    frozenset(visited), frozenset(hops), tuple(path), index, len(trace.steps),
                    last.host if ended else None)


@dataclass(frozen=True, slots=True)
class TopologyState:
    """Everything the topology view draws, frozen: the namespaces, the packet, the selection."""

    namespaces: tuple[Namespace, ...] = ()
    """From `world_topology`, in navigation order."""
    position: Position = field(default_factory=Position)
    selected: str | None = None
    """The namespace the learner selected (keyboard or click)."""
    compact: bool | None = None
    """Force the compact form (True) or the boxes (False); None: boxes when they fit."""
    wire_label: str = "wire"
    """What an uplink with nothing simulated behind it is called."""

    def namespace(self, name: str) -> Namespace | None:
        """The namespace called `name`."""
        return next((n for n in self.namespaces if n.name == name), None)


# ---- drawing -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Drawing:
    """A picture of the topology: cells in rows, and where each namespace's box (or line) is."""

    rows: tuple[tuple[tuple[str, str], ...], ...]
    """Per row, runs of (text, component class)."""
    width: int
    boxes: tuple[tuple[str, Region], ...]
    """(namespace, its rectangle) in drawing coordinates."""
    marker: Region | None = None
    """Where the packet's marker is drawn."""
    compact: bool = False

    def text(self) -> str:
        """The picture as plain text (tests read it)."""
        return "\n".join("".join(t for t, _ in row).rstrip() for row in self.rows)

    def box_at(self, x: int, y: int) -> str | None:
        """The namespace whose box covers (x, y)."""
        return next((name for name, r in self.boxes if r.contains(x, y)), None)

    def region_of(self, name: str) -> Region | None:
        """The rectangle of `name`'s box."""
        return next((r for n, r in self.boxes if n == name), None)


class _Canvas:
    """A grid of (character, class) cells that grows as it is drawn on."""

    def __init__(self) -> None:
        self.cells: list[list[list[str]]] = []
        self.width = 0

    def put(self, x: int, y: int, text: str, style: str) -> None:
        while len(self.cells) <= y:
            self.cells.append([])
        row = self.cells[y]
        while len(row) < x + len(text):
            row.append([" ", ""])
        for i, ch in enumerate(text):
            row[x + i] = [ch, style]
        self.width = max(self.width, x + len(text))

    def get(self, x: int, y: int) -> str:
        if y < len(self.cells) and x < len(self.cells[y]):
            return self.cells[y][x][0]
        return " "

    def drawing(self, boxes: list[tuple[str, Region]], marker: Region | None, compact: bool) -> Drawing:
        rows: list[tuple[tuple[str, str], ...]] = []
        for row in self.cells:
            runs: list[tuple[str, str]] = []
            for ch, style in row:
                if runs and runs[-1][1] == style:
                    runs[-1] = (runs[-1][0] + ch, style)
                else:
                    runs.append((ch, style))
            rows.append(tuple(runs))
        return Drawing(tuple(rows), self.width, tuple(boxes), marker, compact)


_BORDERS = {
    # top-left, top-right, bottom-left, bottom-right, horizontal, vertical, cable out right, cable out left
    "light": "┌┐└┘─│├┤",
    "heavy": "┏┓┗┛━┃┠┨",
    "double": "╔╗╚╝═║╟╢",
}
_CABLES = {
    # horizontal, vertical, ┐ ┘ ┌ └, out-right on a light border, out-left on a light border
    "light": "─│┐┘┌└├┤",
    "hop": "━┃┓┛┏┗┝┥",
    "down": "┄┆┐┘┌└├┤",
}

STATE_SYMBOLS = {"up": "●", "down": "○", "bridge": "▣", "bridge-down": "□", "here": "▶", "dead": SYMBOLS["dropped"]}
"""A device's symbol: up, down, a bridge; the packet's marker where it is (✗ where it died)."""


@dataclass(slots=True)
class _Line:
    """One line inside a box: runs of (text, class) and the device it stands for (cables attach there)."""

    runs: list[tuple[str, str]]
    dev: str | None = None

    @property
    def length(self) -> int:
        return sum(len(t) for t, _ in self.runs)


def _device_runs(ns: Namespace, dev: Device, pos: Position, lead: str) -> list[tuple[str, str]]:
    """The device's symbol and name, in its class (the packet's marker replaces the symbol)."""
    here = pos.host == ns.name and pos.dev == dev.name
    if here:
        return [(lead, "topology--port"), (STATE_SYMBOLS["dead" if pos.dead else "here"] + " ",
                "topology--dead" if pos.dead else "topology--here"),
                (dev.name, "topology--dead" if pos.dead else "topology--here")]
    if dev.kind == "bridge":
        symbol = STATE_SYMBOLS["bridge" if dev.up else "bridge-down"]
    else:
        symbol = STATE_SYMBOLS["up" if dev.up else "down"]
    style = ("topology--visited" if (ns.name, dev.name) in pos.visited
             else "topology--dev" if dev.up else "topology--down")
    return [(lead, "topology--port"), (symbol + " ", style), (dev.name, style)]


def _box_lines(ns: Namespace, state: TopologyState, columns: dict[str, int], wide: bool) -> list[_Line]:
    pos = state.position
    lines: list[_Line] = []
    ordered = _in_box_order(ns.devices)
    # Wide boxes put the first address beside the name, aligned in one column.
    name_width = max((len(d.name) + (2 if d.master else 0) for d in ordered), default=0)
    for dev in ordered:
        port = dev.master is not None and ns.device(dev.master) is not None
        lead = ""
        if port:
            ports = [d for d in ordered if d.master == dev.master]
            lead = "└ " if ports[-1] is dev else "├ "
        runs = _device_runs(ns, dev, pos, lead)
        note = _cable_note(ns, dev, columns, state)
        addresses = list(dev.addresses)
        if wide and addresses:
            pad = name_width - len(dev.name) - len(lead)
            runs.append((" " * (pad + 1) + addresses.pop(0), "topology--addr"))
        if note:
            runs.append((" " + note, "topology--label"))
        lines.append(_Line(runs, dev.name))
        indent = (" " * (name_width + 3)) if wide else ("  " + " " * len(lead))
        lines += [_Line([(indent + a, "topology--addr")]) for a in addresses]
    if not lines:
        lines.append(_Line([("-", "topology--label")]))
    return lines


def _cable_note(ns: Namespace, dev: Device, columns: dict[str, int], state: TopologyState) -> str:
    """Words for a cable the picture cannot draw: to a device of the same namespace, or to a box
    more than one column away; an uplink with nothing simulated behind it."""
    if dev.peer is None:
        return f"⇠ {state.wire_label}" if dev.kind == "ether" and ns.column == 0 else ""
    other, peer = dev.peer
    if other == ns.name:
        return f"⇄ {peer}"
    if other not in columns or abs(columns[other] - columns[ns.name]) > 1:
        return f"⇄ {other}:{peer}"
    return ""


@dataclass(slots=True)
class _Box:
    ns: Namespace
    lines: list[_Line]
    width: int = 0
    top: int = 0
    x: int = 0

    @property
    def height(self) -> int:
        return len(self.lines) + 2

    def row_of(self, dev: str) -> int | None:
        """Absolute row of `dev`'s first line."""
        for i, line in enumerate(self.lines):
            if line.dev == dev:
                return self.top + 1 + i
        return None


@dataclass(slots=True)
class _Cable:
    a: tuple[_Box, int]
    """(box, row) of the left end (or the upper one when both ends are in one column)."""
    b: tuple[_Box, int]
    same_column: bool
    style: str
    lane: int = -1


def layout_boxes(state: TopologyState, wide: bool = True) -> Drawing:
    """The namespaces as boxes in columns, with cables between their borders (see the module doc).

    `wide` puts each device's first address on its line; otherwise addresses go under the name.
    """
    if not state.namespaces:
        return Drawing((), 0, ())
    columns = {n.name: n.column for n in state.namespaces}
    boxes = {n.name: _Box(n, _box_lines(n, state, columns, wide)) for n in state.namespaces}
    for box in boxes.values():
        title = len(box.ns.name) + 6
        box.width = max(title, max(line.length for line in box.lines) + 4)
    first = min(columns.values())
    by_column: dict[int, list[_Box]] = {}
    for n in state.namespaces:
        by_column.setdefault(n.column - first, []).append(boxes[n.name])
    ncols = max(by_column) + 1
    for col_boxes in by_column.values():
        width = max(b.width for b in col_boxes)
        for b in col_boxes:
            b.width = width
    # Rows: the root's column first, then outwards; a box lines its cable up with its parent's device.
    root_col = -first
    order = [root_col] + [c for d in range(1, ncols) for c in (root_col + d, root_col - d) if 0 <= c < ncols]
    for col in order:
        bottom = None
        for b in by_column.get(col, []):
            desired = bottom + 2 if bottom is not None else 0
            if b.ns.via is not None and col != root_col:
                parent = boxes.get(b.ns.via[0])
                prow = parent.row_of(b.ns.via[1]) if parent else None
                own = next((i for i, line in enumerate(b.lines) if line.dev == b.ns.via[2]), 0)
                if prow is not None:
                    desired = max(desired, prow - 1 - own) if bottom is not None else prow - 1 - own
            b.top = desired
            bottom = b.top + b.height - 1
    shift = -min(b.top for b in boxes.values())
    for b in boxes.values():
        b.top += shift
    # Cables between adjacent columns (or within one), each in the gap to the right of its left end.
    cables: dict[int, list[_Cable]] = {}
    seen: set[frozenset[tuple[str, str]]] = set()
    for n in state.namespaces:
        for dev in n.devices:
            if dev.peer is None or dev.peer[0] not in boxes or dev.peer[0] == n.name:
                continue
            key = frozenset({(n.name, dev.name), dev.peer})
            if key in seen:
                continue
            seen.add(key)
            here, there = boxes[n.name], boxes[dev.peer[0]]
            ca, cb = n.column - first, there.ns.column - first
            if abs(ca - cb) > 1:
                continue
            ra, rb = here.row_of(dev.name), there.row_of(dev.peer[1])
            if ra is None or rb is None:
                continue
            far = there.ns.device(dev.peer[1])
            if key in state.position.hops:
                style = "hop"
            elif not dev.up or far is None or not far.up:
                style = "down"
            else:
                style = "light"
            if ca == cb:
                pair = sorted([(here, ra), (there, rb)], key=lambda e: e[1])
                cables.setdefault(ca, []).append(_Cable(pair[0], pair[1], True, style))
            elif ca < cb:
                cables.setdefault(ca, []).append(_Cable((here, ra), (there, rb), False, style))
            else:
                cables.setdefault(cb, []).append(_Cable((there, rb), (here, ra), False, style))
    gap_width: dict[int, int] = {}
    for col, gap in cables.items():
        ends: list[int] = []
        bent = sorted((c for c in gap if c.same_column or c.a[1] != c.b[1]),
                      key=lambda c: (min(c.a[1], c.b[1]), max(c.a[1], c.b[1])))
        for c in bent:
            lo, hi = min(c.a[1], c.b[1]), max(c.a[1], c.b[1])
            lane = next((i for i, end in enumerate(ends) if end < lo), len(ends))
            if lane == len(ends):
                ends.append(hi)
            else:
                ends[lane] = hi
            c.lane = lane
        gap_width[col] = max(5, len(ends) + 4)
    x = 0
    col_x: dict[int, int] = {}
    for col in range(ncols):
        col_x[col] = x
        width = max((b.width for b in by_column.get(col, [])), default=0)
        x += width + gap_width.get(col, 3)
    for col, col_boxes in by_column.items():
        for b in col_boxes:
            b.x = col_x[col]
    canvas = _Canvas()
    marker: Region | None = None
    for b in boxes.values():
        found = _draw_box(canvas, b, state)
        marker = marker or found
    for col, gap in cables.items():
        gx = col_x[col] + max(b.width for b in by_column[col])
        width = gap_width[col]
        for c in sorted(gap, key=lambda c: c.style == "hop"):
            _draw_cable(canvas, c, gx, width)
    regions = [(b.ns.name, Region(b.x, b.top, b.width, b.height)) for b in boxes.values()]
    return canvas.drawing(regions, marker, False)


def _draw_box(canvas: _Canvas, b: _Box, state: TopologyState) -> Region | None:
    pos = state.position
    selected = state.selected == b.ns.name
    here = pos.host == b.ns.name
    kind = "double" if selected else "heavy" if here else "light"
    style = ("topology--box-selected" if selected else
             ("topology--box-dead" if pos.dead else "topology--box-here") if here else "topology--box")
    tl, tr, bl, br, h, v, _, _ = list(_BORDERS[kind])
    canvas.put(b.x, b.top, tl + h * (b.width - 2) + tr, style)
    title: list[tuple[str, str]] = [(" ", style)]
    if here and pos.dev is None:
        mark = STATE_SYMBOLS["dead" if pos.dead else "here"]
        title.append((mark + " ", "topology--dead" if pos.dead else "topology--here"))
    title.append((b.ns.name, "topology--title-selected" if selected else "topology--title"))
    title.append((" ", style))
    x = b.x + 2
    for text, st in title:
        canvas.put(x, b.top, text, st)
        x += len(text)
    marker: Region | None = None
    for i, line in enumerate(b.lines):
        y = b.top + 1 + i
        canvas.put(b.x, y, v + " " * (b.width - 2) + v, style)
        x = b.x + 2
        for text, st in line.runs:
            canvas.put(x, y, text, st)
            if st in ("topology--here", "topology--dead") and marker is None:
                marker = Region(x, y, len(text), 1)
            x += len(text)
    canvas.put(b.x, b.top + b.height - 1, bl + h * (b.width - 2) + br, style)
    if here and marker is None:
        marker = Region(b.x, b.top, b.width, 1)
    return marker


def _draw_cable(canvas: _Canvas, c: _Cable, gx: int, width: int) -> None:
    """A cable in the gap starting at column `gx`: out of a box border, along its lane, into the other."""
    h, v, down_left, up_left, down_right, up_right, out_right, out_left = list(_CABLES[c.style])
    st = "topology--hop" if c.style == "hop" else "topology--down" if c.style == "down" else "topology--cable"
    (ba, ya), (bb, yb) = c.a, c.b
    _attach(canvas, ba.x + ba.width - 1, ya, out_right, st)
    if c.same_column:
        _attach(canvas, bb.x + bb.width - 1, yb, out_right, st)
    else:
        _attach(canvas, bb.x, yb, out_left, st)
    if not c.same_column and ya == yb:
        _hline(canvas, ba.x + ba.width, bb.x - 1, ya, h, st)
        return
    lx = gx + 2 + c.lane
    top, bottom = min(ya, yb), max(ya, yb)
    for y in range(top + 1, bottom):
        cross = canvas.get(lx, y) in "─━┄"
        canvas.put(lx, y, "┼" if cross else v, st)
    _hline(canvas, ba.x + ba.width, lx - 1, ya, h, st)
    if c.same_column:
        _hline(canvas, bb.x + bb.width, lx - 1, yb, h, st)
        canvas.put(lx, ya, down_left, st)
        canvas.put(lx, yb, up_left, st)
        return
    _hline(canvas, lx + 1, bb.x - 1, yb, h, st)
    if ya < yb:
        canvas.put(lx, ya, down_left, st)
        canvas.put(lx, yb, up_right, st)
    else:
        canvas.put(lx, ya, up_left, st)
        canvas.put(lx, yb, down_right, st)


def _hline(canvas: _Canvas, x0: int, x1: int, y: int, h: str, style: str) -> None:
    for x in range(x0, x1 + 1):
        cross = canvas.get(x, y) in "│┃┆"
        canvas.put(x, y, "┼" if cross else h, style)


def _attach(canvas: _Canvas, x: int, y: int, light: str, style: str) -> None:
    """Where a cable meets a box border: a tee in the border's own weight."""
    border = canvas.get(x, y)
    out_right = light in "├┝"
    tee = {"│": "├┤", "┃": "┠┨", "║": "╟╢"}.get(border)
    if tee is None:
        return
    char = tee[0] if out_right else tee[1]
    if border == "│":
        char = light
    canvas.put(x, y, char, style)


def layout_compact(state: TopologyState) -> Drawing:
    """One line per namespace: the marker, its name, its devices with their first address, and
    where each cable goes."""
    pos = state.position
    canvas = _Canvas()
    names = max((len(n.name) for n in state.namespaces), default=0)
    regions: list[tuple[str, Region]] = []
    marker: Region | None = None
    for y, ns in enumerate(state.namespaces):
        selected = state.selected == ns.name
        row = "topology--row-selected" if selected else ""
        here = pos.host == ns.name
        if here:
            symbol, style = (STATE_SYMBOLS["dead"], "topology--dead") if pos.dead else (STATE_SYMBOLS["here"],
                                                                                          "topology--here")
        elif ns.name in pos.path:
            symbol, style = SYMBOLS["passed"], "topology--visited"
        else:
            symbol, style = " ", row
        runs: list[tuple[str, str]] = [(("›" if selected else " "), row), (symbol, style), (" ", row),
                                       (ns.name.ljust(names), "topology--title-selected" if selected else
                                        "topology--title"), ("  ", row)]
        bridges = {d.name: sum(1 for p in ns.devices if p.master == d.name) for d in ns.devices if d.kind == "bridge"}
        for dev in _in_box_order(ns.devices):
            if dev.master in bridges and bridges[dev.master] > COMPACT_PORTS:
                continue
            lead = "⊂" if dev.master else ""
            for text, st in _device_runs(ns, dev, pos, lead):
                runs.append((text, st if st != "topology--port" else "topology--label"))
            if dev.addresses:
                more = f" +{len(dev.addresses) - 1}" if len(dev.addresses) > 1 else ""
                runs.append((f" {dev.addresses[0]}{more}", "topology--addr"))
            if dev.peer is not None and dev.peer[0] != ns.name:
                crossed = frozenset({(ns.name, dev.name), dev.peer}) in pos.hops
                runs.append((f" {'━' if crossed else '─'} {dev.peer[0]}", "topology--hop" if crossed
                             else "topology--label"))
            elif note := _cable_note(ns, dev, {n.name: n.column for n in state.namespaces}, state):
                runs.append((" " + note, "topology--label"))
            if bridges.get(dev.name, 0) > COMPACT_PORTS:
                runs.append((f" ⊂ {bridges[dev.name]} ports", "topology--label"))
            runs.append(("   ", row))
        x = 0
        for text, st in runs:
            barred = selected and st not in ("topology--here", "topology--dead", "topology--title-selected")
            canvas.put(x, y, text, f"{st} {row}".strip() if barred else st)
            if st in ("topology--here", "topology--dead") and marker is None:
                marker = Region(x, y, len(text), 1)
            x += len(text)
        regions.append((ns.name, Region(0, y, max(x, 1), 1)))
    return canvas.drawing(regions, marker, True)


COMPACT_PORTS = 3
"""A bridge with more ports than this lists only their number in the compact form (each port's
namespace says where it is cabled)."""

COMPACT_NAMESPACES = 16
"""With more namespaces than this, the compact form is the default whatever the terminal's size."""


def choose_layout(state: TopologyState, width: int, height: int) -> Drawing:
    """The picture for a viewport of `width`×`height`: wide boxes if they fit the width, else
    narrow boxes, else (or for many namespaces, or boxes much taller than the viewport) one line
    per namespace. `state.compact` overrides the choice."""
    if state.compact is True:
        return layout_compact(state)
    if state.compact is False:
        boxes = layout_boxes(state, wide=True)
        return boxes if boxes.width <= width else layout_boxes(state, wide=False)
    if len(state.namespaces) > COMPACT_NAMESPACES:
        return layout_compact(state)
    for wide in (True, False):
        drawing = layout_boxes(state, wide=wide)
        if drawing.width <= width and len(drawing.rows) <= max(3 * height, 40):
            return drawing
    return layout_compact(state)


# ---- the widget ----------------------------------------------------------------------------------


class TopologyView(ScrollView, can_focus=False):
    """The world's namespaces and cables with the packet's place; scrolls both ways."""

    COMPONENT_CLASSES = {
        "topology--box",
        "topology--box-selected",
        "topology--box-here",
        "topology--box-dead",
        "topology--title",
        "topology--title-selected",
        "topology--dev",
        "topology--down",
        "topology--addr",
        "topology--port",
        "topology--label",
        "topology--cable",
        "topology--hop",
        "topology--visited",
        "topology--here",
        "topology--dead",
        "topology--row-selected",
    }

    @dataclass
    class NamespaceClicked(Message):
        """The user clicked a namespace's box (or its line in the compact form)."""

        name: str
        """The namespace clicked."""

    state: var[TopologyState | None] = var(None, always_update=True)
    """The whole topology state; the picture is redrawn from it."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.drawing = Drawing((), 0, ())
        """The picture last drawn (tests read its text and boxes)."""
        self._styles: dict[str, Style] = {}
        self._shown: tuple[str | None, int] = (None, -1)
        self._offset = (0, 0)
        """Where the drawing starts in the view: boxes smaller than the view are centred."""

    @property
    def compact(self) -> bool:
        """Whether the picture is the compact form (one line per namespace)."""
        return self.drawing.compact

    def watch_state(self, state: TopologyState | None) -> None:
        """Redraw; keep the selected box in view when the selection changed, else the packet."""
        self._redraw()
        if state is None:
            return
        selected, step = self._shown
        self._shown = (state.selected, state.position.step)
        target: Region | None = None
        if state.selected != selected and state.selected is not None:
            target = self.drawing.region_of(state.selected)
        elif state.position.step != step:
            target = self.drawing.marker
        if target is not None:
            target = target.translate(self._offset)
            self.call_after_refresh(self.scroll_to_region, target, animate=False, spacing=Spacing(1, 2, 1, 2))

    def on_resize(self, event: events.Resize) -> None:
        """The viewport's size decides between the boxes and the compact form."""
        self._redraw()

    def _redraw(self) -> None:
        state = self.state
        if state is None:
            return
        size = self.scrollable_content_region.size
        width = size.width or self.app.size.width
        height = size.height or self.app.size.height
        self.drawing = drawing = choose_layout(state, width, height)
        rows = len(drawing.rows)
        if drawing.compact:
            self._offset = (0, 0)
        else:
            self._offset = (max(0, (width - drawing.width) // 2), max(0, (height - rows) // 3))
        self.virtual_size = Size(drawing.width + self._offset[0], rows + self._offset[1])
        self.refresh()

    def notify_style_update(self) -> None:
        """A theme change restyles every cell."""
        super().notify_style_update()
        self._styles = {}
        self.refresh()

    def _style(self, name: str) -> Style:
        found = self._styles.get(name)
        if found is None:
            found = self.rich_style
            for part in name.split():
                found += self.get_component_rich_style(part)
            self._styles[name] = found
        return found

    def render_line(self, y: int) -> Strip:
        """One row of the picture, cut to the viewport at the scroll offset."""
        scroll_x, scroll_y = self.scroll_offset
        ox, oy = self._offset
        line = scroll_y + y - oy
        width = self.scrollable_content_region.width
        base = self.rich_style
        if not 0 <= line < len(self.drawing.rows):
            return Strip.blank(width, base)
        segments = [Segment(" " * ox, base)] + [Segment(text, self._style(name))
                                                 for text, name in self.drawing.rows[line]]
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, base)

    def point_of(self, name: str) -> tuple[int, int] | None:
        """Where `name`'s box starts in the view's own coordinates (after scrolling), for clicks."""
        region = self.drawing.region_of(name)
        if region is None:
            return None
        x, y = self.scroll_offset
        return region.x + self._offset[0] - x, region.y + self._offset[1] - y

    def on_click(self, event: events.Click) -> None:
        """A click on a box selects its namespace."""
        x, y = self.scroll_offset
        ox, oy = self._offset
        name = self.drawing.box_at(event.x + x - ox, event.y + y - oy)
        if name is not None:
            event.stop()
            self.post_message(self.NamespaceClicked(name))
