"""Step 3 of a training run: champion and challenger on the same holdout, compared pair by
pair, with the floors and the forgetting check (see ``gate`` for the rule)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from services.core.settings import GateSettings
from services.labels.records import LabelledExample
from services.model.classifier import TextClassifier
from services.model.finite import weights_finite
from services.model.metrics import Metrics, compute_metrics
from services.model.train import most_probable, predict_labels
from services.training.examples import Example
from services.training.gate import (
    FLOOR_CONFIDENCE,
    Decision,
    Finiteness,
    Forgetting,
    GateConfig,
    majority_baseline,
    new_label_reasons,
    promote_if_better,
)
from services.training.holdparts import class_check_sample, holdout_parts
from services.training.paired import class_f1, compare, versus_majority


@dataclass(frozen=True)
class Judgement:
    champion: Metrics
    challenger: Metrics
    decision: Decision


def judge(
    champion: TextClassifier,
    challenger: TextClassifier,
    hold: list[Example],
    oldest: list[LabelledExample],
    gate: GateSettings,
    final_loss: float = 0.0,
    parts: Mapping[str, int] | None = None,
) -> Judgement:
    """Step 3: both models on the same holdout, compared pair by pair; floors; forgetting.
    ``parts`` names the holdout's consecutive parts and their sizes, for the record."""
    texts, gold = [e.text for e in hold], [e.label for e in hold]
    # The challenger's labels: the champion's, or more when the run grew the label set (the
    # champion, with no output for a new class, gets its examples wrong).
    labels = challenger.labels
    if not set(champion.labels) <= set(labels):
        raise ValueError(
            f"challenger labels {labels} lack some of the champion's {champion.labels}"
        )
    champ_pred = predict_labels(champion, texts) if hold else []
    chall_probs = challenger.predict_proba(texts, chunk_size=64) if hold else []
    finite = Finiteness(
        final_loss,
        weights_finite(challenger.model),
        all(math.isfinite(p) for row in chall_probs for p in row),
    )
    chall_pred = most_probable(labels, chall_probs)
    champ_m = compute_metrics(gold, champ_pred, labels)
    chall_m = compute_metrics(gold, chall_pred, labels)
    index = {lab: i for i, lab in enumerate(labels)}
    y, a, b = (
        [index[g] for g in gold],
        [index[p] for p in champ_pred],
        [index[p] for p in chall_pred],
    )
    paired = compare(y, a, b, len(labels), confidence=gate.confidence) if hold else None
    # The floor's baseline, always answering the holdout's most frequent class, compared pair
    # by pair with the challenger as the champion is.
    versus_baseline = (
        versus_majority(y, b, len(labels), confidence=FLOOR_CONFIDENCE) if hold else None
    )
    keep = class_check_sample(parts, len(y))
    per_class = class_f1(
        [y[i] for i in keep],
        [a[i] for i in keep],
        [b[i] for i in keep],
        labels,
        gate.min_support,
        confidence=gate.confidence,
    )
    forgetting = None
    if oldest:
        o_texts, o_gold = [e.text for e in oldest], [e.label for e in oldest]
        forgetting = Forgetting(
            len(oldest),
            compute_metrics(o_gold, predict_labels(champion, o_texts), labels).accuracy,
            compute_metrics(o_gold, predict_labels(challenger, o_texts), labels).accuracy,
        )
    cfg = GateConfig(
        gate.tolerance,
        gate.class_tolerance,
        gate.min_support,
        gate.min_holdout,
        gate.forget_tolerance,
        gate.confidence,
    )
    decision = promote_if_better(
        champ_m,
        chall_m,
        paired,
        cfg,
        baseline=majority_baseline(gold),
        versus_baseline=versus_baseline,
        forgetting=forgetting,
        class_f1=per_class,
        finite=finite,
    )
    added = [lab for lab in labels if lab not in champion.labels]
    refused = new_label_reasons(added, gold, chall_pred)
    if refused:  # the label set grew: each new label must be judged, not only the old ones
        decision = replace(decision, promote=False, reasons=[*refused, *decision.reasons])
    if parts and decision.stats:
        by_part = holdout_parts(gold, champ_pred, chall_pred, parts)
        stats = {**decision.stats, "parts": by_part, "class_check_examples": len(keep)}
        decision = replace(decision, stats=stats)
    return Judgement(champ_m, chall_m, decision)
