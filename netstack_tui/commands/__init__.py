"""The shell: real Linux command lines turned into changes of the simulated host, answered in the
real tools' own layouts (iptables, nft, ip, sysctl, ss, conntrack, ...), plus the simulator verbs."""
