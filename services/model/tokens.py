"""Tokenize once, batch by tokens, pad per forward pass: the steps every inference backend
shares, split so that a caller can run tokenization on one thread and the forward pass on
another, overlapping them (services.inference.holder does).

``tokenize`` is one call of the fast (Rust) tokenizer for the whole micro-batch, without
padding; ``plan`` groups the texts by token budget; ``collate`` pads one group to its own
longest text (numpy, no framework); ``forward`` is the backend's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from services.model.batching import restore_order, token_budget_chunks

Batch = dict[str, "np.ndarray[Any, np.dtype[np.int64]]"]


@dataclass(frozen=True)
class Encoded:
    """Token ids (and masks, token types) per text, unpadded."""

    columns: dict[str, list[list[int]]]

    @property
    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.columns["input_ids"]]


class Predictor(Protocol):
    """What the stream and the trainer need of a classifier, whatever its backend."""

    labels: list[str]
    version: int
    max_length: int
    backend: str

    def predict_proba(
        self, texts: Sequence[str], chunk_size: int = 32, max_tokens: int | None = None
    ) -> list[list[float]]: ...


class TokenPipeline:
    """Mixin: needs ``tokenizer``, ``max_length`` and a ``forward(batch) -> probabilities``."""

    tokenizer: Any
    max_length: int

    def forward(self, batch: Batch) -> list[list[float]]:
        raise NotImplementedError

    def tokenize(self, texts: Sequence[str]) -> Encoded:
        enc = self.tokenizer(
            list(texts), truncation=True, max_length=self.max_length, padding=False
        )
        return Encoded({k: list(v) for k, v in enc.items()})

    def plan(self, enc: Encoded, chunk_size: int, max_tokens: int | None) -> list[list[int]]:
        """Forward groups: by token budget when one is set, else by count (length-sorted)."""
        budget = max_tokens or chunk_size * self.max_length
        return token_budget_chunks(enc.lengths, budget, chunk_size if not max_tokens else None)

    def collate(self, enc: Encoded, idx: Sequence[int]) -> Batch:
        width = max(len(enc.columns["input_ids"][i]) for i in idx)
        pad_id = int(self.tokenizer.pad_token_id or 0)
        out: Batch = {}
        for name, rows in enc.columns.items():
            fill = pad_id if name == "input_ids" else 0
            arr = np.full((len(idx), width), fill, dtype=np.int64)
            for r, i in enumerate(idx):
                row = rows[i]
                arr[r, : len(row)] = row
            out[name] = arr
        return out

    def predict_proba(
        self, texts: Sequence[str], chunk_size: int = 32, max_tokens: int | None = None
    ) -> list[list[float]]:
        """Class probabilities per text, in input order (the same steps, one thread)."""
        if not texts:
            return []
        enc = self.tokenize(texts)
        chunks = self.plan(enc, chunk_size, max_tokens)
        return restore_order(chunks, [self.forward(self.collate(enc, c)) for c in chunks])
