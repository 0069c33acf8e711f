"""One iptables rule: the IP header part, its matches and its target, and how it prints.

`Rule.spec` is the canonical text after `-A CHAIN` exactly as `iptables -S` / iptables-save print
it (nf_tables backend order: -s -d -i -o -p -f, then each `-m`, then `-j`/`-g`), and `Rule.row`
gives the columns `iptables -L` prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from .extension import Match
from .targets import Target
from .values import format_address_mask, proto_save_name

STANDARD_VERDICTS = ("ACCEPT", "DROP", "RETURN")
"""Verdicts that need no target extension."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed rule; equality of `spec` is what `iptables -D` and `-C` compare."""

    src: int = 0
    src_mask: int = 0
    src_inv: bool = False
    dst: int = 0
    dst_mask: int = 0
    dst_inv: bool = False
    iif: str = ""
    iif_inv: bool = False
    oif: str = ""
    oif_inv: bool = False
    proto: int = 0
    proto_inv: bool = False
    fragment: bool | None = None
    """None: not given; True: `-f`; False: `! -f`."""
    matches: tuple[Match, ...] = ()
    target: Target | None = None
    """A target extension (REJECT, LOG, DNAT, ...)."""
    verdict: str = ""
    """ACCEPT, DROP, RETURN or a user chain name, when there is no target extension."""
    goto: bool = False

    @property
    def target_name(self) -> str:
        """What the target column shows: the extension or verdict name ('' when there is none)."""
        return self.target.name if self.target is not None else self.verdict

    @property
    def spec(self) -> str:
        """The rule as iptables-save prints it after `-A CHAIN` (no leading space)."""
        parts: list[str] = []
        if self.src_mask or self.src_inv:
            parts.append(f"{'! ' if self.src_inv else ''}-s {format_address_mask(self.src, self.src_mask)}")
        if self.dst_mask or self.dst_inv:
            parts.append(f"{'! ' if self.dst_inv else ''}-d {format_address_mask(self.dst, self.dst_mask)}")
        if self.iif:
            parts.append(f"{'! ' if self.iif_inv else ''}-i {self.iif}")
        if self.oif:
            parts.append(f"{'! ' if self.oif_inv else ''}-o {self.oif}")
        if self.proto or self.proto_inv:
            parts.append(f"{'! ' if self.proto_inv else ''}-p {proto_save_name(self.proto)}")
        if self.fragment is not None:
            parts.append("-f" if self.fragment else "! -f")
        text = " ".join(parts)
        for match in self.matches:
            text += f" -m {match.name}{match.save()}"
        if self.target is not None:
            text += f" -j {self.target.name}{self.target.save()}"
        elif self.verdict:
            text += f" {'-g' if self.goto else '-j'} {self.verdict}"
        return text.strip()

    def row(self, numeric: bool) -> tuple[str, str, str, str, str, str, str, str]:
        """`iptables -L` columns: target, prot (with `!`), opt, in, out, source, destination, extras."""
        if numeric:
            prot = str(self.proto)
        else:
            prot = proto_save_name(self.proto) if self.proto else "all"
        prot = ("!" if self.proto_inv else " ") + prot
        opt = ("!" if self.fragment is False else "-") + ("f" if self.fragment is not None else "-")
        any_if = "*" if numeric else "any"
        iif = ("!" if self.iif_inv else "") + (self.iif or any_if)
        oif = ("!" if self.oif_inv else "") + (self.oif or any_if)
        src = ("!" if self.src_inv else " ") + _address(self.src, self.src_mask, numeric)
        dst = ("!" if self.dst_inv else " ") + _address(self.dst, self.dst_mask, numeric)
        extra = "[goto] " if self.goto else ""
        extra += "".join(m.listing(numeric) for m in self.matches)
        if self.target is not None:
            extra += self.target.listing(numeric)
        name = self.target.list_name if self.target is not None else self.verdict
        return name, prot, opt, iif, oif, src, dst, extra


def _address(addr: int, mask: int, numeric: bool) -> str:
    if mask == 0 and not numeric:
        return "anywhere"
    return format_address_mask(addr, mask, save=False)
