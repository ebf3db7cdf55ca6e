from typing import Any

from services.registry.lineage import rolled_back, seed_used


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


def test_a_version_rolled_back_from_says_so_until_it_is_champion_again() -> None:

    def ev(kind: str, v: int, prev: int | None) -> dict[str, Any]:
        return {"type": kind, "version": v, "previous_version": prev}

    h = [ev("bootstrapped", 1, None), ev("promoted", 2, 1), ev("rolled_back", 1, 2)]
    assert rolled_back(h) == {2}
    assert rolled_back([*h, ev("promoted", 2, 1)]) == set(), "champion again"
    assert rolled_back([*h, ev("promoted", 2, 1), ev("promoted", 3, 2)]) == set(), "superseded"
    assert rolled_back([*h, ev("promoted", 3, 1), ev("rolled_back", 1, 3)]) == {2, 3}
    assert rolled_back([ev("rolled_back", 1, 1)]) == set(), "no change of champion"
