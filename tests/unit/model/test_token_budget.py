"""Token-budget batching: every chunk's padded size within the budget, nothing lost or
repeated, short texts many to a pass, long ones few."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.model.batching import restore_order, token_budget_chunks


def test_short_texts_share_a_pass_and_long_ones_do_not() -> None:
    lengths = [8] * 20 + [64] * 4
    chunks = token_budget_chunks(lengths, max_tokens=128)
    widths = [(len(c), max(lengths[i] for i in c)) for c in chunks]
    assert widths == [(16, 8), (4, 8), (2, 64), (2, 64)]


def test_a_text_longer_than_the_budget_goes_alone() -> None:
    assert token_budget_chunks([500, 3, 3], max_tokens=100) == [[1, 2], [0]]


def test_max_batch_caps_the_count() -> None:
    assert [len(c) for c in token_budget_chunks([1] * 10, 1000, max_batch=4)] == [4, 4, 2]


def test_bad_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        token_budget_chunks([1], 0)
    with pytest.raises(ValueError, match="max_batch"):
        token_budget_chunks([1], 10, max_batch=0)


@given(
    st.lists(st.integers(min_value=0, max_value=200), max_size=80),
    st.integers(min_value=1, max_value=1000),
    st.one_of(st.none(), st.integers(min_value=1, max_value=50)),
)
def test_every_index_once_and_every_chunk_within_budget(
    lengths: list[int], budget: int, max_batch: int | None
) -> None:
    chunks = token_budget_chunks(lengths, budget, max_batch)
    assert sorted(i for c in chunks for i in c) == list(range(len(lengths)))
    for c in chunks:
        assert c, "no empty chunk"
        width = max(max(lengths[i], 1) for i in c)
        assert len(c) == 1 or len(c) * width <= budget
        assert max_batch is None or len(c) <= max_batch
    results = [[f"r{i}" for i in c] for c in chunks]
    assert restore_order(chunks, results) == [f"r{i}" for i in range(len(lengths))]
