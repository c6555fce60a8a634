"""Where ``local.serve`` listens, said to its user: the URL to open, and a warning when other machines can reach it."""
from __future__ import annotations

import socket

WILDCARDS = ("0.0.0.0", "::", "")


def url(address: str, port: int) -> str:
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"


def local_address(host: str) -> str:
    """The address this machine reaches a server bound to ``host`` at (a wildcard: loopback)."""
    if host in WILDCARDS:
        return "::1" if host == "::" else "127.0.0.1"
    return host


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:  # a host name: what it resolves to
        try:
            return all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback
                       for info in socket.getaddrinfo(host, None))
        except (OSError, ValueError):
            return False


def _outbound_address(ipv6: bool) -> str | None:
    """This machine's address on the network it routes to (no packet is sent), or None."""
    family, target = (socket.AF_INET6, "2001:db8::1") if ipv6 else (socket.AF_INET, "192.0.2.1")
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((target, 9))
            return probe.getsockname()[0]
    except OSError:
        return None


def network_notice(host: str, port: int) -> str | None:
    """The warning for a server other machines can reach (None on a loopback address)."""
    if _is_loopback(host):
        return None
    where = host
    if host in WILDCARDS:
        address = _outbound_address(host == "::")
        where = f"every interface of this machine{f', e.g. {url(address, port)}' if address else ''}"
    return (f"Warning: --host {host or '0.0.0.0'}: the API is reachable from the network ({where}); anyone who "
            "reaches it runs the functions with this shell's AWS credentials. Use --host 127.0.0.1 to keep it "
            "on this machine.")
