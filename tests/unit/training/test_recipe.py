from __future__ import annotations

import pytest

from services.training.recipe import choose_recipe


def test_auto_rebuilds_while_labels_are_few() -> None:
    assert choose_recipe("auto", 120, 200).name == "rebuild"
    assert choose_recipe("auto", 200, 200).name == "warm"
    assert choose_recipe("warm", 10, 200).name == "warm"
    assert choose_recipe("rebuild", 10_000, 200).name == "rebuild"
    with pytest.raises(ValueError, match="unknown recipe"):
        choose_recipe("fast", 1, 1)


def test_auto_rebuilds_when_the_champion_learned_from_few_labels() -> None:
    r = choose_recipe("auto", 300, 200, champion_labels=0)
    assert r.name == "rebuild" and "learned from 0 labels" in r.reason
    assert choose_recipe("auto", 300, 200, champion_labels=250).name == "warm"
