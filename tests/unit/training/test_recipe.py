from __future__ import annotations

import pytest

from services.training.recipe import LabelGrowth, choose_recipe, grow_labels, grown_recipe


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


CHAMP = ["negative", "neutral", "positive"]


def test_the_label_set_stays_the_champions_unless_eddy_labels_adds_to_it() -> None:
    assert grow_labels(CHAMP, [], {}, 10) == LabelGrowth(CHAMP, [], "")
    same = grow_labels(CHAMP, ["positive", "negative", "neutral"], {}, 10)
    assert same.labels == CHAMP and not same.added and not same.note, "order alone: no change"
    dropped = grow_labels(CHAMP, ["negative", "positive", "refund"], {"refund": 50}, 10)
    assert dropped.labels == CHAMP and not dropped.added
    assert "lacks the champion's neutral" in dropped.note and "eddy bootstrap" in dropped.note


def test_a_new_label_joins_once_it_has_enough_examples() -> None:
    wanted = [*CHAMP, "refund", "lost_bag"]
    few = grow_labels(CHAMP, wanted, {"refund": 9, "negative": 300}, 10)
    assert few.labels == CHAMP and not few.added
    assert few.note == (
        "new label(s) wait for examples: refund 9/10, lost_bag 0/10 (EDDY_TRAINER_NEW_LABEL_MIN)"
    )
    one = grow_labels(CHAMP, wanted, {"refund": 10}, 10)
    assert one.labels == [*CHAMP, "refund"] and one.added == ["refund"]
    assert one.note == (
        "the label set grows: + refund (10 examples); new label(s) wait for examples: lost_bag 0/10"
    )
    both = grow_labels(CHAMP, wanted, {"refund": 12, "lost_bag": 30}, 10)
    assert both.labels == [*CHAMP, "refund", "lost_bag"], "the champion's order kept, then new"


def test_a_grown_run_rebuilds_whatever_the_recipe_asks() -> None:
    warm = choose_recipe("warm", 500, 200)
    grown = grown_recipe(warm, grow_labels(CHAMP, [*CHAMP, "refund"], {"refund": 10}, 10))
    assert grown.name == "rebuild" and "label set grows (+ refund)" in grown.reason
    assert grown_recipe(warm, grow_labels(CHAMP, [], {}, 10)) is warm
