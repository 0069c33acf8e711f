"""`nft` (nftables 1.0.6): commands on the command line or from `-f FILE` (`-f -`: stdin), `-a` for handles,
`-c` to check.

The work happens in `netstack_tui.kernel.nftables.command`; this module reads options and files.
Like the real tool, the words of a command line are joined with spaces and parsed again, so
`\\;`, `{ 80, 443 }` and a quoted `'{ type filter hook input priority 0; }'` work as they do in
bash. One leniency: a word after `prefix` or `comment` that still holds spaces (the shell removed
its quotes, as in `log prefix "dropped: "`) is quoted again, where real nft would report a syntax
error.

The iptables-nft tables (`host.iptables`) are listed beside nft's own, as on a real host; see
`netstack_tui.kernel.nftables.xtview` for what nft may change in them.
"""

from __future__ import annotations

from ..kernel.hooks import registered_now
from ..kernel.nftables.command import Env, run_text
from ..kernel.nftables.values import NftError
from ..kernel.nftables.xtview import claim
from .base import CommandError, CommandResult, Handler, ShellContext

VERSION = "nftables v1.0.6 (Lester Gooch #5)"
_NOT_SIMULATED = {"-j": "JSON output", "--json": "JSON output", "-i": "interactive mode", "--interactive":
                  "interactive mode", "-e": "echo", "--echo": "echo", "-s": "stateless listing",
                  "--stateless": "stateless listing", "-I": "include paths", "--includepath": "include paths",
                  "-d": "debug output", "--debug": "debug output", "-t": "terse listing", "--terse": "terse listing"}
_IGNORED = {"-n", "-nn", "-nnn", "--numeric", "-N", "--reversedns", "-S", "--service", "-y", "--numeric-priority",
            "-p", "--numeric-protocol", "-T", "--numeric-time", "-u", "--guid"}


_QUOTED_AFTER = ("prefix", "comment")
"""Keywords whose string argument is quoted again when the shell removed its quotes."""


def join_argv(words: list[str]) -> str:
    """nft's own argv handling: the words joined with spaces, to be parsed as one command line."""
    out = []
    for index, word in enumerate(words):
        bare = (" " in word or "\t" in word) and not word.startswith('"')
        out.append(f'"{word}"' if bare and index and words[index - 1] in _QUOTED_AFTER else word)
    return " ".join(out)


def nft(ctx: ShellContext, argv: list[str]) -> CommandResult:
    """`nft [-a] [-c] [-f FILE | COMMAND...]`: change or list the host's nftables ruleset."""
    args = argv[1:]
    handles = check = False
    path: str | None = None
    while args and args[0].startswith("-") and not args[0].lstrip("-").isdigit():
        opt = args.pop(0)
        if opt == "--":
            break
        if opt in ("-a", "--handle"):
            handles = True
        elif opt in ("-c", "--check"):
            check = True
        elif opt in ("-f", "--file"):
            if not args:
                raise CommandError("nft: option requires an argument -- 'f'")
            path = args.pop(0)
        elif opt.startswith("--file="):
            path = opt.partition("=")[2]
        elif opt in ("-v", "--version"):
            return CommandResult(VERSION)
        elif opt in ("-h", "--help"):
            return CommandResult("Usage: nft [ options ] [ cmds... ]  (simulated: -a -c -f FILE, add/insert/replace/"
                                 "delete/flush/list of tables, chains and rules)")
        elif opt in _IGNORED:
            continue
        elif opt in _NOT_SIMULATED:
            raise CommandError(f"nft: option {opt} ({_NOT_SIMULATED[opt]}) is not simulated here")
        elif len(opt) > 2 and opt[1] != "-" and all(f"-{c}" in ("-a", "-c", "-n") for c in opt[1:]):
            handles |= "a" in opt
            check |= "c" in opt
        else:
            raise CommandError(f"nft: unrecognized option '{opt}'")
    if path is not None:
        if args:
            raise CommandError("Error: syntax error, options and commands cannot be combined with -f")
        if path == "-":  # nft reads the file from standard input and names it so in errors
            text, source = ctx.stdin or "", "/dev/stdin"
        else:
            from .userland import read_input_file

            text, source = read_input_file(path), path
    elif args:
        text, source = join_argv(args), None
    else:
        raise CommandError("nft: no command specified")
    host = ctx.host
    claim(host.nft, host.iptables)
    target, xt = host.nft, host.iptables
    if check:
        import copy

        target, xt = copy.deepcopy(host.nft), copy.deepcopy(host.iptables)
    env = Env(ifaces=set(host.interfaces), registered=lambda: registered_now(host), handles=handles, xt=xt)
    try:
        output = run_text(target, text, env, source=source)
    except NftError as exc:
        raise CommandError(exc.message) from None
    listing = source is None and args[0] == "list"
    stderr = "\n".join(env.warnings)
    return CommandResult(output=output, changed=not (listing or check), stderr=stderr)


COMMANDS: dict[str, Handler] = {"nft": nft}
"""Command names this module answers."""
