"""Micro-batch planning for the forward pass. Pure logic.

Sorting a batch by length before splitting it into forward chunks keeps padding small
(dynamic padding pads only to the longest text of each chunk); ``restore_order`` puts the
results back in arrival order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def length_sorted_chunks(lengths: Sequence[int], chunk_size: int) -> list[list[int]]:
    """Indices grouped into chunks of at most ``chunk_size``, similar lengths together."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + chunk_size] for i in range(0, len(order), chunk_size)]


def restore_order(chunks: Sequence[Sequence[int]], results: Sequence[Sequence[T]]) -> list[T]:
    """Inverse of ``length_sorted_chunks``: per-chunk results back to input order."""
    pairs = [
        (i, r)
        for idx_chunk, res_chunk in zip(chunks, results, strict=True)
        for i, r in zip(idx_chunk, res_chunk, strict=True)
    ]
    pairs.sort(key=lambda p: p[0])
    if [i for i, _ in pairs] != list(range(len(pairs))):
        raise ValueError("chunks are not a permutation of the input indices")
    return [r for _, r in pairs]
