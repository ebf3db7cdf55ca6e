"""Label Studio's banned networks, less the webhook's address: loopback stays banned but for
that one address (the S3 store's 127.0.0.2 among the rest), private ranges stay banned."""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path

from services.stack.ssrf import DEFAULT_BANNED, banned_subnets


def _banned(nets: list[str], ip: str) -> bool:
    return any(ipaddress.ip_address(ip) in ipaddress.ip_network(n) for n in nets)


def test_only_the_allowed_address_is_cut_out() -> None:
    nets = banned_subnets(["127.0.0.1"])
    assert not _banned(nets, "127.0.0.1")
    for ip in ("127.0.0.2", "127.255.255.254", "127.0.0.0", "10.1.2.3", "192.168.1.1", "::1"):
        assert _banned(nets, ip), ip
    assert not _banned(nets, "93.184.216.34"), "public addresses are Label Studio's business"
    assert banned_subnets([]) == [str(ipaddress.ip_network(n)) for n in DEFAULT_BANNED]


def test_several_addresses_and_ipv6() -> None:
    nets = banned_subnets(["10.96.0.12", "fd00::5", "127.0.0.1"])
    assert not any(_banned(nets, ip) for ip in ("10.96.0.12", "fd00::5", "127.0.0.1"))
    assert all(_banned(nets, ip) for ip in ("10.96.0.13", "fd00::6", "127.0.0.2"))


def test_the_script_prints_the_list_and_refuses_a_non_address() -> None:
    script = Path(__file__).parents[3] / "scripts" / "ls-banned-subnets"
    ok = subprocess.run([script, "10.96.0.12"], capture_output=True, text=True, check=True)
    assert ok.stdout.strip().split(",") == banned_subnets(["10.96.0.12"])
    bad = subprocess.run([script, "eddy-webhook"], capture_output=True, text=True)
    assert bad.returncode == 1 and "does not appear to be an IPv4 or IPv6 address" in bad.stderr
