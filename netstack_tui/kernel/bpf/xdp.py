"""Running a learner's program at the XDP hook: the frame's bytes in, an action's name out."""

from __future__ import annotations

from ..packet import Packet
from ..wire import ethernet_frame
from .interpreter import run
from .loader import LoadedProgram
from .nodes import ACTION_NAMES
from .xsk import XskSocket

RX_QUEUE = 0
"""The model's NICs have one RX queue (no RSS), so every frame arrives on queue 0."""


def run_on_frame(
    code: LoadedProgram, pkt: Packet, src_mac: str, dst_mac: str,
) -> tuple[str, str | int | XskSocket | None]:
    """(action name, redirect target: a device, or the AF_XDP socket redirect_map() chose) for one
    received frame. A value outside enum xdp_action would be XDP_ABORTED in the kernel
    (bpf_warn_invalid_xdp_action); the language cannot return one."""
    outcome = run(code.program, code.maps, ethernet_frame(pkt, src_mac, dst_mac), RX_QUEUE)
    target = outcome.xsk if outcome.xsk is not None else outcome.target
    return ACTION_NAMES.get(outcome.action, "XDP_ABORTED"), target
