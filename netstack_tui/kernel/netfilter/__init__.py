"""Netfilter: iptables tables, chains, rules, matches and targets."""
