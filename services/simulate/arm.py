"""One arm of `eddy simulate`: a strategy, a recipe and a seed, replaying the stream through
the services' own router, audit policy, training run and gate."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.core.settings import Settings
from services.labels.noise import answer_for
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.train import evaluate
from services.registry.open import open_registry
from services.registry.store import ModelRef
from services.routing.audit import AuditPolicy
from services.routing.router import Router
from services.routing.strategies import make_strategy
from services.simulate.memory import MemoryLabels
from services.training.examples import Example
from services.training.gate import judged_wrong
from services.training.incremental import new_run, run_once

Say = Callable[[str], None]


@dataclass(frozen=True)
class ArmSpec:
    strategy: str
    recipe: str
    seed: int


@dataclass
class ArmResult:
    spec: ArmSpec
    points: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    wrong_labels: int = 0  # answers the simulated annotators got wrong (routed and audit)

    def as_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.spec.strategy,
            "recipe": self.spec.recipe,
            "seed": self.spec.seed,
            "points": self.points,
            "runs": self.runs,
            "wrong_labels": self.wrong_labels,
        }


@dataclass(frozen=True)
class StreamSpec:
    stream: list[Example]  # in arrival order for this seed
    test: list[Example]
    budget: int  # routed labels in all
    step: int  # routed labels per training run
    window: int  # events the router ranks per step (its priority window)
    audit_share: float
    error_rate: float = 0.0  # share of annotator answers that are wrong, as in `eddy demo`
    classes: tuple[str, ...] = ()  # the label set a wrong answer is drawn from


def _load(s: Settings, ref: ModelRef) -> TextClassifier:
    placement = select_placement(s.model.device, s.model.precision)
    max_length = int(ref.meta.get("max_length", s.model.max_length))
    return TextClassifier.load(ref.path, placement, version=ref.version, max_length=max_length)


def _champion(s: Settings) -> TextClassifier:
    ref = open_registry(s.stack).champion()
    assert ref is not None
    return _load(s, ref)


def _point(clf: TextClassifier, test: list[Example], labels: int, audit: int) -> dict[str, Any]:
    m = evaluate(clf, [e.text for e in test], [e.label for e in test])
    return {
        "labels": labels,
        "audit_labels": audit,
        "accuracy": m.accuracy,
        "macro_f1": m.macro_f1,
        "champion": clf.version,
    }


def _checked(
    s: Settings,
    challenger: int,
    outcome: str,
    champion_accuracy: float,
    promoted_accuracy: float,
    test: list[Example],
) -> dict[str, Any]:
    """The gate's decision checked on the test set, which neither model saw: a refused
    challenger is scored too (a promoted one is the new champion, already scored)."""
    promoted = outcome == "promoted"
    if promoted:
        accuracy = promoted_accuracy
    else:
        clf = _load(s, open_registry(s.stack).get(challenger))
        accuracy = evaluate(clf, [e.text for e in test], [e.label for e in test]).accuracy
    diff = accuracy - champion_accuracy
    return {
        "champion_test_accuracy": round(champion_accuracy, 4),
        "challenger_test_accuracy": round(accuracy, 4),
        "test_diff": round(diff, 4),
        "wrong": judged_wrong(promoted, diff),
    }


def run_arm(
    base: Settings, spec: ArmSpec, data: StreamSpec, bootstrap_dir: Path, work: Path, say: Say
) -> ArmResult:
    """Replay ``data.stream`` from the seed's bootstrap model until ``data.budget`` routed
    labels are spent; after each step of labels, one training run (the trainer's own)."""
    models = work / f"{spec.strategy}-{spec.recipe}-{spec.seed}"
    shutil.copytree(bootstrap_dir, models)
    s = base.override(
        stack={"registry_dir": models},
        trainer={"recipe": spec.recipe, "seed": spec.seed, "min_new_labels": 1},
    )
    router = Router(make_strategy(spec.strategy, spec.seed), 0.0, {})
    policy = AuditPolicy(data.audit_share)
    labels, audit_ids = MemoryLabels(), dict[str, str]()
    clf = _champion(s)
    result = ArmResult(spec)

    def annotate(event_id: str, ex: Example) -> None:
        given = answer_for(event_id, ex.label, data.classes, data.error_rate)
        result.wrong_labels += given != ex.label
        labels.add(event_id, ex.text, given)

    result.points.append(_point(clf, data.test, 0, 0))
    routed, pos = 0, 0
    while routed < data.budget and pos < len(data.stream):
        window = data.stream[pos : pos + data.window]
        ids = [f"s{spec.seed}-{pos + i}" for i in range(len(window))]
        pos += len(window)
        candidates = []
        probs = clf.predict_proba([e.text for e in window])
        for event_id, ex, p in zip(ids, window, probs, strict=True):
            if policy.sampled(event_id):
                annotate(event_id, ex)
                audit_ids[event_id] = "chat"
                continue
            pred = {"event_id": event_id, "channel": "chat", "key": event_id, "text": ex.text,
                    "label": "", "confidence": max(p), "model_version": clf.version,
                    "probs": dict(zip(clf.labels, p, strict=True))}  # fmt: skip
            review = router.route(pred, "now")
            assert review is not None  # threshold 0: every prediction has a score
            candidates.append((review["score"], event_id, ex))
        # The budget keeps the most informative cases of the window, not the first ones.
        take = min(data.step, data.budget - routed)
        picked = sorted(candidates, key=lambda c: (-c[0], c[1]))[:take]
        for _score, event_id, ex in picked:
            annotate(event_id, ex)
            routed += 1
        # What the budget left to the model joins the pseudo-label pool in arrival order, as
        # the route agent's confident events do (here every unpicked one: no threshold).
        taken = {event_id for _score, event_id, _ex in picked}
        for _score, event_id, ex in candidates:
            if event_id not in taken:
                labels.add_traffic(ex.text)
        champion_accuracy = result.points[-1]["accuracy"]
        run = run_once(s, labels, audit_ids, new_run(), force=True)
        record: dict[str, Any] = {
            "labels": routed, "outcome": run.outcome, "recipe": run.recipe,
            "reasons": [_here(r) for r in run.reasons], "challenger": run.challenger_version,
        }  # fmt: skip
        if run.outcome == "promoted":
            clf = _champion(s)
        result.points.append(_point(clf, data.test, routed, len(audit_ids)))
        if run.outcome in ("promoted", "rejected") and run.challenger_version is not None:
            record.update(_checked(s, run.challenger_version, run.outcome, champion_accuracy,
                                   float(result.points[-1]["accuracy"]), data.test))  # fmt: skip
        result.runs.append(record)
        say(
            f"  {spec.strategy}/{spec.recipe}/seed {spec.seed}: {routed} labels, "
            f"{run.outcome} v{run.challenger_version}, accuracy "
            f"{result.points[-1]['accuracy']:.3f}"
        )
    return result


def _here(reason: str) -> str:
    """The gate's reason in this command's words (its minimum holdout is --min-holdout)."""
    return reason.replace("EDDY_GATE_MIN_HOLDOUT=", "--min-holdout ").replace(
        " (`eddy promote` decides by hand)", ""
    )


def shuffled(stream: list[Example], seed: int) -> list[Example]:
    out = list(stream)
    random.Random(seed).shuffle(out)
    return out
