"""Giving freed heap back: glibc's malloc_trim where there is one, a no-op elsewhere."""

from __future__ import annotations

import ctypes.util

import pytest

from services.core import memory


def test_glibc_trims(monkeypatch: pytest.MonkeyPatch) -> None:
    memory._trim.cache_clear()
    if ctypes.util.find_library("c") is None:
        pytest.fail("no C library found: this machine is glibc (Debian)")
    assert memory.release_memory() is True


def test_without_malloc_trim_it_only_collects(monkeypatch: pytest.MonkeyPatch) -> None:
    memory._trim.cache_clear()
    monkeypatch.setattr(ctypes.util, "find_library", lambda _name: None)
    try:
        assert memory.release_memory() is False
    finally:
        memory._trim.cache_clear()
