"""The evaluation set: audit labels (with their channel), plus the seed holdout while audits
are few; a fingerprint that changes when the set grows (then every version is re-scored);
per-channel estimates with Wilson intervals."""

from __future__ import annotations

from pathlib import Path

from services.labels.records import LabelledExample
from services.training.evaluation import (
    EvalExample,
    channel_estimates,
    due,
    evaluation_set,
    fingerprint,
    needs_rescore,
)
from services.training.examples import Example


def _ex(i: int, label: str = "a") -> LabelledExample:
    return LabelledExample(f"ev-{i}", i, f"text {i}", label, 1.0, 1, float(i))


SEED = [Example("seed one", "a"), Example("seed two", "b")]


def test_audit_labels_only_and_the_seed_while_audits_are_few() -> None:
    labelled = [_ex(i) for i in range(10)]
    audit = {"ev-1": "chat", "ev-4": "ads"}
    few = evaluation_set(labelled, audit, SEED, seed_until=5)
    assert [(e.text, e.channel, e.source) for e in few] == [
        ("text 1", "chat", "audit"),
        ("text 4", "ads", "audit"),
        ("seed one", None, "seed"),
        ("seed two", None, "seed"),
    ]
    enough = evaluation_set(labelled, audit, SEED, seed_until=2)
    assert [e.source for e in enough] == ["audit", "audit"]


def test_an_audit_label_outside_the_champions_classes_is_left_out_as_the_gate_does() -> None:
    labelled = [_ex(1), _ex(2, "new-class"), _ex(3)]
    audit = {"ev-1": "chat", "ev-2": "chat", "ev-3": "chat"}
    kept = evaluation_set(labelled, audit, SEED, seed_until=3, label_set=["a", "b"])
    assert [e.text for e in kept] == ["text 1", "text 3", "seed one", "seed two"], (
        "two usable audits are under seed_until=3: the seed holdout stays"
    )
    assert len(evaluation_set(labelled, audit, SEED, seed_until=3)) == 3  # no label set given


def test_fingerprint_is_order_free_and_changes_when_the_set_grows() -> None:
    a = [EvalExample("x", "a", "chat", "audit"), EvalExample("y", "b", "ads", "audit")]
    assert fingerprint(a) == fingerprint(list(reversed(a)))
    assert fingerprint(a) != fingerprint([*a, EvalExample("z", "a", "crm", "audit")])
    assert fingerprint(a) != fingerprint([a[0], EvalExample("y", "a", "ads", "audit")])
    # Which picks the pooled estimate reads changes it too.
    assert fingerprint(a) != fingerprint([a[0], EvalExample("y", "b", "ads", "audit", True)])


def test_channel_estimates_use_audit_examples_only() -> None:
    examples = [EvalExample(f"t{i}", "a", "chat" if i < 8 else "ads", "audit") for i in range(10)]
    examples.append(EvalExample("seed", "a", None, "seed"))
    pred = ["a"] * 6 + ["b"] * 2 + ["a"] * 2 + ["b"]
    est = channel_estimates(examples, pred)
    assert est["chat"]["n"] == 8 and est["chat"]["estimate"] == 0.75
    assert est["ads"]["estimate"] == 1.0 and est["all"]["n"] == 10
    assert est["chat"]["low"] < 0.75 < est["chat"]["high"]


def test_the_pooled_estimate_reads_only_the_shares_picks() -> None:
    """A quiet channel's floor picks count in its own estimate, not in all channels'."""
    labelled = [_ex(i) for i in range(6)]
    audit = {f"ev-{i}": ("chat" if i < 4 else "crm") for i in range(6)}
    examples = evaluation_set(labelled, audit, [], seed_until=0, floor_ids={"ev-4", "ev-5"})
    assert [e.floor for e in examples] == [False] * 4 + [True] * 2
    est = channel_estimates(examples, ["a"] * 4 + ["b"] * 2)
    assert est["crm"]["n"] == 2 and est["crm"]["estimate"] == 0.0
    assert est["all"]["n"] == 4 and est["all"]["estimate"] == 1.0


def test_rescoring_between_runs_is_throttled() -> None:
    assert due({}, now=1000.0, every_s=600)
    assert not due({"scored_at": 700.0}, now=1000.0, every_s=600)
    assert due({"scored_at": 300.0}, now=1000.0, every_s=600)


def test_a_change_made_by_hand_is_scored_at_the_next_check() -> None:
    sc = {"accuracy": 0.8, "macro_f1": 0.7, "n": 60}
    doc = {"champion": 1, "size": 60, "versions": {"1": sc}}
    assert not needs_rescore(doc, champion=1, versions=[1])
    # `eddy train` by hand made v2 (rejected): not scored yet.
    assert needs_rescore(doc, champion=1, versions=[1, 2])
    # ... then `eddy promote 2`: the champion moved.
    both = {**doc, "versions": {"1": sc, "2": sc}}
    assert needs_rescore(both, champion=2, versions=[1, 2])
    assert not needs_rescore({**both, "champion": 2}, champion=2, versions=[1, 2])
    # A score on an older set counts as missing, but only for the recent versions.
    stale = {**both, "champion": 2, "versions": {"1": {**sc, "stale": True}, "2": sc}}
    assert needs_rescore(stale, champion=2, versions=[1, 2])
    assert not needs_rescore(stale, champion=2, versions=[1, 2], keep=1)
    assert needs_rescore({**stale, "champion": 1}, champion=1, versions=[1, 2], keep=1)
    # A version whose weights were pruned cannot be scored again: its stale score stays.
    gone = {**stale, "versions": {"1": {**sc, "stale": True, "pruned": True}, "2": sc}}
    assert not needs_rescore(gone, champion=2, versions=[1, 2])
    # Nothing to score on yet: only a new champion is news.
    assert not needs_rescore({"champion": 1, "size": 0}, champion=1, versions=[1, 2])


def test_an_estimate_nothing_scored_is_not_kept(tmp_path: Path) -> None:
    """The set emptied (a label store wiped): the champion's old estimate stays off show."""
    from services.registry.store import ModelRegistry
    from services.training.evaluation import EVAL_FILE, evaluation_of, rescore

    reg = ModelRegistry(tmp_path)
    reg.write_json(EVAL_FILE, {"fingerprint": "x", "champion_estimate": {"all": {"n": 9}}})
    doc = rescore(reg, [], None, 64)  # type: ignore[arg-type]  # nothing to load: no placement
    assert "champion_estimate" not in doc and "champion_estimate" not in evaluation_of(reg)
    assert doc["size"] == 0
