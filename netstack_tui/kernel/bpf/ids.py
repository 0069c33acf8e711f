"""Map ids: the kernel numbers maps from its own counter (map_idr), apart from program ids."""

from __future__ import annotations


def next_map_id(host: object) -> int:
    """The next map id on `host`'s kernel (kept on the host, so a copied host keeps counting)."""
    current = int(getattr(host, "bpf_last_map_id", 0)) + 1
    setattr(host, "bpf_last_map_id", current)  # noqa: B010 - Host (kernel/host.py) is not ours to extend
    return current
