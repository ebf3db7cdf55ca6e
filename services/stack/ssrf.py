"""Which addresses the embedded Label Studio may not fetch from. Pure logic.

Label Studio fetches URLs a user gives it (a task import from a URL) and posts webhooks. With
its SSRF protection off, which Eddy's webhook on loopback used to need, any Label Studio user
could import from a loopback service: the broker's S3 store (s3rver answers unsigned reads)
holds the raw, unredacted events. So the protection stays on with its own list of banned
networks, less the one address Label Studio must reach (the webhook receiver's), and
`eddy up` runs s3rver on another loopback address (127.0.0.2), which stays banned.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

# Label Studio's default list (core/utils/io.py, validate_ip), which USE_DEFAULT_BANNED_SUBNETS
# turns on; Eddy turns that off and passes this list less the webhook's address.
DEFAULT_BANNED = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "233.252.0.0/24",
    "240.0.0.0/4", "255.255.255.255/32", "::/128", "::1/128", "::ffff:0:0/96",
    "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:0000::/32",
    "2001:20::/28", "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
)  # fmt: skip


Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def _cut(net: Net, host: Net) -> list[Net]:
    """``net`` less ``host`` (a one-address network), as the networks that remain."""
    if isinstance(net, ipaddress.IPv4Network) and isinstance(host, ipaddress.IPv4Network):
        return list(net.address_exclude(host)) if host.subnet_of(net) else [net]
    if isinstance(net, ipaddress.IPv6Network) and isinstance(host, ipaddress.IPv6Network):
        return list(net.address_exclude(host)) if host.subnet_of(net) else [net]
    return [net]


def banned_subnets(allowed: Iterable[str]) -> list[str]:
    """``DEFAULT_BANNED`` with each ``allowed`` address cut out of the network holding it."""
    nets: list[Net] = [ipaddress.ip_network(n) for n in DEFAULT_BANNED]
    for text in allowed:
        ip = ipaddress.ip_address(text.split("%")[0])  # fe80::1%eth0: the scope is not ours
        host = ipaddress.ip_network(f"{ip}/{ip.max_prefixlen}")
        nets = [part for net in nets for part in _cut(net, host)]
    return [str(n) for n in nets]
