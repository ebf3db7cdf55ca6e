"""Ports picked for one test's servers never coincide (a CI run once saw the broker's port
answered by an HTTP server picked after it)."""

from __future__ import annotations

from services.stack.probes import free_port, free_port_run


def test_picked_ports_and_runs_never_overlap() -> None:
    picked: list[int] = []
    for _ in range(40):
        picked.append(free_port())
        base = free_port_run(9)
        picked.extend(range(base, base + 9))
    assert len(picked) == len(set(picked))
