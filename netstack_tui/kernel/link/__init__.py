"""Layer 2 between namespaces: what carries a frame from one host to the next.

`cable` follows a frame out of a device to wherever it lands (a veth's peer, the uplink's far end,
through any bridges on the way); `bridge` is the Linux bridge's forwarding database and decision;
`neigh` is the neighbour table and ARP, which must know a next hop's MAC before a frame can leave.
"""
