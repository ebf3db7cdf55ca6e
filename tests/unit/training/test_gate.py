"""The promotion gate: a paired decision with the tolerance as a bound on the difference,
a minimum holdout, floors no model may cross, per-class checks and a forgetting check."""

from __future__ import annotations

import math
import random

import pytest

from services.model.metrics import Metrics, compute_metrics
from services.training.gate import (
    FLOOR_CONFIDENCE,
    Finiteness,
    Forgetting,
    GateConfig,
    judged_wrong,
    majority_baseline,
    new_label_reasons,
    promote_if_better,
)
from services.training.holdparts import class_check_sample
from services.training.paired import (
    Interval,
    PairedComparison,
    class_f1,
    compare,
    versus_majority,
)

LABELS = ["neg", "pos"]


def _judge(
    gold: list[str],
    champ: list[str],
    chall: list[str],
    cfg: GateConfig | None = None,
    forgetting: Forgetting | None = None,
) -> tuple[bool, list[str]]:
    ix = {lab: i for i, lab in enumerate(LABELS)}
    paired: PairedComparison = compare(
        [ix[g] for g in gold], [ix[p] for p in champ], [ix[p] for p in chall], 2, seed=1
    )
    cfg = cfg or GateConfig()
    y, a, b = [ix[g] for g in gold], [ix[p] for p in champ], [ix[p] for p in chall]
    d = promote_if_better(
        _m(gold, champ),
        _m(gold, chall),
        paired,
        cfg,
        baseline=majority_baseline(gold),
        versus_baseline=_versus_majority(gold, chall),
        forgetting=forgetting,
        class_f1=class_f1(y, a, b, LABELS, cfg.min_support, seed=1),
    )
    return d.promote, d.reasons


def _versus_majority(gold: list[str], pred: list[str]) -> Interval:
    """``pred``'s paired accuracy minus always answering the majority class, as judge passes."""
    ix = {lab: i for i, lab in enumerate(LABELS)}
    return versus_majority(
        [ix[g] for g in gold], [ix[p] for p in pred], 2, confidence=FLOOR_CONFIDENCE
    )


def _m(gold: list[str], pred: list[str]) -> Metrics:
    return compute_metrics(gold, pred, LABELS)


def _with_accuracy(gold: list[str], acc: float, seed: int) -> list[str]:
    """Predictions right on a random ``acc`` share of ``gold``."""
    rng = random.Random(seed)
    wrong = set(rng.sample(range(len(gold)), round(len(gold) * (1 - acc))))
    return [("pos" if g == "neg" else "neg") if i in wrong else g for i, g in enumerate(gold)]


GOLD = ["neg"] * 600 + ["pos"] * 400


def test_identical_models_are_promoted() -> None:
    pred = _with_accuracy(GOLD, 0.8, 1)
    promote, reasons = _judge(GOLD, pred, pred)
    assert promote, reasons
    assert "+0.000 [+0.000, +0.000]" in reasons[0]


def test_worse_by_a_small_margin_on_a_large_set_is_rejected() -> None:
    champ = _with_accuracy(GOLD, 0.84, 1)
    # The challenger gets 40 more examples wrong than the champion (4 points) on 1,000.
    chall = list(champ)
    right = [i for i, (g, p) in enumerate(zip(GOLD, champ, strict=True)) if g == p]
    for i in right[:40]:
        chall[i] = "pos" if GOLD[i] == "neg" else "neg"
    promote, reasons = _judge(GOLD, champ, chall, GateConfig(tolerance=0.01))
    assert not promote
    assert any(r.startswith("accuracy is worse: -0.040") for r in reasons), reasons
    assert any(r.endswith("lies below -0.010") for r in reasons), reasons
    # At the default tolerance the bound reads 0, not "-0.0".
    promote, reasons = _judge(GOLD, champ, chall, GateConfig(tolerance=0.0))
    assert not promote and any(r.endswith("(90% CI) lies below 0") for r in reasons), reasons


def test_a_noisy_small_drop_is_not_a_reason_to_reject() -> None:
    gold = GOLD[::10]  # 100 examples
    champ = _with_accuracy(gold, 0.8, 2)
    chall = list(champ)
    wrong_once = next(i for i, (g, p) in enumerate(zip(gold, champ, strict=True)) if g == p)
    chall[wrong_once] = "pos" if gold[wrong_once] == "neg" else "neg"
    promote, reasons = _judge(gold, champ, chall)
    assert promote, reasons


def test_a_better_model_on_a_tiny_set_is_not_promoted_automatically() -> None:
    gold = GOLD[::50]  # 20 examples
    champ = _with_accuracy(gold, 0.6, 3)
    promote, reasons = _judge(gold, champ, list(gold), GateConfig(min_holdout=30))
    assert not promote
    assert "below EDDY_GATE_MIN_HOLDOUT=30" in reasons[0] and "eddy promote" in reasons[0]


def test_floors_majority_baseline_and_a_class_never_predicted() -> None:
    champ = _with_accuracy(GOLD, 0.55, 4)
    all_neg = ["neg"] * len(GOLD)  # = the majority baseline, 0.6: better than the champion
    promote, reasons = _judge(GOLD, champ, all_neg)
    assert not promote
    assert any("no better than the majority-class baseline 0.600" in r for r in reasons)
    assert any("class 'pos' is never predicted (support 400)" in r for r in reasons)


def test_the_baseline_floor_is_paired_not_a_bare_threshold() -> None:
    # A hard holdout (a demo run's: a 0.80 model scored 0.625 there, the baseline): the
    # challenger ties the majority class on accuracy but disagrees with it on 40 of 100
    # examples, half of them rightly; its 90% interval spans about +-10 points, its 50% one +-4.
    gold = ["neg"] * 60 + ["pos"] * 40
    chall = ["neg"] * 40 + ["pos"] * 20 + ["pos"] * 20 + ["neg"] * 20
    assert _m(gold, chall).accuracy == pytest.approx(majority_baseline(gold))
    promote, reasons = _judge(gold, chall, chall)
    assert promote, reasons
    versus = _versus_majority(gold, chall)
    assert versus.estimate == 0.0 and versus.low < -0.02 and versus.high > 0.02
    # The bare comparison (no paired interval given) refused it.
    y = [LABELS.index(p) for p in chall]
    same = compare([LABELS.index(g) for g in gold], y, y, 2, seed=1)
    m = _m(gold, chall)
    bare = promote_if_better(m, m, same, GateConfig(), baseline=majority_baseline(gold))
    assert not bare.promote
    assert bare.reasons == ["accuracy 0.600 is no better than the majority-class baseline 0.600"]
    # A model that answers the majority class but for three examples, all wrong, is refused:
    # the data gives no sign that it beats the baseline.
    near = ["neg"] * 57 + ["pos"] * 3 + ["neg"] * 40
    promote, reasons = _judge(gold, near, near)
    assert not promote
    assert any(
        "no better than the majority-class baseline 0.600: -0.030 [" in r
        and "(50% CI) does not reach above 0" in r
        for r in reasons
    ), reasons
    # Nor does one 5 points below the baseline pass because the holdout is small: it departs
    # from the majority class on 15 examples, 5 of them rightly. (At the gate's 90% its
    # interval reached above 0 and the floor let it through.)
    worse = ["neg"] * 50 + ["pos"] * 10 + ["pos"] * 5 + ["neg"] * 35
    assert _m(gold, worse).accuracy == pytest.approx(0.55)
    promote, reasons = _judge(gold, worse, worse)
    assert not promote
    assert any("no better than the majority-class baseline 0.600: -0.050" in r for r in reasons)
    assert _versus_majority(gold, worse).high < 0


def test_per_class_drop_is_judged_paired_and_only_with_enough_support() -> None:
    gold = ["neg"] * 100 + ["pos"] * 100
    champ = list(gold)
    chall = ["neg"] * 100 + ["pos"] * 70 + ["neg"] * 30  # pos F1 1.0 -> 0.82
    cfg = GateConfig(tolerance=0.5, class_tolerance=0.05, min_support=50)
    promote, reasons = _judge(gold, champ, chall, cfg)
    assert not promote and any(r.startswith("class 'pos' F1 is worse: -0.176") for r in reasons)
    # A class below the support threshold is not judged on its own, and the reasons say so.
    promote, reasons = _judge(gold, champ, chall, GateConfig(tolerance=0.5, min_support=150))
    assert promote and reasons[1] == (
        "per-class F1 checked for none; not for neg, pos (under EDDY_GATE_MIN_SUPPORT=150 "
        "audit labels each)"
    )
    # A dip of 2 of 40 is within chance: the interval reaches above -0.05.
    gold = ["neg"] * 60 + ["pos"] * 40
    dip = ["neg"] * 60 + ["pos"] * 38 + ["neg"] * 2
    promote, reasons = _judge(gold, list(gold), dip, GateConfig(min_support=20))
    assert promote and len(reasons) == 1, "both classes judged: nothing more to say"


def test_forgetting_the_oldest_labels_is_rejected() -> None:
    pred = _with_accuracy(GOLD, 0.8, 5)
    forgot = Forgetting(100, champion_accuracy=0.95, challenger_accuracy=0.80)
    promote, reasons = _judge(GOLD, pred, pred, forgetting=forgot)
    assert not promote and any("forgets the oldest 100 labels" in r for r in reasons)
    kept = Forgetting(100, champion_accuracy=0.95, challenger_accuracy=0.93)
    assert _judge(GOLD, pred, pred, forgetting=kept)[0]


def test_gate_refuses_empty_or_mismatched_holdouts() -> None:
    empty = compute_metrics([], [], LABELS)
    assert not promote_if_better(empty, empty, None, GateConfig()).promote
    gold = GOLD[:40]
    paired = compare([0] * 40, [0] * 40, [0] * 40, 2)
    other = _m(gold[:10], gold[:10])
    assert not promote_if_better(_m(gold, gold), other, paired, GateConfig()).promote


@pytest.mark.parametrize(
    ("finite", "says"),
    [
        (Finiteness(math.nan, True, True), "training loss is nan"),
        (Finiteness(0.4, False, True), "weights are not finite"),
        (Finiteness(0.4, True, False), "probabilities on the holdout are not finite"),
    ],
)
def test_a_run_that_is_not_finite_is_rejected_whatever_it_scores(
    finite: Finiteness, says: str
) -> None:
    # A NaN model's argmax answers one class: it can tie a majority-class champion.
    pred = ["neg"] * len(GOLD)
    ix = {lab: i for i, lab in enumerate(LABELS)}
    y = [ix[g] for g in GOLD]
    paired = compare(y, [ix[p] for p in pred], [ix[p] for p in pred], 2, seed=1)
    d = promote_if_better(
        _m(GOLD, pred), _m(GOLD, pred), paired, GateConfig(tolerance=1.0), finite=finite
    )
    assert not d.promote and d.reasons[0].startswith("not finite:") and says in d.reasons[0]
    ok = promote_if_better(
        _m(GOLD, pred), _m(GOLD, pred), paired, GateConfig(), finite=Finiteness(0.4, True, True)
    )
    assert "not finite" not in ok.summary


def test_a_decision_is_judged_wrong_only_beyond_the_margin_on_held_out_data() -> None:
    assert judged_wrong(True, -0.021) and not judged_wrong(True, -0.019)
    assert judged_wrong(False, 0.021) and not judged_wrong(False, 0.019)
    # Promoting a better model or refusing a worse one is never wrong, however far apart.
    assert not judged_wrong(True, 0.2) and not judged_wrong(False, -0.2)
    assert judged_wrong(True, -0.011, margin=0.01)


def test_a_class_loss_only_on_the_seed_part_does_not_refuse() -> None:
    # Audit part: both models alike. Seed part: the challenger loses 'pos' badly, as the
    # demo's rebuilds did on its fixed seed holdout while better on 1,000 held-out tweets.
    audit = ["neg"] * 60 + ["pos"] * 40
    seed = ["neg"] * 30 + ["pos"] * 30
    gold = audit + seed
    champ = list(gold)
    chall = audit + ["neg"] * 30 + ["pos"] * 10 + ["neg"] * 20
    ix = {lab: i for i, lab in enumerate(LABELS)}
    y, a, b = ([ix[v] for v in s] for s in (gold, champ, chall))
    cfg = GateConfig(tolerance=0.5, min_support=20)

    def decide(keep: list[int]) -> tuple[bool, list[str]]:
        per_class = class_f1(
            [y[i] for i in keep], [a[i] for i in keep], [b[i] for i in keep], LABELS, 20, seed=1
        )
        paired = compare(y, a, b, 2, seed=1)
        d = promote_if_better(_m(gold, champ), _m(gold, chall), paired, cfg, class_f1=per_class)
        return d.promote, d.reasons

    promote, reasons = decide(list(range(len(gold))))  # the whole holdout: refused for 'pos'
    assert not promote and any(r.startswith("class 'pos' F1 is worse") for r in reasons)
    assert decide(class_check_sample({"audit": 100, "seed": 60}, len(gold)))[0]


def test_a_holdout_of_one_class_does_not_block_every_promotion() -> None:
    """Always answering the one class is perfect there: the majority floor cannot be beaten,
    so it does not apply (a statistician's review: a perfect challenger was refused)."""
    gold = ["neg"] * 120
    champ = ["neg"] * 84 + ["pos"] * 36
    promote, reasons = _judge(gold, champ, list(gold))
    assert promote, reasons
    assert not _judge(gold, list(gold), champ)[0], "a worse challenger is still refused"


def test_a_class_predicted_only_wrongly_is_not_called_never_predicted() -> None:
    gold = ["neg"] * 70 + ["pos"] * 30
    chall = ["neg"] * 45 + ["pos"] * 25 + ["neg"] * 30  # 'pos' said 25 times, never rightly
    reasons = _judge(gold, list(gold), chall)[1]
    assert any("class 'pos' is never predicted rightly (support 30)" in r for r in reasons)
    assert not any("'pos' is never predicted (" in r for r in reasons)


def test_forgetting_exactly_the_tolerance_is_allowed() -> None:
    """Accuracies are rounded to 4 places; 5 of 100 behind at tolerance 0.05 is not more."""
    pred = _with_accuracy(GOLD, 0.8, 5)
    for champ in (0.49, 0.54, 0.95):
        level = Forgetting(100, champion_accuracy=champ, challenger_accuracy=round(champ - 0.05, 4))
        assert _judge(GOLD, pred, pred, forgetting=level)[0], champ
    worse = Forgetting(100, champion_accuracy=0.54, challenger_accuracy=0.48)
    reasons = _judge(GOLD, pred, pred, forgetting=worse)[1]
    assert any("accuracy 0.480 is more than 0.05 below the champion's 0.540" in r for r in reasons)


def test_a_new_label_must_be_judged_before_a_grown_run_is_promoted() -> None:
    gold = ["neg", "pos", "refund", "refund"]
    assert new_label_reasons([], gold, ["neg"] * 4) == [], "no new label: nothing to add"
    assert new_label_reasons(["refund"], gold, ["neg", "pos", "neg", "refund"]) == []
    assert new_label_reasons(["refund"], gold, ["neg", "pos", "neg", "neg"]) == [
        "new label 'refund' is never predicted right (2 holdout examples)"
    ]
    assert new_label_reasons(["refund"], ["neg", "pos"], ["refund", "pos"]) == [
        "new label 'refund' has no holdout example yet (audit labels) to judge it"
    ]
