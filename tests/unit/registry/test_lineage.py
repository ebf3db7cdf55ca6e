from typing import Any

from services.registry.lineage import seed_used


def test_seed_is_counted_along_the_lineage() -> None:
    metas: dict[int, dict[str, Any]] = {
        1: {"kind": "bootstrap", "data": {"train": 91}},
        # A rebuild: 91 seed examples (the holdout still in use) + 100 store labels.
        2: {
            "kind": "incremental",
            "parent": 1,
            "recipe": {"name": "rebuild"},
            "labels_used": 100,
            "data": {"trained_on": 191},
        },
        # Warm on v2, retiring the 59-example seed holdout into training.
        3: {
            "kind": "incremental",
            "parent": 2,
            "recipe": {"name": "warm"},
            "labels_used": 200,
            "data": {"trained_on": 259, "seed_retiring": 59},
        },
        4: {"kind": "incremental", "parent": 3, "recipe": {"name": "warm"}, "data": {}},
        # A rejected sibling trained from the same champion inherits the same seed.
        5: {"kind": "incremental", "parent": 3, "recipe": {"name": "warm"}, "data": {}},
        # eddy bench's copy of v3: the same weights and metadata, retiring nothing again.
        6: {"kind": "bench-copy", "parent": 3, "data": {"seed_retiring": 59}},
    }
    assert seed_used(metas) == {1: 91, 2: 91, 3: 150, 4: 150, 5: 150, 6: 150}


def test_missing_parent_or_fields_count_zero() -> None:
    assert seed_used({7: {"kind": "incremental", "parent": 3}, 8: {}}) == {7: 0, 8: 0}
