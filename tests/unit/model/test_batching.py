import pytest

from services.model.batching import length_sorted_chunks, restore_order


def test_chunks_group_similar_lengths_and_respect_size() -> None:
    lengths = [50, 3, 40, 4, 45, 5, 60]
    chunks = length_sorted_chunks(lengths, 3)
    assert all(len(c) <= 3 for c in chunks)
    assert sorted(i for c in chunks for i in c) == list(range(len(lengths)))
    assert [lengths[i] for i in chunks[0]] == [3, 4, 5]


def test_restore_order_roundtrip() -> None:
    items = ["ccc", "a", "bb", "dddd", "e"]
    chunks = length_sorted_chunks([len(x) for x in items], 2)
    results = [[items[i].upper() for i in c] for c in chunks]
    assert restore_order(chunks, results) == [x.upper() for x in items]


def test_restore_order_rejects_mismatch() -> None:
    with pytest.raises(ValueError):
        restore_order([[0, 1]], [["only one"]])


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        length_sorted_chunks([1], 0)
