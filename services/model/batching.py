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


def token_budget_chunks(
    lengths: Sequence[int], max_tokens: int, max_batch: int | None = None
) -> list[list[int]]:
    """Indices grouped so that each chunk, padded to its longest member, holds at most
    ``max_tokens`` tokens (and at most ``max_batch`` texts): a forward pass costs about its
    padded token count, so short texts go many to a pass and long ones few. Length-sorted,
    so padding stays small. A text longer than the budget goes alone."""
    if max_tokens < 1:
        raise ValueError("max_tokens must be >= 1")
    if max_batch is not None and max_batch < 1:
        raise ValueError("max_batch must be >= 1")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    chunks: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # Sorted ascending: the newcomer is the longest, so it sets the padded width.
        width = max(lengths[i], 1)
        full = max_batch is not None and len(current) >= max_batch
        if current and (full or (len(current) + 1) * width > max_tokens):
            chunks.append(current)
            current = []
        current.append(i)
    if current:
        chunks.append(current)
    return chunks
