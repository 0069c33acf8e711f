"""The ring view draws a burst's waiting frames: the descriptors just behind this frame's, wrapping."""

from __future__ import annotations

from netstack_tui.tui.model import ViewState
from netstack_tui.tui.widgets.stage_views import render_body
from tests.ring.test_ring import QUERY, _shell


def _grid(body: str) -> str:
    """The descriptor rows of a ring view (not its heading, message or legend)."""
    return "\n".join(line for line in body.splitlines() if line.startswith(" ["))


def test_burst_ring_view_marks_the_waiting_descriptors() -> None:
    """Ten frames into a burst on an 8-descriptor ring: the last lands in slot 1 (10 mod 8 → slots 0..9
    wrap), with 8 in use at DMA (7 used cells plus this frame's mark) and 7 others waiting at the poll."""
    sh = _shell("nic eth0 ring 8")
    trace = sh.run(f"flood {QUERY} --count 10 --burst --vary none").traces[0]
    index = {s.stage: i for i, s in enumerate(trace.steps)}
    dma = trace.steps[index["dma"]]
    assert dma.note == "dma.ring_full"  # 8 descriptors, one drained in 604.8 ns: the 10th finds it full
    text = _grid(render_body(dma, ViewState(trace=trace, index=index["dma"], lang="en"), 80))
    assert text.count("■") == 8
    sh2 = _shell("nic eth0 ring 16")
    trace = sh2.run(f"flood {QUERY} --count 10 --burst --vary none").traces[0]
    index = {s.stage: i for i, s in enumerate(trace.steps)}
    for stage, others in (("dma", 8), ("napi", 8)):
        body = _grid(render_body(trace.steps[index[stage]], ViewState(trace=trace, index=index[stage], lang="en"), 80))
        assert body.count("■") == others, stage  # the frames behind slot 9
        assert body.count("◆" if stage == "dma" else "◇") == 1
