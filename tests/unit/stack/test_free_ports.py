"""Ports picked for one test's servers never coincide (a CI run once saw the broker's port
answered by an HTTP server picked after it)."""

from __future__ import annotations

from pathlib import Path

from services.stack.probes import free_port, free_port_run


def test_picked_ports_and_runs_never_overlap() -> None:
    picked: list[int] = []
    for _ in range(40):
        picked.append(free_port())
        base = free_port_run(9)
        picked.extend(range(base, base + 9))
    assert len(picked) == len(set(picked))


def test_picked_ports_lie_below_the_kernels_ephemeral_range() -> None:
    # An outgoing connection anywhere on the machine can take a port of that range as its
    # local end between the pick and the server's bind (a CI restart was refused so).
    start = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(40):
        assert free_port() < start
        assert free_port_run(9) + 9 <= start
