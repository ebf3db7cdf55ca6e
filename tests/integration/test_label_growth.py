"""A new class without a re-bootstrap: EDDY_LABELS adds `refund` to the champion's labels;
the loop keeps the champion's set while refund has fewer than EDDY_TRAINER_NEW_LABEL_MIN
trainable labels (and says so in the trigger's reason), then rebuilds from the base encoder
with a head for every label, judged against the champion on a holdout with refund in it (a
real model and registry; the labels in memory, as `eddy simulate` keeps them)."""

from __future__ import annotations

from pathlib import Path

from services.core.settings import Settings
from services.registry.store import ModelRegistry
from services.simulate.memory import MemoryLabels
from services.training.incremental import new_run, run_once
from services.training.planning import plan_run
from tests.conftest import seed_examples
from tests.helpers import copy_models

REFUNDS = [
    "@united I want a refund for my cancelled flight",
    "@united please refund my ticket, the flight was cancelled",
    "@united how do I get my money back for the flight you cancelled",
    "@united still waiting for the refund you promised two weeks ago",
    "@united refund the baggage fee, the bag never arrived",
    "@united I was charged twice, I want one of them refunded",
    "@united can I get a refund instead of a travel voucher",
    "@united requesting a full refund for booking ABC123",
    "@united where is my refund, it has been a month",
    "@united you owe me a refund for the seat upgrade I never got",
    "@united refund please, I cancelled within 24 hours",
    "@united I need my money back, not miles",
    "@united is a refund possible for a non-refundable fare after a schedule change",
    "@united my refund request was closed without an answer",
]


def test_a_label_eddy_labels_adds_joins_once_it_has_examples(
    settings: Settings, champion: int, tmp_path: Path
) -> None:
    copy_models(settings.stack.models_dir, tmp_path / "models")
    old = ModelRegistry(settings.stack.models_dir).get(champion).labels
    s = settings.override(
        stack={"registry_dir": tmp_path / "models"},
        model={"labels": [*old, "refund"]},
        trainer={"min_new_labels": 1, "new_label_min": 20, "bootstrap_epochs": 2,
                 "bootstrap_members": 1, "recipe": "warm", "eval_seed_until": 0},
        gate={"min_holdout": 6, "min_support": 1000},
    )  # fmt: skip
    reg = ModelRegistry(s.stack.models_dir)
    labels, audit = _labels(refund_audits=True)
    waiting = plan_run(s, labels, audit, force=True)
    assert waiting.labels == old and waiting.recipe.name == "warm"
    assert "wait for examples: refund 12/20" in waiting.trigger.reason, "audit ones not counted"
    assert len(waiting.data.new) == 20 and len(waiting.data.audit) == 10, "no refund label yet"

    # The gate never promotes a new label it cannot judge: no refund among the audit labels.
    grown = s.override(trainer={"new_label_min": 10}, gate={"tolerance": 0.5})
    unjudged = run_once(grown, *_labels(refund_audits=False), new_run(), force=True)
    assert unjudged.recipe == "rebuild" and unjudged.outcome == "rejected", unjudged.reasons
    assert unjudged.reasons[0] == (
        "new label 'refund' has no holdout example yet (audit labels) to judge it"
    )
    assert reg.champion_version() == champion

    run = run_once(grown, labels, audit, new_run(), force=True)
    assert run.recipe == "rebuild" and "the label set grows: + refund (12 examples)" in run.trigger
    assert run.new_labels == 32 and run.holdout["audit"] == 12, "refund labels train and judge"
    meta = reg.get(run.challenger_version or 0).meta
    assert meta["labels"] == [*old, "refund"] and "label set grows" in meta["recipe"]["reason"]
    assert meta["data"]["trained_on"] >= 32
    # The champion has no output for refund: its 2 refund audit labels count against it.
    assert (run.champion_metrics or {})["accuracy"] <= 10 / 12, run.champion_metrics
    refund = (run.challenger_metrics or {})["per_class"]["refund"]
    assert refund["support"] == 2 and refund["predicted"] >= 1, "the new class is learned"
    assert run.outcome == "promoted", run.reasons  # (0.667 vs 0.500 here, refund F1 1.0)
    assert reg.get(reg.champion_version() or 0).labels == [*old, "refund"]
    after = plan_run(grown, labels, audit, force=True)
    assert after.labels == [*old, "refund"] and "grows" not in after.trigger.reason


def _labels(refund_audits: bool) -> tuple[MemoryLabels, dict[str, str]]:
    """20 routed labels of the old classes, 12 refunds, and 12 audit labels: 10 of the old
    classes and 2 refunds (routed ones without ``refund_audits``)."""
    labels, audit = MemoryLabels(), {}
    others = seed_examples(30, seed=41)
    for n, e in enumerate(others[:20]):
        labels.add(f"routed-{n}", e.text, e.label)
    for n, text in enumerate(REFUNDS[:12]):
        labels.add(f"refund-{n}", text, "refund")
    for n, e in enumerate(others[20:]):
        labels.add(f"audit-{n}", e.text, e.label)
        audit[f"audit-{n}"] = "chat"
    for n, text in enumerate(REFUNDS[12:]):
        labels.add(f"audit-refund-{n}", text, "refund")
        if refund_audits:
            audit[f"audit-refund-{n}"] = "chat"
    return labels, audit
