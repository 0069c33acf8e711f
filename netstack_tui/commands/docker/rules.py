"""The iptables commands Docker Engine 28.2.2 runs, in its order and with its arguments.

Transcribed from moby v28.2.2, libnetwork/drivers/bridge/internal/iptabler/ (iptabler.go: the chains
at daemon start; network.go: per bridge network; endpoint.go: per container; port.go: per published
port) and libnetwork/firewall_linux.go (DOCKER-USER). Each function returns argv lists for `iptables`
exactly as the daemon passes them (`-I`/`-A`/`-D`), so the simulated iptables parses and prints
them as the real one does (`-p tcp --dport` gains `-m tcp`, `-d 0/0` disappears). The defaults of
a stock daemon are assumed: userland proxy on (no hairpin NAT), ICC on, IPv4 only, no direct routing,
raw rules enabled.
"""

from __future__ import annotations

Argv = list[str]

CHAINS_FILTER = ("DOCKER", "DOCKER-FORWARD", "DOCKER-BRIDGE", "DOCKER-CT",
                 "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2")


def daemon_start() -> list[Argv]:
    """setupIPChains, then setupUserChain: the chains and the jumps into them."""
    argvs: list[Argv] = [["-t", "nat", "-N", "DOCKER"]]
    argvs += [["-t", "filter", "-N", chain] for chain in CHAINS_FILTER]
    argvs += [
        ["-t", "nat", "-A", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER"],
        ["-t", "nat", "-A", "OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER",
         "!", "--dst", "127.0.0.0/8"],
        # EnsureJumpRule inserts at the top: the last one inserted ends up first.
        ["-I", "FORWARD", "-j", "DOCKER-FORWARD"],
        ["-I", "DOCKER-FORWARD", "-j", "DOCKER-BRIDGE"],
        ["-I", "DOCKER-FORWARD", "-j", "DOCKER-ISOLATION-STAGE-1"],
        ["-I", "DOCKER-FORWARD", "-j", "DOCKER-CT"],
        ["-t", "filter", "-N", "DOCKER-USER"],
        ["-I", "FORWARD", "-j", "DOCKER-USER"],
    ]
    return argvs


def forward_drop() -> Argv:
    """FilterForwardDrop: only when the daemon itself switched ip_forward on."""
    return ["-P", "FORWARD", "DROP"]


def network(bridge: str, subnet: str, *, add: bool) -> list[Argv]:
    """setupNonInternalNetworkRules, setDefaultForwardRule, the DOCKER-CT and DOCKER-BRIDGE rules and
    setINC for one bridge network (removal deletes the same rules)."""
    ins, app = ("-I", "-A") if add else ("-D", "-D")
    return [
        ["-t", "nat", ins, "POSTROUTING", "-s", subnet, "!", "-o", bridge, "-j", "MASQUERADE"],
        ["-t", "nat", ins, "DOCKER", "-i", bridge, "-j", "RETURN"],
        ["-t", "filter", app, "DOCKER-FORWARD", "-i", bridge, "-j", "ACCEPT"],
        ["-t", "filter", app, "DOCKER", "!", "-i", bridge, "-o", bridge, "-j", "DROP"],
        ["-t", "filter", app, "DOCKER-CT", "-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED",
         "-j", "ACCEPT"],
        ["-t", "filter", app, "DOCKER-BRIDGE", "-o", bridge, "-j", "DOCKER"],
        ["-t", "filter", app, "DOCKER-ISOLATION-STAGE-1", "-i", bridge, "!", "-o", bridge,
         "-j", "DOCKER-ISOLATION-STAGE-2"],
        ["-t", "filter", ins, "DOCKER-ISOLATION-STAGE-2", "-o", bridge, "-j", "DROP"],
    ]


def endpoint(bridge: str, ip: str, *, add: bool) -> list[Argv]:
    """filterDirectAccess: drop packets routed straight to the container's address from elsewhere."""
    return [["-t", "raw", "-A" if add else "-D", "PREROUTING", "-d", ip, "!", "-i", bridge, "-j", "DROP"]]


def port(bridge: str, ip: str, host_ip: str, host_port: int, container_port: int, proto: str, *,
         add: bool) -> list[Argv]:
    """setPerPortNAT (the DNAT, appended) and setPerPortForwarding (the ACCEPT, inserted above the
    network's DROP); a loopback host address adds the raw rule of filterPortMappedOnLoopback."""
    argvs: list[Argv] = []
    if host_ip.startswith("127."):
        argvs.append(["-t", "raw", "-A" if add else "-D", "PREROUTING", "-p", proto, "-d", host_ip,
                      "--dport", str(host_port), "!", "-i", "lo", "-j", "DROP"])
    dest = "0/0" if host_ip == "0.0.0.0" else host_ip
    argvs.append(["-t", "nat", "-A" if add else "-D", "DOCKER", "-p", proto, "-d", dest, "--dport", str(host_port),
                  "-j", "DNAT", "--to-destination", f"{ip}:{container_port}", "!", "-i", bridge])
    argvs.append(["-t", "filter", "-I" if add else "-D", "DOCKER", "!", "-i", bridge, "-o", bridge, "-p", proto,
                  "-d", ip, "--dport", str(container_port), "-j", "ACCEPT"])
    return argvs
