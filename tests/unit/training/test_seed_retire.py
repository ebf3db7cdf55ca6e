"""The seed holdout is retired once audit labels alone make the holdout: a rebuild then
trains on it, for good, and nothing is added twice (on a real file registry)."""

from __future__ import annotations

from pathlib import Path

from services.registry.store import ModelRegistry
from services.training.evaluation import evaluation_set
from services.training.examples import Example
from services.training.seedstore import (
    SEED_HOLDOUT_FILE,
    SEED_TRAIN_FILE,
    examples_jsonl,
    read_seed,
    rebuild_seed,
    reseeded,
    retire_seed_holdout,
    seed_holdout,
    warm_seed,
    within,
)

TRAIN = [Example("great crew", "positive"), Example("lost my bag", "negative")]
HOLD = [Example("on time", "neutral"), Example("rude agent", "negative")]
LABELS = ["negative", "neutral", "positive"]


def registry(tmp_path: Path) -> ModelRegistry:
    reg = ModelRegistry(tmp_path / "models")
    reg.write_text(SEED_TRAIN_FILE, examples_jsonl(TRAIN))
    reg.write_text(SEED_HOLDOUT_FILE, examples_jsonl(HOLD))
    return reg


def test_a_rebuild_leaves_the_holdout_alone_while_the_gate_uses_it(tmp_path: Path) -> None:
    reg = registry(tmp_path)
    assert rebuild_seed(reg, holdout_in_use=True) == TRAIN
    assert seed_holdout(reg) == HOLD


def test_a_rebuild_trains_on_the_retired_holdout_for_good(tmp_path: Path) -> None:
    reg = registry(tmp_path)
    assert rebuild_seed(reg, holdout_in_use=False) == TRAIN + HOLD
    assert seed_holdout(reg) == [], "retired: the evaluation set never takes it back"
    assert evaluation_set([], {}, seed_holdout(reg), seed_until=100) == []
    assert rebuild_seed(reg, holdout_in_use=False) == TRAIN + HOLD, "nothing added twice"
    assert rebuild_seed(reg, holdout_in_use=True) == TRAIN + HOLD


def test_a_move_cut_short_adds_nothing_twice(tmp_path: Path) -> None:
    reg = registry(tmp_path)
    reg.write_text(SEED_TRAIN_FILE, examples_jsonl(TRAIN + HOLD))  # crashed before the holdout
    assert retire_seed_holdout(reg) == 2
    assert read_seed(reg, SEED_TRAIN_FILE) == TRAIN + HOLD and seed_holdout(reg) == []
    assert retire_seed_holdout(reg) == 0


def test_no_seed_retires_nothing(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path / "models")
    assert rebuild_seed(reg, holdout_in_use=False) == [] and retire_seed_holdout(reg) == 0


def test_a_warm_run_learns_the_retired_holdout_but_retires_nothing_itself(
    tmp_path: Path,
) -> None:
    reg = registry(tmp_path)
    assert warm_seed(reg, holdout_in_use=True) == [], "the gate still uses it"
    assert warm_seed(reg, holdout_in_use=False) == HOLD
    # Only a promotion retires it (the training run's record step): a refused warm run
    # leaves it for the next one, so the lineage never loses those labels.
    assert seed_holdout(reg) == HOLD and read_seed(reg, SEED_TRAIN_FILE) == TRAIN
    retire_seed_holdout(reg)
    assert warm_seed(reg, holdout_in_use=False) == []


def test_a_forced_bootstrap_keeps_the_old_holdout_and_drops_what_a_version_trained_on(
    tmp_path: Path,
) -> None:
    # A second seed overlapping the first: "on time" (old holdout) is in its training part,
    # "great crew" (old training part) in its holdout. Neither may score any version.
    reg = registry(tmp_path)
    new_train = [Example("on time", "neutral"), Example("late again", "negative")]
    new_hold = [Example("great crew", "positive"), Example("no snacks", "negative")]
    train, kept, dropped = reseeded(reg, new_train, new_hold, LABELS)
    assert not dropped
    assert [e.text for e in kept] == ["rude agent", "no snacks"]
    assert {e.text for e in train} == {"great crew", "lost my bag", "on time", "late again"}
    # A third seed later: the first seed's texts are still remembered as trained on.
    reg.write_text(SEED_TRAIN_FILE, examples_jsonl(train))
    reg.write_text(SEED_HOLDOUT_FILE, examples_jsonl(kept))
    _, third, _ = reseeded(reg, [], [Example("lost my bag", "negative"), *HOLD], LABELS)
    assert [e.text for e in third] == ["rude agent", "no snacks"], "each text once"
    # The same text relabelled by the new seed: the new label wins.
    fixed, _, _ = reseeded(reg, [Example("great crew", "neutral")], [], LABELS)
    assert [e.label for e in fixed if e.text == "great crew"] == ["neutral"]


def test_a_forced_bootstrap_over_another_label_set_leaves_the_old_labels_out(
    tmp_path: Path,
) -> None:
    # 'negative' renamed 'complaint': kept, the old rows failed every training run after
    # ("labels ['negative'] are not in the model's label set").
    reg = registry(tmp_path)
    new_train = [Example("late again", "complaint"), Example("great crew", "positive")]
    new_hold = [Example("lost my bag", "complaint"), Example("fine flight", "neutral")]
    train, kept, dropped = reseeded(reg, new_train, new_hold, ["complaint", "neutral", "positive"])
    assert {e.label for e in train + kept} <= {"complaint", "neutral", "positive"}
    assert dropped == {"negative": 2}  # "lost my bag" (trained on) and "rude agent" (held out)
    assert [e.text for e in kept] == ["on time", "fine flight"], "no text a version trained on"
    # "lost my bag", learned as 'negative', held out as 'complaint': trained on, not lost.
    assert Example("lost my bag", "complaint") in train


def test_a_seed_already_holding_an_old_label_trains_without_it(tmp_path: Path) -> None:
    reg = registry(tmp_path)  # written before reseeded left old labels out
    renamed = ["complaint", "neutral", "positive"]
    assert within(rebuild_seed(reg, holdout_in_use=False), renamed) == [
        Example("great crew", "positive"), Example("on time", "neutral")
    ]  # fmt: skip
