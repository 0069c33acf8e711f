"""The simulator side: run a `Case` through `netstack_tui.commands.shell.Shell` and observe it the
same way netns.py observes the kernel.

Mapping from traces to the kernel-side observation:

* ``replies`` (what arrived at s): every reply the host emitted that left (disposition ``sent``)
  through eth0, and every packet forwarded out of eth0, as ``str(final_packet)``, in send order.
* ``forwarded`` (what arrived at r): the same for eth1.
* ``delivered``: a UDP packet delivered to a socket is ``udp SRC:P > DST:P len=N``; a TCP flow whose
  SYN was answered by a SYN-ACK and whose following ACK was delivered is
  ``tcp SRC:P > DST:P accepted`` (plus `` len=N``, the payload delivered on it afterwards), which is
  what the real listener's accept()/recv() see.
* counters: ``iptables-save -c`` output, parsed by the same parser as the kernel's.
"""

from __future__ import annotations

from typing import Any

from .case import Case
from .observe import Observation, parse_iptables_save

SHELL_MODULE = "netstack_tui.commands.shell"


def sim_available() -> bool:
    try:
        __import__(SHELL_MODULE)
    except ImportError:
        return False
    return True


class SimSetupError(RuntimeError):
    """A setup command failed in the simulator (the message names the command and its output)."""


def setup_lines(case: Case) -> list[tuple[str, bool]]:
    """The shell lines that configure h, each with whether a failure is tolerated."""
    lines: list[tuple[str, bool]] = []
    if case.topology == "router":
        lines.append(("ip link add eth1 type dummy", True))
    for name in case.dummies:
        lines.append((f"ip link add {name} type dummy", False))
        lines.append((f"ip link set {name} up", False))
    lines.append((f"ip addr add {case.address('h:eth0')} dev eth0", True))
    lines.append(("ip link set eth0 up", True))
    lines.append((f"ip neigh add {case.ip('s:eth0')} lladdr 02:00:00:00:00:02 dev eth0 nud permanent", True))
    if case.topology == "router":
        lines.append((f"ip addr add {case.address('h:eth1')} dev eth1", False))
        lines.append(("ip link set eth1 up", False))
        lines.append((f"ip neigh add {case.ip('r:eth0')} lladdr 02:00:00:00:00:03 dev eth1 nud permanent", True))
    for key, value in case.all_sysctls.items():
        lines.append((f"sysctl -w {key}={value}", key in ("net.ipv4.conf.default.rp_filter",)))
    for listener in case.listeners:
        if listener.ns == "h":
            lines.append((f"listen {listener.proto} {listener.addr}:{listener.port}", False))
    return lines


def _spec_with_iface(spec: str) -> str:
    return spec if "iface=" in spec else spec + " iface=eth0"


def _details(pkt: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"ip_len": pkt.length}
    if pkt.proto == 1:
        details.update(icmp_type=pkt.icmp_type, icmp_code=pkt.icmp_code)
    return details


def _side(pkt: Any, case: Case) -> str:
    """``s`` or ``r``: where a packet leaving h arrives (by oif, else by destination subnet)."""
    oif = getattr(pkt, "oif", None)
    if oif == "eth1":
        return "r"
    if oif == "eth0":
        return "s"
    from netstack_tui.kernel.addr import format_ipv4

    dst = format_ipv4(pkt.dst)
    return "r" if case.topology == "router" and dst.startswith(case.ip("r:eth0").rsplit(".", 1)[0] + ".") else "s"


def run_sim(case: Case) -> Observation:
    """Run the case in the simulator (raises ImportError if the shell does not exist yet)."""
    from netstack_tui.commands.shell import Shell  # noqa: PLC0415 - optional until it exists
    from netstack_tui.kernel.packet import ACK, SYN  # noqa: PLC0415

    sh = Shell()
    obs = Observation()
    default_routes = sh.run("ip route")
    if default_routes.status == 0 and "default" in default_routes.output:
        sh.run("ip route del default")
    for line, tolerated in setup_lines(case):
        result = sh.run(line)
        if result.status != 0:
            if not tolerated:
                raise SimSetupError(f"sim: `{line}` failed ({result.status}): {result.output.strip()}")
            obs.notes.append(f"sim setup `{line}` -> {result.status}: {result.output.strip()}")
    if case.ruleset.strip():
        result = sh.run("iptables-restore", stdin=case.ruleset)
        if result.status != 0:
            raise SimSetupError(f"sim: iptables-restore failed ({result.status}): {result.output.strip()}")

    synack_flows: set[tuple] = set()
    accepted: dict[tuple, int] = {}  # flow -> index into obs.delivered
    data_bytes: dict[tuple, int] = {}
    for spec in case.packets:
        result = sh.run("send " + _spec_with_iface(spec))
        if result.status != 0 or not result.traces:
            raise SimSetupError(f"sim: `send {spec}` failed ({result.status}): {result.output.strip()}")
        trace = result.traces[0]
        disposition = str(trace.disposition)
        final = trace.final_packet
        obs.notes.append(f"sim: {spec} -> {trace.summary_line() if hasattr(trace, 'summary_line') else disposition}")
        # A forwarded packet's only possible answer (an ICMP redirect) leaves before it does.
        emitted: list[Any] = [r.final_packet for r in trace.replies if str(r.disposition) in ("sent", "forwarded")]
        if disposition == "forwarded":
            emitted.append(final)
        for pkt in emitted:
            if _side(pkt, case) == "s":
                obs.replies.append(str(pkt))
                obs.reply_details.append(_details(pkt))
            else:
                obs.forwarded.append(str(pkt))
                obs.forwarded_details.append(_details(pkt))
        if disposition == "delivered" and trace.delivered_to:
            # The trace says when a handshake completed; flows are keyed after NAT, as the listener sees them.
            if any(step.note == "sock.handshake_done" for step in trace.steps):
                synack_flows.add((final.src, final.sport, final.dst, final.dport))
            _record_delivery(obs, final, synack_flows, accepted, data_bytes, ACK, SYN)

    for flow, index in accepted.items():
        if data_bytes.get(flow):
            obs.delivered[index] += f" len={data_bytes[flow]}"
    save = sh.run("iptables-save -c")
    obs.raw_save = save.output
    obs.counters = parse_iptables_save(save.output)
    return obs


def _record_delivery(obs: Observation, pkt: Any, synack_flows: set, accepted: dict, data_bytes: dict,
                     ACK: int, SYN: int) -> None:  # noqa: N803
    from netstack_tui.kernel.addr import format_ipv4

    src, dst = format_ipv4(pkt.src), format_ipv4(pkt.dst)
    if pkt.proto == 17:
        text = f"udp {src}:{pkt.sport} > {dst}:{pkt.dport}"
        obs.delivered.append(text + (f" len={pkt.payload_len}" if pkt.payload_len else ""))
    elif pkt.proto == 6:
        flow = (pkt.src, pkt.sport, pkt.dst, pkt.dport)
        if flow in accepted:
            data_bytes[flow] = data_bytes.get(flow, 0) + pkt.payload_len
        elif pkt.flags & ACK and not pkt.flags & SYN and flow in synack_flows:
            accepted[flow] = len(obs.delivered)
            obs.delivered.append(f"tcp {src}:{pkt.sport} > {dst}:{pkt.dport} accepted")
            data_bytes[flow] = pkt.payload_len
