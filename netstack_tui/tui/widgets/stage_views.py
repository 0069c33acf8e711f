"""The centre pane: the current stage's live state, drawn one way per kind of `Step.view`.

RX ring slots, sk_buff pointers, an iptables chain as `iptables -L -v -n --line-numbers` prints it
(with each rule's match / no match for this packet), the routing decision, the conntrack entry,
the sockets with their queues, the XDP verdict and the egress queue. Colours come from theme
variables in markup (`$success`, `$error`, ...), so every theme applies.
"""

from __future__ import annotations

import re
import shlex

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.widgets import Static

from ...kernel.trace import (
    AppView,
    ChainView,
    ConntrackView,
    QueueView,
    RingView,
    RouteView,
    RuleRow,
    SkbView,
    SocketView,
    Step,
    Verdict,
    XdpView,
)
from ..model import SYMBOLS, ViewState, escape, outcome, set_markup, stage_label, stage_of
from .app_view import render_app
from .scrolling import SCROLL_BINDINGS
from .stage_body import StageBody

_OUTCOME_STYLE = {
    "passed": "$success",
    "dropped": "$error",
    "skipped": "$text-muted",
    "delivered": "$accent",
    "transmitted": "$accent",
    "pending": "$text-muted",
    "unreached": "$text-disabled",
}


def bar(used: int, total: int, width: int) -> str:
    """A filled/empty bar of `width` cells for used/total."""
    width = max(width, 4)
    filled = 0 if total <= 0 else min(width, round(width * used / total))
    if used and not filled:
        filled = 1
    return "█" * filled + "░" * (width - filled)


# ---- iptables -S → iptables -L columns ------------------------------------------------------------


def rule_columns(rule: str) -> tuple[str, str, str, str, str, str, str]:
    """Split an `iptables -S` rule into the columns `iptables -L -v -n` prints.

    Returns (prot, opt, in, out, source, destination, extra), where `extra` renders matches
    the way `-L` does (`tcp dpt:22`, `ctstate RELATED,ESTABLISHED`, `/* comment */`).
    """
    try:
        words = shlex.split(rule)
    except ValueError:
        words = rule.split()
    prot, opt, iif, oif, src, dst = "all", "--", "*", "*", "0.0.0.0/0", "0.0.0.0/0"
    extra: list[str] = []
    i = 0
    neg = False
    target_args: list[str] = []
    in_target = False
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        bang = "!" if neg else ""
        neg = False
        if w in ("-A", "-I"):
            i += 2
            continue
        if w == "!":
            neg = True
            i += 1
            continue
        if in_target:
            target_args.append(w)
            i += 1
            continue
        if w in ("-j", "-g"):
            in_target = True
            i += 2
            continue
        consumed = 2
        if w == "-p":
            prot = bang + nxt
        elif w == "-i":
            iif = bang + nxt
        elif w == "-o":
            oif = bang + nxt
        elif w == "-s":
            src = bang + (nxt if "/" in nxt else nxt)
        elif w == "-d":
            dst = bang + (nxt if "/" in nxt else nxt)
        elif w == "-m":
            if nxt not in ("tcp", "udp", "icmp", "comment", "state", "conntrack", "multiport", "mark"):
                extra.append(nxt)
        elif w == "--dport":
            extra.append(f"{prot} {bang}dpt:{nxt}")
        elif w == "--sport":
            extra.append(f"{prot} {bang}spt:{nxt}")
        elif w in ("--dports", "--sports"):
            extra.append(f"multiport {w[2:]} {bang}{nxt}")
        elif w in ("--state", "--ctstate"):
            extra.append(f"{w[2:]} {bang}{nxt}")
        elif w == "--comment":
            extra.append(f"/* {nxt} */")
        elif w == "--mark":
            extra.append(f"mark match {bang}{nxt}")
        elif w == "--icmp-type":
            extra.append(f"icmptype {bang}{nxt}")
        elif w.startswith("--"):
            extra.append(f"{w[2:]} {nxt}")
        else:
            consumed = 1
            extra.append(w)
        i += consumed
    if target_args:
        extra.append(" ".join(a.lstrip("-").replace("-", " ", 0) for a in target_args))
    return prot, opt, iif, oif, src, dst, " ".join(extra)


def _human(n: int) -> str:
    """Counters as iptables -v prints them: 0, 999, 1234 → 1234, 12K, 3M."""
    for unit, size in (("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= 100 * size:
            return f"{n // size}{unit}"
    return str(n)


# ---- one renderer per view kind ------------------------------------------------------------------


def render_ring(view: RingView, step: Step, state: ViewState, width: int) -> str:
    """RX ring: a row of descriptor cells, used ones filled, the packet's slot marked."""
    shown = min(view.size, 64)
    per_row = max(8, min(32, (width - 4) // 2))
    lines = [state.t("ui.ring.head", dev=view.interface, size=view.size, used=view.used, budget=view.napi_budget)]
    burst = step.note.endswith("_burst") or view.slot < 0

    def cell(slot: int) -> tuple[str, str]:
        """Style and symbol of one descriptor."""
        if slot == view.slot:
            return ("reverse $accent", "◆") if step.stage == "dma" else ("$success", "◇")
        if burst:
            # Under a burst the frames still waiting sit in the descriptors just behind this one.
            behind = (view.slot - slot) % view.size if view.slot >= 0 else 0
            if view.slot < 0 or 0 < behind < view.used + (0 if step.stage == "dma" else 1):
                return "$warning", "■"
        elif slot < view.used or (view.slot >= 0 and slot < view.slot):
            return "$warning", "■"
        return "$text-muted", "□"

    for start in range(0, shown, per_row):
        # One markup span per run of equal cells: 64 separate spans cost a frame to lay out.
        runs: list[tuple[str, list[str]]] = []
        for slot in range(start, min(shown, start + per_row)):
            style, char = cell(slot)
            if runs and runs[-1][0] == style:
                runs[-1][1].append(char)
            else:
                runs.append((style, [char]))
        lines.append(" " + " ".join(f"[{style}]{' '.join(chars)}[/]" for style, chars in runs))
    if view.size > shown:
        lines.append(f" [$text-muted]… {view.size - shown} {escape(state.t('ui.ring.more'))}[/]")
    lines.append("")
    if view.slot < 0:
        lines.append("[bold $error]" + escape(state.t("ui.ring.full")) + "[/]")
    elif step.stage == "dma":
        lines.append(escape(state.t("ui.ring.filled", slot=view.slot)))
    else:
        lines.append(escape(state.t("ui.ring.drained", slot=view.slot, budget=view.napi_budget)))
    lines.append("[$text-muted]" + escape(state.t("ui.ring.legend")) + "[/]")
    return "\n".join(lines)


def render_skb(view: SkbView, state: ViewState, width: int) -> str:
    """sk_buff geometry: a bar of headroom | data | tailroom with the four pointers named."""
    inner = max(30, min(width - 4, 100))
    head_room, data_len, tail_room = view.data - view.head, view.tail - view.data, view.end - view.tail
    total = max(view.end - view.head, 1)
    # Proportions would hide the headers in 2 KB of tailroom: give each part a fair minimum.
    w_head = max(6, round(inner * head_room / total))
    w_data = max(10, round(inner * data_len / total))
    w_tail = max(6, inner - w_head - w_data)
    lines = [state.t("ui.skb.head", op=view.op, layer=view.layer), ""]
    lines.append(
        "head" + " " * (w_head - 4) + "data" + " " * max(1, w_data - 4) + "tail" + " " * max(1, w_tail - 7) + "end"
    )
    lines.append("↓" + " " * (w_head - 1) + "↓" + " " * (w_data - 1) + "↓" + " " * (w_tail - 1) + "↓")
    lines.append(
        "[on $panel]" + "░" * w_head + "[/][reverse $accent]" + "▓" * w_data + "[/][on $panel]" + "░" * w_tail + "[/]"
    )
    lines.append(f"{view.head:<{w_head}}{view.data:<{w_data}}{view.tail:<{w_tail}}{view.end}")
    lines.append("")
    lines.append(escape(state.t("ui.skb.sizes", headroom=head_room, data=data_len, tailroom=tail_room)))
    lines.append("[$text-muted]" + escape(state.t("ui.skb.legend")) + "[/]")
    return "\n".join(lines)


def _result(row: RuleRow, tested: dict[int, tuple[bool, str | None]]) -> tuple[str, str | None]:
    """This packet's result for a rule: a coloured symbol, and the failing match for a miss."""
    matched = tested[row.index][0] if row.index in tested else row.result == "match"
    if row.result == "not reached" and row.index not in tested:
        return "[$text-muted]·[/]", None
    if matched:
        return "[$success]✓[/]", None
    failed = tested.get(row.index, (False, row.failed_match))[1] or row.failed_match
    return "[$error]✗[/]", failed or ""


def _prot_n(prot: str) -> str:
    """The prot column as `iptables -L -n` (1.8.9) prints it: the number (`6`, not `tcp`), as the shell does."""
    from ...kernel.netfilter.values import PROTOCOLS

    name = prot.removeprefix("!")
    return prot[: len(prot) - len(name)] + str(PROTOCOLS.get(name.lower(), name))


def _rule_line(row: RuleRow, decided: bool, tested: dict[int, tuple[bool, str | None]], width: int) -> str:
    prot, opt, iif, oif, src, dst, extra = rule_columns(row.rule)
    if width >= FULL_WIDTH:
        text = (
            f"{row.index:<4}{_human(row.pkts):>5} {_human(row.bytes):>5} {row.target:<9} {_prot_n(prot):<5}{opt:<4}"
            f"{iif:<6}{oif:<6}{src:<16} {dst:<16} {extra}"
        )
    else:
        # Narrow: drop the columns that say "any", as a reader would skip them anyway.
        parts = [f"{row.index:<3}{_human(row.pkts):>5} {row.target:<7}"]
        parts += [] if extra.startswith(prot + " ") else [prot]
        parts += [f"in {iif}"] if iif != "*" else []
        parts += [f"out {oif}"] if oif != "*" else []
        parts += [f"src {src}"] if src != "0.0.0.0/0" else []
        parts += [f"dst {dst}"] if dst != "0.0.0.0/0" else []
        text = " ".join(parts + ([extra] if extra else []))
    symbol, failed = _result(row, tested)
    line = escape(text)
    if decided:
        style = "$error" if row.target in ("DROP", "REJECT") else "$success"
        line = f"[reverse bold {style}]▶{line}[/]"
    else:
        line = " " + line
    if failed:
        # The failed test is the point of a ✗: beside the rule when it fits, else on a line of its own.
        reason = f"[$text-muted]≠ {escape(failed)}[/]"
        line += f"  {reason}" if len(text) + len(failed) + 6 <= width else f"\n{'':>6}{reason}"
    return f"{symbol}{line}"


FULL_WIDTH = 88
"""Pane width from which chains are drawn with every `iptables -L -v` column."""


def render_chain(view: ChainView, step: Step, state: ViewState, width: int = FULL_WIDTH) -> str:
    """The chain as `iptables -L CHAIN -v -n --line-numbers` prints it, with this packet's results."""
    tested = {e.index: (e.matched, e.failed_match) for e in step.tested if e.chain == view.chain}
    head = (
        f"Chain {view.chain} (policy {view.policy} {view.policy_pkts} packets, {view.policy_bytes} bytes)"
        if view.policy
        else f"Chain {view.chain}"
    )
    if width >= FULL_WIDTH:
        cols = (
            f"{'num':<4}{'pkts':>5} {'bytes':>5} {'target':<9} {'prot':<5}{'opt':<4}{'in':<6}{'out':<6}"
            f"{'source':<16} {'destination':<16}"
        )
    else:
        cols = f"{'num':<3}{'pkts':>5} {'target':<7} match"
    table = "" if view.table == "filter" else f"-t {view.table} "
    lines = [
        f"[$text-muted]# iptables {table}-L {view.chain} -v -n --line-numbers[/]",
        "[bold]" + escape(head) + "[/]",
        "  " + escape(cols),
    ]
    for row in view.rules:
        decided = step.chain == view.chain and step.rule_index == row.index
        lines.append(_rule_line(row, decided, tested, width))
    if not view.rules:
        lines.append("[$text-muted] " + escape(state.t("ui.chain.empty")) + "[/]")
    for name, rows in view.extra_chains:
        sub = {e.index: (e.matched, e.failed_match) for e in step.tested if e.chain == name}
        lines += ["", f"[bold]Chain {escape(name)}[/]"]
        for row in rows:
            lines.append(_rule_line(row, step.chain == name and step.rule_index == row.index, sub, width))
    lines.append("[$text-muted]" + escape(state.t("ui.chain.legend")) + "[/]")
    lines.append("")
    if step.verdict == Verdict.SKIP:
        lines.append("[$text-muted]" + escape(state.t("ui.chain.skipped")) + "[/]")
    elif step.rule_index is None and view.policy:
        style = "$error" if view.policy == "DROP" else "$success"
        lines.append(f"[reverse bold {style}]▶ " + escape(state.t("ui.chain.policy", policy=view.policy)) + " [/]")
    elif step.rule_index is not None:
        lines.append(
            escape(state.t("ui.chain.decided", n=step.rule_index, chain=step.chain or view.chain, target=step.verdict))
        )
    return "\n".join(lines)


def render_route(view: RouteView, state: ViewState) -> str:
    """ip rule, then the consulted table with the chosen route marked, the result and why."""
    lines = ["[$text-muted]# ip rule show[/]"]
    lines += [" " + escape(r.replace("\t", " ")) for r in view.rules]
    lines += ["", f"[$text-muted]# ip route show table {escape(view.table)}[/]"]
    for i, route in enumerate(view.routes):
        if i == view.chosen:
            lines.append("[reverse bold $accent]▶" + escape(route.rstrip()) + " [/]")
        else:
            lines.append(" " + escape(route.rstrip()))
    if not view.routes:
        lines.append("[$text-muted] " + escape(state.t("ui.route.empty")) + "[/]")
    lines.append("")
    style = "$success" if view.result in ("local", "unicast") else "$error"
    lines.append(
        f"[bold {style}]"
        + escape(state.t("ui.route.result", result=view.result))
        + "[/]  "
        + escape(state.t("ui.route.why", why=view.why))
    )
    return "\n".join(lines)


def render_conntrack(view: ConntrackView, state: ViewState, width: int) -> str:
    """The conntrack entry as `conntrack -L` prints it, its state, and how full the table is."""
    lines = ["[$text-muted]# conntrack -L[/]"]
    if view.entry:
        lines.append(escape(" ".join(view.entry.split())))
    else:
        lines.append("[$text-muted]" + escape(state.t("ui.ct.no_entry")) + "[/]")
    lines.append("")
    style = {"NEW": "$warning", "ESTABLISHED": "$success", "RELATED": "$success", "INVALID": "$error"}.get(
        view.state, "$text-muted"
    )
    created = state.t("ui.ct.created") if view.created else ""
    lines.append(f"ctstate: [bold {style}]{escape(view.state)}[/] {escape(created)}")
    w = max(10, min(40, width - 30))
    lines.append(
        escape(state.t("ui.ct.table", used=view.table_used, max=view.table_max))
        + "  "
        + bar(view.table_used, view.table_max, w)
    )
    return "\n".join(lines)


def render_socket(view: SocketView, state: ViewState, width: int) -> str:
    """Sockets as `ss -tan` lists them, with SYN and accept queues and the process's fds."""
    wide = width >= 90
    head = (
        f"{'State':<11}{'Recv-Q':>6} {'Send-Q':>6}  {'Local':<21}{'Peer':<21}Process"
        if wide
        else f"{'State':<11}{'Recv-Q/Send-Q':<14}{'Local':<20}Process"
    )
    lines = ["[$text-muted]# ss -tanp[/]", " " + escape(head)]
    for i, row in enumerate(view.rows):
        if wide:
            text = f"{row.state:<11}{row.recv_q:>6} {row.send_q:>6}  {row.local:<21}{row.peer:<21}{row.process}"
        else:
            text = f"{row.state:<11}{f'{row.recv_q}/{row.send_q}':<14}{row.local:<20}{row.process.split(',')[0]}"
        lines.append(("[reverse bold $accent]▶" + escape(text) + " [/]") if i == view.chosen else " " + escape(text))
    if not view.rows:
        lines.append("[$text-muted] " + escape(state.t("ui.sock.none")) + "[/]")
    lines.append("")
    w = max(10, min(30, width - 36))
    if 0 <= view.chosen < len(view.rows):
        row = view.rows[view.chosen]
        if row.state == "LISTEN":
            lines.append(
                escape(state.t("ui.sock.synq", n=row.syn_queue)).ljust(26) + bar(row.syn_queue, max(row.backlog, 1), w)
            )
            lines.append(
                escape(state.t("ui.sock.acceptq", n=row.recv_q, backlog=row.backlog)).ljust(26)
                + bar(row.recv_q, max(row.backlog, 1), w)
            )
    if view.fd_limit:
        lines.append(
            escape(state.t("ui.sock.fds", n=view.fds_open, limit=view.fd_limit)).ljust(26)
            + bar(view.fds_open, view.fd_limit, w)
        )
    lines.append("[$text-muted]" + escape(state.t("ui.sock.legend")) + "[/]")
    return "\n".join(lines)


def render_xdp(view: XdpView, state: ViewState) -> str:
    """The XDP program on the interface, its mode and the action it returned."""
    lines = [f"[$text-muted]# ip link show {escape(view.interface)}[/]"]
    if view.program is None:
        lines.append(escape(state.t("ui.xdp.none", dev=view.interface)))
    else:
        lines.append(escape(state.t("ui.xdp.prog", prog=view.program, mode=view.mode or "?")))
        style = "$error" if "DROP" in view.action or "ABORTED" in view.action else "$success"
        lines.append(f"→ [bold {style}]{escape(view.action)}[/]")
    lines += ["", "[bold]" + escape(state.t("ui.xdp.pyramid")) + "[/]"]
    for i, key in enumerate(("ui.xdp.p1", "ui.xdp.p2", "ui.xdp.p3", "ui.xdp.p4", "ui.xdp.p5")):
        here = (view.mode == "native" and i == 0) or (view.mode == "generic" and i == 1)
        mark = "[$accent]◀[/]" if here else ""
        lines.append("  " * i + " ▲ " + escape(state.t(key)) + " " + mark)
    return "\n".join(lines)


def render_queue(view: QueueView, state: ViewState, width: int) -> str:
    """A qdisc: its kind, the queue the packet went to and how full it is, its wait on the simulated
    clock, the `tc -s` counters, and what the queue model leaves out."""
    w = max(10, min(40, width - 30))
    lines = [
        f"[$text-muted]# tc -s qdisc show dev {escape(view.interface)}[/]",
        escape(state.t("ui.queue.head", dev=view.interface, qdisc=view.qdisc)),
    ]
    if view.where:
        lines.append(escape(state.t("ui.queue.where", where=view.where, class_text="")))
    if view.limit_bytes:
        lines.append(escape(state.t("ui.queue.bytes", bytes=view.backlog_bytes, limit=view.limit)).ljust(24)
                     + bar(view.backlog_bytes, view.limit, w))
    else:
        lines.append(escape(state.t("ui.queue.len", n=view.length, limit=view.limit)).ljust(24)
                     + bar(view.length, view.limit, w))
    if view.wait_ms:
        lines.append(escape(state.t("ui.queue.wait", wait_ms=view.wait_ms)))
    lines.append(escape(state.t("ui.queue.counters", sent=view.sent, dropped=view.dropped,
                                overlimits=view.overlimits)))
    if view.modelled:
        lines.append(f"[$text-muted]{escape(state.t(view.modelled))}[/]")
    return "\n".join(lines)


def function_name(name: str) -> str:
    """A kernel function as the title shows it: `ip_rcv()`, but `(NIC hardware)` stays as it is."""
    return name + "()" if re.fullmatch(r"[A-Za-z_]\w*", name) else name


def render_generic(step: Step, state: ViewState) -> str:
    """A stage with no state of its own: what it models."""
    return escape(state.t("ui.generic", function=function_name(step.function)))


def render_body(step: Step, state: ViewState, width: int) -> str:
    """The markup for a step's view, whatever its kind."""
    view = step.view
    if isinstance(view, RingView):
        return render_ring(view, step, state, width)
    if isinstance(view, SkbView):
        return render_skb(view, state, width)
    if isinstance(view, ChainView):
        return render_chain(view, step, state, width)
    if isinstance(view, RouteView):
        return render_route(view, state)
    if isinstance(view, ConntrackView):
        return render_conntrack(view, state, width)
    if isinstance(view, SocketView):
        return render_socket(view, state, width)
    if isinstance(view, XdpView):
        return render_xdp(view, state)
    if isinstance(view, QueueView):
        return render_queue(view, state, width)
    if isinstance(view, AppView):
        return render_app(view, state, width)
    if step.skb is not None and step.stage in ("skb", "gro", "ip_rcv", "xdp_generic", "tc_ingress"):
        return render_skb(step.skb, state, width)
    return render_generic(step, state)


class StageView(VerticalScroll, can_focus=True, inherit_bindings=False):
    """The current stage's live state: title, the stage's own picture, and what it changed."""

    BINDINGS = SCROLL_BINDINGS

    state: var[ViewState | None] = var(None, always_update=True)
    """The whole view state; the pane redraws from its current step."""

    def compose(self) -> ComposeResult:
        """A title line, then the stage's picture and the changes it made."""
        yield Static("", id="stage-title", markup=True)
        yield StageBody("", id="stage-body", markup=True)

    def on_resize(self) -> None:
        """Bars and rings scale to the pane's width."""
        self.watch_state(self.state)

    def watch_state(self, state: ViewState | None) -> None:
        """Redraw for the current step."""
        if state is None or not self.is_mounted:
            return
        step = state.step
        title, body = self.query_one("#stage-title", Static), self.query_one("#stage-body", StageBody)
        # The body is padded to fill the pane below the title (one line, and a blank one above
        # the body): a step to another kind of picture then keeps every height, so no layout pass.
        fill = self.scrollable_content_region.height - 2
        if step is None:
            set_markup(title, escape(state.t("ui.loading" if state.loading else "ui.no_journey")))
            set_markup(body, "", fill)
            return
        stage = stage_of(step)
        kind = outcome(step)
        name = f"{stage.group} › {stage_label(stage, state.lang)}" if stage else step.stage
        set_markup(
            title,
            f"[{_OUTCOME_STYLE[kind]}]{SYMBOLS[kind]} {escape(state.t('ui.outcome.' + kind))}[/]  "
            f"[bold]{escape(name)}[/]  [$text-muted]{escape(function_name(step.function))}[/]",
        )
        lines = [render_body(step, state, self.scrollable_content_region.width or 80)]
        if step.changes:
            lines += ["", "[bold]" + escape(state.t("ui.changes")) + "[/]"]
            lines += [
                f" {escape(c.what)}: [$error]{escape(c.before)}[/] → [$success]{escape(c.after)}[/]"
                for c in step.changes
            ]
        set_markup(body, "\n".join(lines), fill)
