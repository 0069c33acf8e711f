"""`ip neigh`: the neighbour table (see `kernel.link.neigh`)."""

from __future__ import annotations

from ...kernel.addr import AddressError, format_ipv4, parse_mac
from ...kernel.host import Host
from ...kernel.link import neigh
from ...kernel.link.tables import Neighbour
from ..base import CommandError, CommandResult
from .common import Options, device, ext_error, ipv4_arg, not_simulated, rtnl, sub_command

# ---- ip neigh -----------------------------------------------------------------------------------


def ip_neigh(host: Host, opts: Options, args: list[str]) -> CommandResult:
    """`ip neigh show|add|replace|change|del|flush`."""
    sub, rest = sub_command(
        args, "show", ("show", "list", "lst", "add", "replace", "change", "delete", "flush", "get", "help"), "neigh"
    )
    if sub in ("show", "list", "lst"):
        dev = rest[1] if rest[:1] == ["dev"] and len(rest) == 2 else None
        if rest and dev is None:
            raise not_simulated("neigh show " + rest[0])
        lines = []
        for (addr, name), _ in reversed(list(host.neighbours.items())):
            found = neigh.entry(host, addr, name)
            if found is None or (dev is not None and name != dev):
                continue
            lladdr = f" lladdr {found.mac}" if found.mac is not None else ""
            lines.append(f"{format_ipv4(addr)} dev {name}{lladdr} {found.state} ")
        return CommandResult("\n".join(lines))
    if sub in ("add", "replace", "change"):
        return _neigh_add(host, sub, rest)
    if sub == "delete":
        return _neigh_del(host, rest)
    if sub == "flush":
        dev = rest[1] if rest[:1] == ["dev"] and len(rest) == 2 else None
        for key in [k for k in host.neighbours if dev is None or k[1] == dev]:
            del host.neighbours[key]
        return CommandResult(changed=True)
    raise not_simulated(f"neigh {sub}")


def _neigh_args(args: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        word, value = args[i], args[i + 1] if i + 1 < len(args) else None
        if word in ("lladdr", "dev", "nud") and value is not None:
            out[word] = value
            i += 2
        elif word in ("proxy", "router", "extern_learn", "protocol"):
            raise not_simulated(f"neigh {word}")
        elif "addr" not in out:
            out["addr"], i = word, i + 1
        else:
            raise CommandError(f'Error: either "to" is duplicate, or "{word}" is a garbage.', 255)
    return out


def _neigh_add(host: Host, sub: str, args: list[str]) -> CommandResult:
    fields = _neigh_args(args)
    if "addr" not in fields or "dev" not in fields:
        raise CommandError("Device and destination are required arguments.", 255)
    addr = ipv4_arg(fields["addr"])
    if "lladdr" not in fields:
        raise ext_error("No link layer address given")
    try:
        mac = parse_mac(fields["lladdr"])
    except AddressError:
        raise CommandError(f'"{fields["lladdr"]}" is invalid lladdr.', 1) from None
    device(host, fields["dev"])
    key = (addr, fields["dev"])
    if sub == "add" and key in host.neighbours:
        raise rtnl("File exists")
    if sub == "change" and key not in host.neighbours:
        raise rtnl("No such file or directory")
    state = fields.get("nud", "permanent").upper()
    if state not in ("PERMANENT", "REACHABLE", "STALE", "NOARP", "DELAY", "PROBE", "NONE", "INCOMPLETE", "FAILED"):
        raise CommandError(f'Error: argument "{fields["nud"]}" is wrong: nud state is bad', 255)
    host.neighbours[key] = Neighbour(mac, state, host.clock)
    return CommandResult(changed=True)


def _neigh_del(host: Host, args: list[str]) -> CommandResult:
    fields = _neigh_args(args)
    if "addr" not in fields or "dev" not in fields:
        raise CommandError("Device and destination are required arguments.", 255)
    device(host, fields["dev"])
    key = (ipv4_arg(fields["addr"]), fields["dev"])
    if key not in host.neighbours:
        raise rtnl("No such file or directory")
    del host.neighbours[key]
    return CommandResult(changed=True)
