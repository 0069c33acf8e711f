"""nftables: the ruleset model, the `nft` language (lexer, parser, printer) and base chain traversal.

`model` holds tables, chains and rules; `parse` turns `nft` text into commands and rules; `listing`
prints them back as nft 1.0.x does; `evaluate` runs one base chain for one packet; `command` applies
parsed commands to a host's ruleset. The stack runs base chains at the hooks (`kernel.hooks`).
"""
