"""`ip addr add|del|flush|show`."""

from __future__ import annotations

from ...kernel.host import Host
from ..base import CommandError, CommandResult
from .common import Options, device, ext_error, not_simulated, parse_addr_prefix, sub_command
from .show import show_addrs

# ---- ip addr ------------------------------------------------------------------------------------


def ip_addr(host: Host, opts: Options, args: list[str]) -> CommandResult:
    """`ip addr show|add|del|flush`."""
    sub, rest = sub_command(
        args,
        "show",
        ("show", "list", "lst", "add", "delete", "flush", "change", "replace", "save", "restore", "showdump", "help"),
        "address",
    )
    if sub in ("show", "list", "lst"):
        return CommandResult(show_addrs(host, opts, rest))
    if sub == "add":
        return _addr_add(host, rest)
    if sub == "delete":
        return _addr_del(host, rest)
    if sub == "flush":
        return _addr_flush(host, rest)
    raise not_simulated(f"addr {sub}")


def _addr_args(args: list[str]) -> tuple[str | None, str | None, str]:
    prefix, dev, scope = None, None, "global"
    i = 0
    while i < len(args):
        word = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        if word == "dev" and value is not None:
            dev = value
        elif word == "scope" and value is not None:
            scope = value
        elif word in ("local",) and value is not None:
            prefix = value
        elif word in ("brd", "broadcast", "label", "peer", "valid_lft", "preferred_lft", "metric", "noprefixroute"):
            raise not_simulated(f"addr {word}")
        elif prefix is None:
            prefix, i = word, i + 1
            continue
        else:
            raise CommandError(f'Error: either "local" is duplicate, or "{word}" is a garbage.', 255)
        i += 2
    return prefix, dev, scope


def _required(args: list[str]) -> tuple[str, str, str]:
    """PREFIX, DEV and scope of `ip addr add|del`, both of the first two being required."""
    prefix, dev, scope = _addr_args(args)
    if dev is None:
        raise CommandError('Not enough information: "dev" argument is required.', 1)
    if prefix is None:
        raise CommandError("Not enough information: address is required.", 1)
    return prefix, dev, scope


def _addr_add(host: Host, args: list[str]) -> CommandResult:
    prefix, dev, scope = _required(args)
    addr, plen = parse_addr_prefix(prefix)
    iface = device(host, dev)
    if any(a.addr == addr and a.prefixlen == plen for a in iface.addresses):
        raise ext_error("ipv4: Address already assigned")
    host.add_address(dev, addr, plen, scope=scope)
    return CommandResult(changed=True)


def _addr_del(host: Host, args: list[str]) -> CommandResult:
    prefix, dev, _ = _required(args)
    addr, plen = parse_addr_prefix(prefix)
    iface = device(host, dev)
    found = [a for a in iface.addresses if a.addr == addr and (a.prefixlen == plen or "/" not in prefix)]
    if not found:
        raise ext_error("ipv4: Address not found")
    host.delete_address(dev, found[0].addr, found[0].prefixlen)
    return CommandResult(changed=True)


def _addr_flush(host: Host, args: list[str]) -> CommandResult:
    if len(args) != 2 or args[0] != "dev":
        raise CommandError("Flush requires arguments.", 1) if not args else not_simulated("addr flush " + args[0])
    iface = device(host, args[1])
    for address in list(iface.addresses):
        host.delete_address(iface.name, address.addr, address.prefixlen)
    return CommandResult(changed=True)
