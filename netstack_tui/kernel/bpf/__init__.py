"""Programmable XDP: a small C-like language, its verifier, maps and an interpreter.

A program is a text file the learner writes:

    map hash counts(key u32, value u64, max_entries 1024);

    xdp guard {
        if (data + 34 > data_end)        // Ethernet (14) + IPv4 (20) present?
            return XDP_PASS;
        u32 src = ip.saddr;
        u64 *seen = counts.lookup(src);  // NULL when src is new
        if (seen == NULL) {
            counts.update(src, 1);
            return XDP_PASS;
        }
        *seen += 1;
        if (*seen > 100)
            return XDP_DROP;
        return XDP_PASS;
    }

The same language writes a tc program (BPF_PROG_TYPE_SCHED_CLS, attached with `tc filter add dev
DEV ingress|egress bpf da obj FILE sec tc`): the function is `tc NAME { ... }` (or `classifier NAME`,
iproute2's default section), it sees the same frame from the Ethernet header, and it returns
TC_ACT_OK, TC_ACT_SHOT, TC_ACT_PIPE, TC_ACT_UNSPEC or `redirect("DEV")` (see `kernel.tc.bpf`).

Modules: `lexer` (tokens), `parser` (syntax tree in `nodes`), `verifier` (the kernel's checks),
`maps` (hash and array maps), `interpreter` (one run over one frame), `loader` (all of it, worded as
libbpf words it). Packet fields read in host byte order (the language applies bpf_ntohs/bpf_ntohl).
"""
