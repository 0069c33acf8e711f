"""The packet pane: layers and fields, a hexdump with changed bytes marked, and sk_buff metadata.

Fields come from the step's packet record. The hexdump compares the step's bytes with the bytes of
the packet as it was sent, so NAT rewrites and TTL decrements (and the checksums they touch) stand
out. Bytes come from `wire.frame_bytes`, a small `struct` encoder: cheap enough to build on every
step, so the hexdump is drawn with the fields.
"""

from __future__ import annotations

import struct

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.widgets import Static

from ...kernel import wire
from ...kernel.addr import format_ipv4
from ...kernel.packet import IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Packet, icmp_name, tcp_flags_text
from ..model import ViewState, escape, set_markup
from .scrolling import SCROLL_BINDINGS


def _field(name: str, value: object, changed: bool) -> str:
    text = escape(str(value))
    return f"  {name:<9}" + (f"[reverse $warning]{text}[/]" if changed else text)


def packet_fields(pkt: Packet, original: Packet, state: ViewState) -> list[str]:
    """Layer by layer, each field on a line; fields that differ from the sent packet are highlighted."""
    lines = ["[bold]" + escape(state.t("ui.pkt.ether")) + "[/]"]
    macs = dict(state.macs)
    own = macs.get(pkt.iif or "", wire.DEFAULT_MAC)
    lines.append(_field("src", pkt.src_mac if pkt.iif else own, False))
    lines.append(_field("dst", (pkt.dst_mac or own) if pkt.iif else wire.PEER_MAC, False))
    lines.append("[bold]IPv4[/]")
    lines.append(_field("src", format_ipv4(pkt.src), pkt.src != original.src))
    lines.append(_field("dst", format_ipv4(pkt.dst), pkt.dst != original.dst))
    lines.append(_field("ttl", pkt.ttl, pkt.ttl != original.ttl))
    lines.append(_field("proto", f"{pkt.proto} ({pkt.proto_name})", False))
    lines.append(_field("len", pkt.length, pkt.length != original.length))
    if pkt.tos:
        lines.append(_field("tos", f"{pkt.tos:#04x}", pkt.tos != original.tos))
    if pkt.proto in (IPPROTO_TCP, IPPROTO_UDP):
        lines.append(f"[bold]{pkt.proto_name.upper()}[/]")
        lines.append(_field("sport", pkt.sport, pkt.sport != original.sport))
        lines.append(_field("dport", pkt.dport, pkt.dport != original.dport))
        if pkt.proto == IPPROTO_TCP:
            lines.append(_field("flags", f"[{tcp_flags_text(pkt.flags)}]", pkt.flags != original.flags))
            lines.append(_field("seq", pkt.seq, False))
            if pkt.ack_seq:
                lines.append(_field("ack", pkt.ack_seq, False))
    elif pkt.proto == IPPROTO_ICMP:
        lines.append("[bold]ICMP[/]")
        lines.append(_field("type", f"{pkt.icmp_type} ({icmp_name(pkt.icmp_type, pkt.icmp_code)})", False))
        lines.append(_field("code", pkt.icmp_code, False))
    if pkt.payload_len:
        lines.append(_field(state.t("ui.pkt.payload"), f"{pkt.payload_len} B", False))
    return lines


def skb_meta(state: ViewState, pkt: Packet) -> list[str]:
    """sk_buff metadata at this step: interfaces, mark, conntrack state, pointers."""
    lines = ["[bold]sk_buff[/]"]
    lines.append(_field("iif", pkt.iif or "-", False))
    lines.append(_field("oif", pkt.oif or "-", False))
    original = state.trace.packet if state.trace else pkt
    lines.append(_field("mark", f"{pkt.mark:#x}", pkt.mark != original.mark))
    lines.append(_field("ctstate", state.ct_state() or "-", False))
    skb = state.skb()
    if skb is not None:
        lines.append(_field("ptrs", f"h{skb.head} d{skb.data} t{skb.tail} e{skb.end}", False))
    return lines


def hexdump(data: bytes, changed: frozenset[int], width: int) -> list[str]:
    """Offset, hex bytes, ASCII; changed bytes in reverse warning style. 8 or 16 bytes a row by width."""
    per_row = 16 if width >= 58 else 8
    lines = []
    for start in range(0, len(data), per_row):
        chunk = data[start : start + per_row]
        cells = []
        for i, byte in enumerate(chunk):
            cell = f"{byte:02x}"
            cells.append(f"[reverse $warning]{cell}[/]" if start + i in changed else cell)
        lines.append(f"[$text-muted]{start:04x}[/] " + " ".join(cells))
    return lines


class PacketView(VerticalScroll, can_focus=True, inherit_bindings=False):
    """The packet at the current step: fields, hexdump, skb metadata."""

    BINDINGS = SCROLL_BINDINGS

    state: var[ViewState | None] = var(None, always_update=True)
    """The whole view state; the pane shows the packet of its current step."""

    def compose(self) -> ComposeResult:
        """Fields, then the hexdump, then skb metadata."""
        yield Static("", classes="packet-fields")
        yield Static("", classes="packet-hex")
        yield Static("", classes="packet-meta")

    def watch_state(self, state: ViewState | None) -> None:
        """Redraw for the current step's packet (only while shown: one of the two packet views, the
        column or the tab, is always hidden, and drawing it would cost a layout pass per step)."""
        if state is None or not self.is_mounted or not self.display or not self.parent_shown():
            return
        step = state.step
        fields, hexpane, meta = self.query(Static).results()
        if step is None or state.trace is None:
            set_markup(fields, escape(state.t("ui.loading" if state.loading else "ui.no_journey")))
            set_markup(hexpane, "")
            set_markup(meta, "")
            return
        pkt, original = step.packet, state.trace.packet
        set_markup(fields, "\n".join(packet_fields(pkt, original, state)))
        set_markup(meta, "\n".join(["", *skb_meta(state, pkt)]))
        set_markup(hexpane, self._hex(state, pkt, original))

    def parent_shown(self) -> bool:
        """Whether no container above is hidden (the tab's switcher hides it; CSS hides the column)."""
        return all(node.display for node in self.ancestors if hasattr(node, "display"))

    def on_show(self) -> None:
        """Shown again (the tab was picked, or the terminal grew): draw the current state."""
        self.watch_state(self.state)

    def _hex(self, state: ViewState, pkt: Packet, original: Packet) -> str:
        own = dict(state.macs).get(pkt.iif or original.iif or "", wire.DEFAULT_MAC)
        try:
            now, before = wire.frame_bytes(pkt, own), wire.frame_bytes(original, own)
        except (struct.error, ValueError) as exc:  # a field out of range must not take the app down
            return "\n[$error]" + escape(f"hexdump: {exc}") + "[/]"
        changed = wire.changed_offsets(before, now)
        head = "\n[bold]" + escape(state.t("ui.pkt.hex", n=len(now))) + "[/]"
        if changed:
            head += "  [reverse $warning]" + escape(state.t("ui.pkt.changed", n=len(changed))) + "[/]"
        return "\n".join([head, *hexdump(now, changed, self.scrollable_content_region.width or 60)])
