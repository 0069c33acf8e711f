"""English texts of the kernel's step notes (and of anything else keyed by message id)."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # NIC and driver
    "nic.accept": "{dev} ({driver}) accepts the frame: its destination MAC is {mac}.",
    "nic.down": "{dev} is down: the NIC does not receive.",
    "nic.mac_filter": "{dev} drops the frame in hardware: it is for {mac}, not for this NIC ({own}).",
    "nic.no_such_device": "There is no device {dev}.",
    "dma.slot": "The NIC writes the {bytes}-byte frame into RX ring slot {slot} by DMA; the CPU copies nothing.",
    "dma.ring_full": (
        "All {size} RX descriptors of {dev} are full: the NIC has nowhere to write the frame and loses it. No "
        "sk_buff ever exists, so there is no drop reason: the driver counts it as missed (`ip -s link` missed, "
        "`ethtool -S` rx_missed_errors or rx_fifo_errors, depending on the driver)."
    ),
    "napi.poll": (
        "The NIC raises one IRQ; the driver switches to NAPI polling and takes up to {budget} frames per poll."
    ),
    "dma.slot_burst": (
        "A burst: frames arrive back to back at 10 Gbit/s. The NIC writes this {bytes}-byte frame into slot {slot}; "
        "{used} of {size} descriptors now hold frames NAPI has not polled yet. When all are in use, the next frame "
        "is missed."
    ),
    "napi.poll_burst": (
        "NAPI polls {dev} in batches of {budget} frames; net_rx_action() stops a round after netdev_budget "
        "({netdev_budget}) frames or netdev_budget_usecs ({by_time} frames' worth) and counts a time_squeeze; "
        "{waiting} frames still wait. Modelled: the CPU takes 500 ns per frame, a squeezed round waits 20 µs for "
        "ksoftirqd, the wire brings one frame per its length at 10 Gbit/s; each frame runs through the stack as it "
        "lands (the clock stands still, so no outcome changes)."
    ),
    "xdp.none": "No XDP program on {dev}.",
    "xdp.not_native": (
        "The XDP program on {dev} runs in generic mode: later, once the sk_buff is built and GRO has run."
    ),
    "xdp.pass": "XDP program {prog} ({mode}) returns {action}: the frame goes on to the stack.",
    "xdp.drop": (
        "XDP program {prog} ({mode}) returns {action}: the driver reuses the buffer before any sk_buff exists — the "
        "cheapest drop there is. No sk_buff means no kfree_skb and no drop reason; the driver's XDP counters "
        "(`ethtool -S {dev}`) and the program's own statistics count it."
    ),
    "xdp_generic.pass": (
        "XDP program {prog} ({mode}) returns {action}, but only after the sk_buff was built and GRO ran."
    ),
    "xdp_generic.drop": (
        "XDP program {prog} ({mode}) returns {action}: dropped, but the sk_buff was already built and GRO had run, so "
        "most of XDP's gain is lost. do_xdp_generic() frees it with a plain kfree_skb(): reason NOT_SPECIFIED."
    ),
    "xdp.no_generic": "No generic-mode XDP program.",
    "xdp.aborted": (
        "XDP program {prog} ({mode}) returns {action}: the frame is dropped as by XDP_DROP, and the kernel fires the "
        "xdp:xdp_exception tracepoint — ABORTED means the program hit an error, so watch it with "
        "`perf record -e xdp:xdp_exception`."
    ),
    "xdp.tx": (
        "XDP program {prog} ({mode}) returns {action}: the frame goes straight back out of {out}, the NIC it came in "
        "on, without the stack, netfilter or the qdisc."
    ),
    "xdp.redirect": (
        "XDP program {prog} ({mode}) returns {action}: xdp_do_redirect() hands the frame to {out}'s driver, past the "
        "stack, netfilter and the qdisc."
    ),
    "xdp.redirect_err": (
        "XDP program {prog} ({mode}) returns {action} to {target}, but no such device is up: the redirect fails, "
        "the xdp:xdp_redirect_err tracepoint fires and the frame is freed."
    ),
    "xdp.redirect_xsk": (
        "XDP program {prog} ({mode}) returns {action} through an xskmap: redirected to AF_XDP socket on {out} queue "
        "{queue} (inode {ino}). No sk_buff is built; netfilter, routing and the socket layer never see the frame. "
        "(Modelled: the frame is handed over whole; the real socket's UMEM and its fill/RX rings are not simulated.)"
    ),
    "xdp.xsk_wrong_queue": (
        "XDP program {prog} ({mode}) redirects to the AF_XDP socket bound to {out} queue {queue}, but the frame "
        "came in on {dev} queue {rxq}: xsk_rcv() refuses it (-EINVAL), the redirect fails and the frame is freed."
    ),
    "skb.alloc": (
        "The driver wraps the {len}-byte frame in an sk_buff with {headroom} bytes of headroom; eth_type_trans() then "
        "pulls the Ethernet header."
    ),
    "skb.loopback": "The loopback device hands the sk_buff straight back to the receive path (no NIC, no ring).",
    "lo.no_hardware": "Loopback: no hardware stage.",
    "gro.single": "GRO finds nothing to merge this segment with.",
    "gro.merged": (
        "GRO (napi_gro_receive) merges {n} back-to-back segments of one flow into one {len}-byte skb: the "
        "stack above, and tcpdump on {dev}, see one large packet, not {n}."
    ),
    "gro.lro": (
        "The NIC merged {n} segments itself (LRO, before DMA) into one {len}-byte skb. Unlike GRO it "
        "loses the segment boundaries, so a router or bridge must keep LRO off."
    ),
    "gro.gso_skb": (
        "The {len}-byte send crossed whole: the sending veth had TSO on, so nobody cut it and there is "
        "nothing for GRO to merge (tcpdump on both ends shows one large packet)."
    ),
    "gro.off": "GRO is off on {dev} (`ethtool -K {dev} gro on` turns it on): every segment goes up the stack alone.",
    "gro.sw_csum": (
        "GRO finds nothing to merge. rx-checksumming is off on {dev}, so the CPU verifies the TCP/UDP "
        "checksum here instead of the NIC."
    ),
    "gro.bad_csum": (
        "The checksum is wrong, so it was not marked verified (CHECKSUM_NONE): GRO will not merge it "
        "and passes it up, where the transport checks it again."
    ),
    "offload.tso": (
        "The {len}-byte send reached {dev} as one skb; tcpdump sees it whole, and the NIC cuts it into "
        "{n} segments of at most {mss} bytes (TSO: MSS = MTU - 40) after the taps."
    ),
    "offload.gso": (
        "TSO is off on {dev}, so GSO cuts the {len}-byte skb in software, just before the driver, "
        "into {n} segments of at most {mss} bytes (the last {last}); tcpdump sees the segments."
    ),
    "offload.stack": (
        "{dev} can do neither TSO nor GSO, so TCP itself built {n} segments of at most {mss} bytes "
        "(the last {last}): more work per byte for the CPU."
    ),
    "offload.whole": (
        "{dev} is a veth with TSO on: it hands the whole {len}-byte skb to its peer; nobody ever cuts "
        "it into the {n} segments a NIC would send."
    ),
    "csum.bad_hw": (
        "The {proto} checksum is wrong. The NIC saw it (rx-checksumming on) and did not mark the packet "
        "verified; {proto}'s receive function checks it again and drops it before any socket lookup "
        "(counted in {counter}; no RST, no ICMP)."
    ),
    "csum.bad_sw": (
        "The {proto} checksum is wrong: with no hardware check the CPU verifies it in {proto}'s receive "
        "function and drops the packet before any socket lookup (counted in {counter}; no RST, no ICMP)."
    ),
    "tc.no_ingress_qdisc": "No ingress qdisc on {dev}: tc filters are not consulted. "
    "tcpdump has just seen the frame: what netfilter drops from here on still shows in a capture.",
    "ip_rcv.ok": "ip_rcv() checks the header: version, length {len}, checksum; TTL is {ttl}.",
    "ip_rcv.bad_checksum": "ip_rcv() drops the packet: the IP header checksum is wrong.",
    # netfilter
    "nf.accept": "The chain accepts the packet ({where}).",
    "nf.drop": "The packet is dropped ({where}).",
    "nf.reject": "The packet is rejected ({where}) and answered with {with}.",
    "nf.table_unused": "The {table} table has never been loaded: no hook registered, nothing to test.",
    "ct.new": "conntrack: first packet of a new connection; the entry waits unconfirmed.",
    "ct.established": "conntrack: the packet belongs to a known connection ({dir} direction).",
    "ct.related": "conntrack: an ICMP error about a tracked connection: RELATED.",
    "ct.invalid": "conntrack: the packet fits no connection and cannot start one: INVALID.",
    "ct.untracked": "conntrack: untracked.",
    "ct.notrack": "NOTRACK in the raw table: conntrack skips this packet (state UNTRACKED).",
    "ct.not_loaded": (
        "Connection tracking is not running in this namespace: no rule needs it (no state, conntrack or NAT rule), so "
        "nothing is tracked."
    ),
    "ct.loopback_kept": (
        "Back in over lo, the packet still carries its conntrack entry ({state}): conntrack leaves it as it is."
    ),
    "ct.attached_related": "The answer carries its cause's conntrack entry: RELATED.",
    "ct.table_full": (
        "nf_conntrack: table full ({max} entries), and none could be evicted: conntrack returns NF_DROP (drop reason "
        "NETFILTER_DROP), counts it under drop= in `conntrack -S` and logs \"table full, dropping packet\"."
    ),
    "ct.confirm_none": "Nothing to confirm: no conntrack entry.",
    "ct.already_confirmed": "The connection is already in the table ({state}); nothing to confirm.",
    "ct.confirmed": "conntrack confirms the entry; state {state}.",
    "nat.bound": "nat table consulted for the connection's first packet: {mapping} ({where}).",
    "nat.null_binding": "nat table consulted for the first packet: no NAT rule matched ({where}).",
    "nat.no_chains": (
        "First packet of a new connection, but no nat chain is registered on this hook: conntrack records a null "
        "binding (no translation)."
    ),
    "nat.from_entry": "Not the first packet: the nat table is skipped, the conntrack entry rewrites the packet.",
    "nat.not_first": "Not the first packet of its connection: the nat table is not consulted.",
    "nat.related": "RELATED packet: translated from its connection's NAT entry.",
    "nat.untracked": "Untracked: NAT cannot apply.",
    "nat.range_first_address": (
        "The model takes the first address of a NAT range; the kernel spreads connections over it by hash."
    ),
    # routing
    "route.local": "Routing: {dst} is one of this host's addresses ({type} route in table {table}): deliver locally.",
    "route.forward": "Routing: not for us; route {route} in table {table} sends it out {dev}.",
    "route.forwarding_off": (
        "Routing: not for us, and forwarding is off on {dev} (net.ipv4.ip_forward=0): dropped silently."
    ),
    "route.no_route_no_forward": "Routing: no route ({error}), and forwarding is off: dropped silently.",
    "route.unreachable": "Routing: {type} ({error}): dropped, and the sender is told so by ICMP where the kernel does.",
    "route.martian_source": "Martian source {src}: dropped.",
    "route.martian_destination": "Martian destination {dst}: dropped.",
    "route.martian_local_source": (
        "The source {src} is one of our own addresses arriving from outside: dropped as martian."
    ),
    "route.rp_filter": (
        "Reverse-path filter (rp_filter={mode}): the route back to {src} leaves via {back}, not {dev}: dropped."
    ),
    "route.output": "Output routing: route {route} (table {table}) → device {dev}.",
    "route.out_unreachable": "Output routing: no route ({error}).",
    "route.reroute": "The packet changed in OUTPUT: routed again → {dev}.",
    "forward.ttl": "ip_forward(): TTL is decremented before the FORWARD hook.",
    "forward.redirect_sent": (
        "The packet leaves by the interface it came in on: the sender is told, by an ICMP redirect, to use the next "
        "hop directly."
    ),
    "forward.ttl_exceeded": "ip_forward(): TTL {ttl} would reach 0: dropped, ICMP time exceeded goes back.",
    # transmit
    "send.app": "An application sends this packet ({owner}).",
    "send.stack": "The kernel itself sends this packet.",
    "tx.qdisc": "Queued on {dev}'s {qdisc} qdisc.",
    "tc.noqueue": "{dev} has the noqueue qdisc: no queue at all, the packet goes straight to the driver "
    "(software devices such as veth need none).",
    "tc.queued_wait": "{where} on {dev} holds the packet back: {n} in the queue (limit {limit}{unit}), it leaves in "
    "{wait_ms} ms of simulated time{class_text}.",
    "tc.htb_direct": "No class matched on {dev} and HTB's default class does not exist: the packet goes out on the "
    "direct queue, unshaped (direct_packets_stat counts it).",
    "tc.drop_limit": "{where} on {dev} is full ({n} waiting, limit {limit}{unit}): dropped (QDISC_DROP). "
    "tc -s qdisc counts it under dropped.",
    "tc.drop_loss": "netem on {dev} loses this packet, as its loss setting asks (modelled: every n-th packet, "
    "not at random). Counted as dropped.",
    "tc.drop_too_big": "The packet is larger than tbf's bucket on {dev}: it could never gather enough tokens, so tbf "
    "drops it.",
    "tc.egress_drop": "A clsact egress filter on {dev} (pref {pref}) drops the packet before the qdisc (TC_EGRESS).",
    "tc.bpf_shot": "tc-BPF program {prog} (filter pref {pref}, direct-action) returns TC_ACT_SHOT: the packet is "
                   "dropped at the clsact hook on {dev} (drop reason TC_INGRESS at ingress, TC_EGRESS at egress).",
    "tc.bpf_ok": "tc-BPF program {prog} (filter pref {pref}, direct-action) returns {returned}: the packet goes on. "
                 "(TC_ACT_PIPE ends the walk like TC_ACT_OK here: a da filter has no actions to pipe to.)",
    "tc.bpf_classid": "tc-BPF program {prog} (filter pref {pref}) without direct-action returns {returned}, which "
                      "tc reads as classid {classid}: the filter matches and the packet goes on. Without 'da' a "
                      "TC_ACT_SHOT does not drop.",
    "tc.bpf_redirect": "tc-BPF program {prog} (filter pref {pref}) calls bpf_redirect({target}): TC_ACT_REDIRECT, "
                       "the packet leaves by {out} (modelled: straight to its driver, past its qdisc).",
    "tc.bpf_redirect_err": "tc-BPF program {prog} (filter pref {pref}) redirects to {target}, which is missing or "
                           "down: skb_do_redirect() fails and frees the packet.",
    "tc.ingress_pass": "The {qdisc} qdisc on {dev}: filter pref {pref} matches and lets the packet go on.",
    "tc.ingress_no_match": "The {qdisc} qdisc on {dev}: no filter matches, the packet goes on.",
    "tc.ingress_gact_drop": "The {qdisc} qdisc on {dev}: filter pref {pref} matches, its action is drop (TC_INGRESS).",
    "tc.ingress_police_drop": "The {qdisc} qdisc on {dev}: filter pref {pref} polices the flow and this packet "
    "exceeds the rate: dropped (TC_INGRESS). Policing drops, it never queues.",
    "tc.redirect_dev_down": "Filter pref {pref} on {dev} redirects to {ifb}, which is down or gone: dropped.",
    "tc.ifb_queued": "Filter pref {pref} on {dev} redirects the packet to {ifb}; {ifb}'s qdisc ({where}) queues it "
    "({n} waiting, limit {limit}{unit}) for {wait_ms} ms of simulated time, then ifb hands it back to {dev}'s "
    "receive path.",
    "tc.ifb_drop": "Filter pref {pref} on {dev} redirects the packet to {ifb}, whose qdisc ({where}) is full "
    "({n} waiting, limit {limit}{unit}): dropped (QDISC_DROP). This is ingress shaping with ifb.",
    "tc.note.shaped": "Modelled: the wait is computed on the simulated clock from the shaper's rate and bucket; "
    "the journey is not paused, and busy HTB siblings do not compete for their parent's spare rate.",
    "tc.note.no_nic_timing": "Modelled: a device without a shaper sends as fast as packets come (no NIC timing), "
    "so this queue never builds and fq_codel's CoDel (sojourn-time drops) never acts. Add HTB or TBF to see one.",
    "tx.wire": "The driver puts it in the TX ring; the NIC sends it on the wire from {dev}. "
    "tcpdump sees it here, NAT already applied.",
    "tx.loopback": "Sent on lo: it comes straight back in.",
    # ---- between namespaces: neighbours (ARP), cables, bridges -------------------------------------
    "neigh.arp": (
        "{hop} on {dev} was not in the neighbour table: the kernel broadcasts an ARP request (\"who has {hop}?\"), "
        "namespace {owner} answers \"{hop} is at {mac}\", the entry becomes REACHABLE and the waiting packet leaves."
    ),
    "neigh.cached": "The neighbour table already knows {hop} on {dev}: {mac} ({before}). No ARP needed.",
    "neigh.failed": (
        "Nobody answers the ARP requests for {hop} on {dev} (three, a second apart): the entry becomes FAILED, "
        "the packet is dropped and its sender is told \"host unreachable\"."
    ),
    "tx.cable": "The driver puts the frame on {dev}; at the other end of the link it arrives at {peer} in {ns}.",
    "veth.rx": (
        "{dev} receives the frame its peer sent from {ns}: a veth pair is a cable with no NIC at either end, so "
        "no DMA, no ring and no IRQ; the same sk_buff goes on to the backlog queue."
    ),
    "veth.otherhost": (
        "The frame is for {mac}, not for {dev} ({own}): eth_type_trans() marks it PACKET_OTHERHOST and it is dropped."
    ),
    "bridge.up": (
        "Bridge {bridge} learns that {src} is behind {port}. The frame is for the bridge itself ({mac}), so it goes "
        "up to this namespace's IP stack, arriving on {bridge}."
    ),
    "bridge.fdb": (
        "Bridge {bridge} learns that {src} is behind {port}. Its forwarding database says {mac} is behind {out}: "
        "the frame goes out there, and nowhere else."
    ),
    "bridge.flood": (
        "Bridge {bridge} learns that {src} is behind {port}. {mac} is not in its forwarding database yet, so the "
        "frame is flooded out of every other port ({n}); the journey follows the copy on {out}."
    ),
    "bridge.filtered": "Bridge {bridge}: {mac} is behind the port the frame came in on ({port}); nothing to forward.",
    "bridge.down": "Bridge {bridge} is down: the frame goes nowhere.",
    "bridge.no_port": "Bridge {bridge} has no port up to send the frame for {mac} out of.",
    "bridge.out_fdb": "The frame goes out through bridge {bridge}: its forwarding database has {mac} behind {port}.",
    "bridge.out_flood": (
        "The frame goes out through bridge {bridge}: {mac} is not learned yet, so it leaves by every port ({n}); "
        "the journey follows the copy on {port}."
    ),
    "brnf.call": (
        "br_netfilter (built into this kernel; on a host without the module loaded nothing here would see the frame): "
        "bridge-nf-call-iptables is 1 in this namespace, so the frame {bridge} forwards goes through PREROUTING, "
        "FORWARD and POSTROUTING here, with -i/-o {bridge} and the port ({port}) visible to -m physdev; never INPUT "
        "or OUTPUT."
    ),
    "brnf.off": (
        "net.bridge.bridge-nf-call-iptables is 0 in this namespace: iptables and conntrack here never see the frames "
        "{bridge} forwards."
    ),
    "brnf.dnat_bridged": (
        "DNAT on the bridge: {from} became {to}, which is routed out of {bridge} itself, so the frame stays "
        "bridged, now to {to}'s MAC {mac} (br_nf_pre_routing_finish_bridge)."
    ),
    "brnf.dnat_up": (
        "DNAT on the bridge: {from} became {to}, which is not behind {bridge}: the frame gets {bridge}'s own MAC and "
        "goes up to this namespace's IP stack to be routed (PREROUTING will not run a second time)."
    ),
    "brnf.sabotage": (
        "PREROUTING already ran on the bridge for this frame (from {port}): ip_sabotage_in() skips it here."
    ),
    "link.too_many_hops": "The frame crossed too many namespaces (a loop between bridges?): the simulator stops it.",
    "tx.dev_down": "Device {dev} is down: nothing is sent.",
    # sockets
    "sock.tcp_closed": "No socket listens on TCP port {port}: the kernel answers with a RST (connection refused).",
    "sock.tcp_broadcast": "A TCP segment to a broadcast address: the kernel never answers it (no SYN-ACK, no RST).",
    "sock.rst_no_socket": (
        "A RST for TCP port {port}, but no socket holds this connection: it is dropped. A RST is never answered."
    ),
    "sock.udp_closed": "No socket on UDP port {port}: the kernel answers ICMP port unreachable.",
    "sock.syn_queued": "SYN for {owner}: a request enters the SYN queue ({queued}) and a SYN-ACK goes back.",
    "sock.syncookie": "SYN queue full: answered with a SYN cookie instead of a queue entry ({owner}).",
    "sock.accept_queue_full": (
        "The accept queue is full ({queued} > backlog {backlog}): the SYN is dropped; the client will retry."
    ),
    "sock.accept_queue_full_ack": (
        "The handshake's ACK arrives but the accept queue is full (backlog {backlog}): dropped."
    ),
    "sock.syn_queue_full": "The SYN queue is full and syncookies are off: SYN dropped.",
    "sock.handshake_done": "Handshake complete: the connection moves to {owner}'s accept queue ({queued}/{backlog}).",
    "sock.listener_bad_segment": "A segment for a listening socket that is not a SYN: answered with RST.",
    "sock.bad_ack": "The ACK acknowledges {ack}, but the SYN-ACK's next sequence is {want}: answered with RST.",
    "sock.connected": "The SYN-ACK answers {owner}'s connect(): the connection is established and an ACK goes back.",
    "sock.synsent_bad_segment": "A socket waiting in SYN-SENT gets something other than a SYN-ACK: dropped.",
    "sock.refused": "RST while connecting: {owner}'s connect() fails with ECONNREFUSED (connection refused).",
    "sock.abort_on_data": (
        "{owner} has closed this socket, yet {bytes} bytes of data arrive: the kernel answers with a RST "
        "and the connection is gone."
    ),
    "sock.keepalive_probe": (
        "A keepalive probe (an old sequence number, no data) for {owner}'s socket: answered with an ACK, "
        "so the peer learns we are still here."
    ),
    "sock.rcvbuf_full": (
        "{owner}'s receive buffer is full: {unread} bytes wait unread of the {space} it holds. The "
        "window is closed and the segment is dropped; the ACK repeats the old ack number."
    ),
    "sock.segment": "{bytes} bytes for {owner}'s socket receive queue.",
    "sock.rst_received": "RST received: {owner}'s connection is torn down.",
    "sock.udp_rcvbuf_full": (
        "The receive queue of {owner} already holds {queued} bytes, more than its {rcvbuf}-byte buffer: "
        "the datagram is dropped (UdpRcvbufErrors)."
    ),
    "sock.udp_queued": "Datagram queued on {owner}.",
    "sock.no_protocol": "No handler for this IP protocol.",
    "app.accept": "{app} calls accept(): a new fd for the connection.",
    "app.emfile": (
        "{app} calls accept() and gets EMFILE: all {limit} fds are in use; {queued} connection(s) wait in the queue."
    ),
    "app.not_accepting": "{app} is not calling accept(): the connection waits in the queue.",
    "app.recv": "{app} reads {bytes} bytes with recv().",
    "app.recvfrom": "{app} reads {bytes} bytes with recvfrom().",
    "app.program_wakes": (
        "{app} is blocked in {call} on line {line}: the packet makes fd {fd} ready, so the kernel wakes "
        "the thread, and the call returns (→ follows its calls)."
    ),
    "app.program_busy": (
        "No thread of {app} waits on fd {fd} now: the packet waits in the socket's queue until the "
        "program calls for it."
    ),
    "app.call": "{app}: {call}",
    "app.close": "{app} sees end of file and calls close(): FIN goes back.",
    "app.leak_close_wait": "{app} never calls close() on fd {fd}: the socket stays in CLOSE-WAIT, the fd stays used.",
    "icmp.echo": "ICMP echo request: the kernel answers with an echo reply itself.",
    "icmp.echo_ignored": "icmp_echo_ignore_all=1: no echo reply.",
    "icmp.echo_broadcast_ignored": "icmp_echo_ignore_broadcasts=1: an echo to a broadcast address gets no reply.",
    "icmp.error_to_socket": "ICMP error (type {type}, code {code}) reported to the socket it concerns.",
    "icmp.other": "ICMP type {type} handled by the kernel.",
    # ---- UI strings (netstack_tui/tui) -------------------------------------------------------------
    "ui.key.step": "Step",
    "ui.key.step_back": "Back",
    "ui.key.play": "Play",
    "ui.key.faster": "Faster",
    "ui.key.slower": "Slower",
    "ui.key.first": "Start",
    "ui.key.last": "End",
    "ui.key.next_packet": "Next packet",
    "ui.key.previous_packet": "Previous packet",
    "ui.key.reset": "Reset scenario",
    "ui.key.shell_tab": "Shell",
    "ui.key.cancel_flood": "Cancel flood",
    "ui.key.interrupt": "Interrupt",
    "ui.help.k.restart": "Restart (replay your commands)",
    "ui.key.reply": "Reply",
    "ui.key.summary": "Summary",
    "ui.key.topology": "Topology",
    "ui.key.command": "Command",
    "ui.key.restart": "Restart",
    "ui.key.goal": "Goal",
    "ui.key.scenarios": "Scenarios",
    "ui.key.help": "Help",
    "ui.key.language": "Русский",
    "ui.key.theme": "Theme",
    "ui.key.packet_tab": "Packet",
    "ui.key.quit": "Quit",
    "ui.key.dismiss": "Close",
    "ui.tab.stage": "Stage",
    "ui.tab.packet": "Packet",
    "ui.tab.shell": "Shell",
    "ui.cmd.placeholder": "Type a command: iptables, ip, ss, conntrack, send…  (: focus, Esc leave)",
    "ui.cmd.status": "(exit status {status})",
    "ui.hdr.packet": "packet {n}/{total}: {name}",
    "ui.hdr.reply": "reply {n}/{total}",
    "ui.hdr.step": "step {n}/{total}",
    "ui.hdr.playing": "▶ playing ×{speed}",
    "ui.outcome.passed": "passed",
    "ui.outcome.dropped": "dropped",
    "ui.outcome.skipped": "skipped",
    "ui.outcome.delivered": "delivered",
    "ui.outcome.transmitted": "transmitted",
    "ui.outcome.pending": "not reached yet",
    "ui.legend.passed": "the stage let the packet go on",
    "ui.legend.dropped": "the packet died here (dropped or rejected)",
    "ui.legend.skipped": "the stage did not apply (no program, empty table, not the first packet)",
    "ui.legend.delivered": "handed to a socket or to the kernel itself",
    "ui.legend.transmitted": "put on the wire",
    "ui.legend.pending": "a stage ahead of the packet",
    "ui.outcome.unreached": "not reached",
    "ui.legend.unreached": "a stage on the packet's path it never got to, because it was dropped earlier",
    "ui.param.rule": "rule {n}",
    "ui.param.handle": "handle {n}",
    "ui.param.in_chain": "in chain {chain}",
    "ui.param.policy": "policy",
    "ui.loading.keys": "While it loads: ? help · l language · t theme · o scenarios · q quit. Then → steps the packet.",
    "ui.legend.current": "where the packet is now",
    "ui.legend.changed": "a byte changed since the packet was sent (NAT, TTL, checksum)",
    "ui.where.rule": "{table}/{chain} rule {n}",
    "ui.where.policy": "{table}/{chain} policy",
    "ui.disp.delivered": "Delivered to {to}",
    "ui.disp.forwarded": "Forwarded out of {via}",
    "ui.disp.sent": "Sent out of {via}",
    "ui.disp.dropped": "Dropped at {where} ({reason})",
    "ui.disp.dropped.noreason": "Dropped at {where}",
    "ui.disp.rejected": "Rejected at {where} ({reason})",
    "ui.disp.rejected.noreason": "Rejected at {where}",
    "ui.no_journey": "No packet has been sent yet: press n, or type a 'send' command.",
    "ui.changes": "Changed at this stage:",
    "ui.changed": "The journey changed at step {n} ({stage}): {before} → {after}",
    "ui.verdict_at": "{verdict} at {where}",
    "ui.internal_error": "internal error in the simulator ({error}); it stopped part-way, and the host may be changed",
    "ui.welcome": "→ moves the packet one stage, ← goes back, click a stage to jump · : type a command · ? help",
    "ui.loading": "Loading the walkthrough: setting up the host and sending the first packet…",
    "ui.unchanged_but_others": "This packet's journey did not change, but the fate of {names} did: press n to send it.",
    "ui.no_next_packet": "That was the scenario's last packet ({total} of {total}). Send your own with `send ...`.",
    "ui.reset_done": (
        "Back to the scenario's broken state (your commands are forgotten; ↑ on the command line recalls "
        "them)."
    ),
    "ui.no_reply": "This host sent nothing back for this packet.",
    "ui.no_reply.drop": (
        "No reply: DROP discards the packet silently, so the sender hears nothing and retries until it gives up "
        "(a timeout). REJECT would have answered with a RST or an ICMP error."
    ),
    "ui.quit_confirm": "You typed {n} command(s) here; quitting forgets them. Press q again to quit.",
    "ui.flood.cancel_hint": "Flood running: Esc or Ctrl-C stops it between two packets.",
    "ui.unchanged": "The host changed, but this packet's journey did not.",
    "ui.restarted": "Restarted: setup plus your commands, first packet again.",
    "ui.rule": "rule:",
    "ui.drop_reason": "kernel drop reason: {reason}",
    "ui.analogy": "Picture it:",
    "ui.real": "On a real machine:",
    "ui.end_hint": "End of the journey — s: summary · n: next packet",
    "ui.end_hint_replies": "End of the journey — s: summary · a: follow the replies ({n}) · n: next packet",
    "ui.analogy.veth": (
        "A network namespace is a flat with its own door, phone line and address book; a veth pair is a cable run "
        "between two flats: whatever goes in one end comes out of the other, and nothing else is on it."
    ),
    "ui.analogy.bridge": (
        "A bridge is the building's switch in the stairwell: it remembers which flat each sender's cable comes from, "
        "and passes a letter only to the flat it is for, or to every flat while it does not know yet."
    ),
    "ui.analogy.neigh": (
        "ARP is calling out in the stairwell \"who lives at 10.0.0.2?\": the right neighbour shouts back their "
        "door number (the MAC), and you write it in your address book so you need not ask again for a while."
    ),
    "ui.analogy.path": (
        "A post office: the packet is a letter that is unloaded, checked, sorted and taken to a counter; each stage is "
        "one desk it crosses."
    ),
    "ui.analogy.ring": (
        "The RX ring is the intake shelf: the truck (NIC) drops letters into numbered pigeonholes by itself; the clerk "
        "(CPU) is rung once (IRQ) and then empties the shelf in batches (NAPI)."
    ),
    "ui.analogy.xdp": (
        "XDP is a guard you program yourself, standing on the loading dock before any paperwork exists: turning a "
        "letter away here costs almost nothing."
    ),
    "ui.analogy.skb": (
        "The sk_buff is an envelope with spare room in front (headroom) and behind (tailroom): layers add or strip "
        "headers by moving a pointer, never by copying the letter."
    ),
    "ui.analogy.routing": (
        "The sorting desk: it reads the address, finds the most specific entry in its directory (longest prefix) and "
        "decides — this building, another road, or nowhere."
    ),
    "ui.analogy.netfilter": (
        "Guards at a checkpoint with a checklist: they read the rules top to bottom and act on the first that fits; "
        "when none fits, the checkpoint's standing order (policy) applies."
    ),
    "ui.analogy.nat": (
        "The clerk who rewrites the address on the envelope — only for a conversation's first letter; the rest follow "
        "the note in the logbook (conntrack)."
    ),
    "ui.analogy.conntrack": (
        "The guards' logbook of conversations: once one is written down, its later letters and the answers are "
        "recognised at a glance."
    ),
    "ui.analogy.socket": (
        "A phone socket in a flat: the port is the extension number, the listening program picks up, the fd is the "
        "handset it holds."
    ),
    "ui.analogy.egress": (
        "On the way out the letter waits in the outgoing tray (qdisc) until the van (driver TX ring) takes it to the "
        "road."
    ),
    "ui.ring.head": "RX ring of {dev}: {used} of {size} descriptors in use; NAPI budget {budget} frames per poll",
    "ui.ring.more": "more descriptors not drawn",
    "ui.ring.full": "The ring is full: this frame had no descriptor and was lost (rx_missed_errors).",
    "ui.ring.filled": "◆ slot {slot}: the NIC wrote the frame here by DMA; no CPU work yet.",
    "ui.ring.drained": (
        "◇ slot {slot}: the NAPI poll takes the frame (up to {budget} per poll) and frees the descriptor."
    ),
    "ui.ring.legend": "■ used  □ free  ◆ this frame arriving  ◇ this frame being polled",
    "ui.skb.head": "sk_buff after {op}; skb->data points at the {layer} header",
    "ui.skb.sizes": "headroom {headroom} B · data {data} B · tailroom {tailroom} B",
    "ui.skb.legend": "skb_pull() moves data right (strip a header), skb_push() moves it left (add one): no copying.",
    "ui.chain.match": "match",
    "ui.chain.no_match": "no match",
    "ui.chain.not_reached": "not reached",
    "ui.chain.legend": "✓ matched   ✗ no match (≠ the test that failed)   · not reached",
    "ui.chain.empty": "(no rules)",
    "ui.chain.policy": "No rule decided: the chain's policy {policy} applies.",
    "ui.chain.decided": "Rule {n} of {chain} decided: {target}.",
    "ui.chain.skipped": "This table was not consulted for this packet.",
    "ui.route.empty": "(no routes)",
    "ui.route.result": "result: {result}",
    "ui.route.why": "why: {why}",
    "ui.ct.no_entry": "(no entry: the packet is untracked or the entry is not created yet)",
    "ui.ct.created": "(entry created by this packet, not yet confirmed)",
    "ui.ct.table": "table: {used}/{max} entries",
    "ui.sock.none": "(no socket for this packet)",
    "ui.app.head": "{app} (pid {pid})",
    "ui.app.blocked": "thread {tid}: blocked in {call}",
    "ui.app.running": "thread {tid}: on line {line}",
    "ui.app.done": "thread {tid}: finished",
    "ui.app.exited": "exited with status {status}",
    "ui.app.returned": "returned: {call}",
    "ui.app.events": "epoll last reported: {events}",
    "ui.app.fds": "fd table (ls -l /proc/{pid}/fd, queues as ss shows them)",
    "ui.app.calls": "calls before (strace)",
    "ui.app.legend": "▶ the call · ◀ where a thread is · ● the fd this packet is for",
    "ui.sock.synq": "SYN queue: {n}",
    "ui.sock.acceptq": "accept queue: {n}/{backlog}",
    "ui.sock.fds": "fds: {n}/{limit}",
    "ui.sock.legend": (
        "A listener holds two queues: half-open handshakes (SYN queue) and finished ones waiting for accept()."
    ),
    "ui.xdp.none": "No XDP program on {dev}: nothing runs before the sk_buff is built.",
    "ui.xdp.prog": "XDP program {prog}, mode {mode}",
    "ui.xdp.pyramid": "Where a packet can be stopped, cheapest first:",
    "ui.xdp.p1": "XDP native — in the driver, no sk_buff yet",
    "ui.xdp.p2": "XDP generic — after the sk_buff is built and GRO",
    "ui.xdp.p3": "tc ingress — sk_buff, before netfilter",
    "ui.xdp.p4": "netfilter (iptables/nftables) — hooks in the IP layer",
    "ui.xdp.p5": "the application — after the whole stack",
    "ui.queue.head": "egress qdisc of {dev}: {qdisc}",
    "ui.queue.len": "queue: {n}/{limit} packets",
    "ui.queue.where": "waits in: {where}{class_text}",
    "ui.queue.bytes": "backlog: {bytes} bytes (limit {limit} bytes)",
    "ui.queue.wait": "leaves after {wait_ms} ms (simulated clock)",
    "ui.queue.counters": "tc -s: sent {sent} pkt, dropped {dropped}, overlimits {overlimits}",
    "ui.generic": "This stage keeps no state of its own to show; it models {function}.",
    "ui.pkt.ether": "Ethernet",
    "ui.pkt.payload": "payload",
    "ui.pkt.hex": "Frame bytes ({n})",
    "ui.pkt.changed": "{n} changed",
    "ui.help.title": "netstack-tui — help",
    "ui.help.intro": (
        "A packet travels through a simulated Linux host. The left column is its road, the middle shows the current "
        "stage's state, the right the packet itself; the bottom explains each step and names the real command that "
        "shows the same thing. Type real commands (iptables, ip, ss, sysctl…) on the command line: if they change the "
        "host, the same packet is sent again and the screen shows what changed."
    ),
    "ui.help.keys": "Keys",
    "ui.help.legend": "Symbols",
    "ui.help.glossary": "Stages",
    "ui.help.k.step": "step forward / back (or click a stage)",
    "ui.help.k.jump": "first / last step",
    "ui.help.k.play": "play or pause; faster / slower",
    "ui.help.k.reply": "follow the host's reply (SYN-ACK, RST, ICMP), then back",
    "ui.help.k.command": "go to the command line",
    "ui.help.k.history": "on the command line: history, completion",
    "ui.help.k.escape": "leave the command line; close a window",
    "ui.help.k.packet": "show the packet tab (narrow terminals)",
    "ui.grouphead.link": "link",
    "ui.group.link": "a frame arriving from a veth peer: no NIC, no ring, no IRQ; the sender's skb crosses over",
    "ui.pipeline.root": "host (root ns)",
    "ui.pipeline.host_tip": (
        "The packet is in namespace {host}: the stages below run on that namespace's devices, routes, rules "
        "and sockets."
    ),
    "ui.topo.title": "Topology",
    "ui.topo.count": "{n} namespaces",
    "ui.topo.selected": "selected: {ns}",
    "ui.topo.no_journey": "No journey yet: send a packet to see where it goes.",
    "ui.topo.died": "dropped at",
    "ui.topo.path": "path:",
    "ui.topo.ends": "✗ it dies in {ns}",
    "ui.topo.wire": "wire",
    "ui.topo.legend.here": "packet",
    "ui.topo.legend.dead": "dropped here",
    "ui.topo.legend.hop": "cable crossed",
    "ui.topo.legend.updown": "up/down",
    "ui.topo.legend.bridge": "bridge",
    "ui.topo.legend.selected": "selected",
    "ui.topo.details.title": "Namespace {ns}",
    "ui.topo.details.routes": "Routes",
    "ui.topo.details.iptables": "iptables counters",
    "ui.topo.details.neigh": "Neighbours (ARP)",
    "ui.topo.details.sockets": "Sockets",
    "ui.topo.details.gone": "Namespace {ns} no longer exists.",
    "ui.topo.ipt.policy": "policy {policy} ({pkts} pkts)",
    "ui.topo.ipt.rules": "{n} rules matched {pkts} pkts",
    "ui.topo.ipt.none": "no rules; every policy ACCEPT",
    "ui.topo.key.step": "Step",
    "ui.topo.key.step_back": "Back",
    "ui.topo.key.select_next": "Next",
    "ui.topo.key.select_previous": "Previous",
    "ui.topo.key.details": "Details",
    "ui.topo.key.compact": "Compact",
    "ui.topo.key.first": "Start",
    "ui.topo.key.last": "End",
    "ui.topo.key.page_up": "Page up",
    "ui.topo.key.page_down": "Page down",
    "ui.topo.key.commands_here": "Commands here",
    "ui.topo.commands_hint": "x: type commands in {ns}",
    "ui.cmd.entered": "Commands now run in namespace {ns} (the prompt says {ns}#); `exit` goes back to the root.",
    "ui.cmd.entered_root": "Commands now run in the root namespace.",
    "ui.cmd.no_namespace": "There is no namespace {ns} any more.",
    "ui.topo.key.close": "Close",
    "ui.strip.label": "Path:",
    "ui.strip.short.routing": "route",
    "ui.strip.short.socket": "sock",
    "ui.grouphead.bridge": "bridge",
    "ui.strip.short.bridge": "br",
    "ui.grouphead.routing": "routing",
    "ui.grouphead.socket": "socket",
    "ui.group.NIC": (
        "the network card and driver: MAC filter, DMA into the RX ring, the interrupt and NAPI polling, native XDP"
    ),
    "ui.group.skb": "the kernel's packet buffer is built; GRO, generic XDP and tc ingress run on it",
    "ui.group.IP": "ip_rcv() checks the IP header before anything else sees it",
    "ui.group.PREROUTING": "the first netfilter hook, before routing: raw, conntrack, mangle, nat (DNAT)",
    "ui.group.routing": "the routing decision: for this host, to forward, or no route",
    "ui.group.INPUT": "netfilter for packets addressed to this host: mangle, filter, security, nat; conntrack confirms",
    "ui.group.socket": "the socket lookup and the application that reads",
    "ui.group.FORWARD": "packets routed through this host: TTL decrement, mangle, filter",
    "ui.group.OUTPUT": "locally generated packets: routing, then raw, conntrack, mangle, nat, filter",
    "ui.group.POSTROUTING": (
        "the last netfilter hook before the wire: mangle, nat (SNAT/MASQUERADE), conntrack confirms"
    ),
    "ui.group.TX": "the egress queue discipline and the driver's TX ring",
    "ui.sum.title": "Packet trace (in the style of packet-tracer)",
    "ui.sum.result": "Result:",
    "ui.sum.no_nat": "none",
    "ui.sum.replies": "The host answered with {n} packet(s):",
    "ui.pick.title": "Scenarios",
    "ui.pick.filter": "Filter by title, topic or level…",
    "ui.summary.close": "Esc, s or q: close",
    "ui.sum.host": "Namespace: {host}",
    "ui.export.what.svg": "the screen (SVG)",
    "ui.export.what.pcap": "the journey's {n} frames (pcapng, for Wireshark)",
    "ui.export.what.json": "the journey (JSON trace)",
    "ui.export.what.summary": "the summary (text)",
    "ui.export.saved": "Saved {what}: {path}",
    "ui.export.sent": "Sent {what} to your browser: {name}",
    "ui.export.refused": "Not saved: a served explorer never writes to the server's disk, and this connection cannot "
    "send files to your browser",
    "ui.export.failed": "Could not save {what} in {dir}: {error}",
    "ui.export.nothing": "Nothing to export yet: no journey has been sent",
    "ui.help.k.export_svg": "save the screen as an SVG picture (in the export directory)",
    "ui.help.k.export_pcap": "save the journey's frames as a pcapng capture for Wireshark",
    "ui.help.k.export_json": "save the journey as the JSON trace",
    "ui.help.k.export_summary": "save the summary (s) as text",
    "ui.pick.hint": "Type to filter · ↑↓: choose · Enter: open · Esc: back · the id column is what --scenario takes",
    "ui.pick.col.title": "Scenario",
    "ui.pick.col.level": "Level",
    "ui.pick.col.topics": "Topics",
    "ui.pick.col.progress": "Progress",
    "ui.level.beginner": "beginner",
    "ui.level.intermediate": "intermediate",
    "ui.level.advanced": "advanced",
    "ui.progress.new": "new",
    "ui.progress.in_progress": "in progress",
    "ui.progress.solved": "solved",
    "ui.goal.symptom": "What you see",
    "ui.goal.keys": "h: next hint · Esc: back to the packet",
    "ui.goal.goal": "Goal",
    "ui.goal.reached": "Goal reached!",
    "ui.goal.reached_toast": "Goal reached! Press g for the recap.",
    "ui.goal.hints": "Hints ({used} of {total} shown)",
    "ui.goal.more": "Press h for the next hint.",
    "ui.goal.solution": "Solution",
    "ui.setup_errors": "Some setup lines failed",
    "ui.theme_now": "Theme: {theme}",
    # Stage labels (the pipeline, titles, help); the kernel's own labels are the English ones.
    "stage.nic": "NIC",
    "stage.dma": "DMA → RX ring",
    "stage.napi": "IRQ → NAPI poll",
    "stage.xdp": "XDP (native)",
    "stage.skb": "sk_buff alloc",
    "stage.xdp_generic": "XDP (generic)",
    "stage.gro": "GRO",
    "stage.tc_ingress": "tc ingress",
    "stage.veth": "veth: from the peer",
    "stage.bridge": "bridge",
    "stage.neigh": "neighbour (ARP)",
    "stage.bridge.prerouting.raw": "raw (bridged)",
    "stage.bridge.prerouting.conntrack": "conntrack (bridged)",
    "stage.bridge.prerouting.mangle": "mangle (bridged)",
    "stage.bridge.prerouting.nat": "nat (bridged)",
    "stage.bridge.forward.mangle": "mangle (bridged)",
    "stage.bridge.forward.filter": "filter (bridged)",
    "stage.bridge.forward.security": "security (bridged)",
    "stage.bridge.postrouting.mangle": "mangle (bridged)",
    "stage.bridge.postrouting.nat": "nat (bridged)",
    "stage.bridge.postrouting.confirm": "conntrack confirm (bridged)",
    "stage.ip_rcv": "ip_rcv checks",
    "stage.prerouting.raw": "raw",
    "stage.prerouting.conntrack": "conntrack",
    "stage.prerouting.mangle": "mangle",
    "stage.prerouting.nat": "nat",
    "stage.route_input": "routing decision",
    "stage.input.mangle": "mangle",
    "stage.input.filter": "filter",
    "stage.input.nat": "nat",
    "stage.input.security": "security",
    "stage.input.confirm": "conntrack confirm",
    "stage.socket": "socket lookup",
    "stage.app": "application",
    "stage.ip_forward": "ip_forward",
    "stage.forward.mangle": "mangle",
    "stage.forward.filter": "filter",
    "stage.forward.security": "security",
    "stage.send": "app / stack sends",
    "stage.route_output": "routing (output)",
    "stage.output.raw": "raw",
    "stage.output.conntrack": "conntrack",
    "stage.output.mangle": "mangle",
    "stage.output.nat": "nat",
    "stage.output.filter": "filter",
    "stage.output.security": "security",
    "stage.reroute": "reroute",
    "stage.postrouting.mangle": "mangle",
    "stage.postrouting.nat": "nat",
    "stage.postrouting.confirm": "conntrack confirm",
    "stage.qdisc": "egress qdisc",
    "stage.tx": "driver TX ring",
    # Scenario checks, as the goal and hint lists read them
    'goal.not': 'not: {inner}',
    'goal.after': ' (after: {commands})',
    'goal.delivered': 'packet {packet} is delivered',
    'goal.to': ' to {where}',
    'goal.dropped': 'packet {packet} is dropped',
    'goal.rejected': 'packet {packet} is rejected',
    'goal.at': ' at {where}',
    'goal.reason': ' ({reason})',
    'goal.forwarded': 'packet {packet} is forwarded',
    'goal.sent': 'packet {packet} is sent',
    'goal.dst': ' to {addr}',
    'goal.via': ' via {dev}',
    'goal.from': ' from {addr}',
    'goal.replies.none': 'packet {packet} gets no answer',
    'goal.replies.any': 'packet {packet} gets an answer',
    'goal.replies': 'packet {packet} is answered with {answer}',
    'goal.visits': 'packet {packet} passes stage {stage}{verdict}',
    'goal.cost_below': 'packet {packet} costs less than {ns} ns',
    'goal.cost_above': 'packet {packet} costs at least {ns} ns',
    'goal.sysctl': '`{key}` is {value}',
    'goal.listening': 'something{who} listens on {proto} port {port}',
    'goal.in': ' in {ns}',
    'goal.root.from': 'the host',
    'goal.root.in': 'the host',
    'goal.ping.reply': '`ping {to}` from {where} gets a reply',
    'goal.ping.none': '`ping {to}` from {where} gets no reply',
    'goal.ping.says': ' (ping says "{text}")',
    'goal.connection': 'a connection from {where} to {to} is held by {who} in {ns}',
    'goal.connection.any': 'the listener',
    'goal.bind.ok': 'a new {proto} socket in {ns} can bind {addr}',
    'goal.bind.error': 'binding {addr} ({proto}) in {ns} fails with {error}',
    'goal.command_succeeds': '`{command}` succeeds',
    'goal.command_fails': '`{command}` fails',
    'goal.output_contains': '`{command}` shows "{text}"',
    'goal.output_lacks': '`{command}` does not show "{text}"',
    'goal.rule': 'rule {index} of {table} {chain} is {what}',
    'goal.policy': 'the policy of {table} {chain} is {target}',
    'goal.conntrack_count_below': 'conntrack holds fewer than {n} entries',
    'goal.conntrack_count_at_least': 'conntrack holds at least {n} entries',
    'goal.dmesg_contains': 'dmesg shows "{text}"',
    'goal.job_ran': 'the at job `{text}` has run',
    'goal.followed.all': "every packet's journey followed to its end (→ to the last step, n for the next packet)",
    'goal.followed': 'the journeys of {packets} followed to their end',
    'goal.process': 'process {app} {parts}',
    'goal.process.and': ' and ',
    'goal.process.running': 'is running',
    'goal.process.exited': 'has exited',
    'goal.process.fds_below': 'has fewer than {n} open fds',
    'goal.process.nofile_at_least': 'may open at least {n} fds',
}
