"""The evaluation set every version is scored on, and the live estimate of the champion.

The set is every audit label (a uniformly random sample of traffic, never trained on), plus
the seed holdout while audit labels are few. Every version is scored on the same set, so
their numbers compare; when the set grows, every version is scored again. The champion's
accuracy per channel comes with a Wilson interval. Results live in the registry
(``EVALUATION.json``), where `eddy versions`, `eddy status` and the demo read them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis import Redis

from services.core.settings import Settings
from services.labels.audit import AuditSet
from services.labels.records import LabelledExample
from services.labels.store import LabelStore
from services.model.metrics import compute_metrics
from services.registry.open import open_registry
from services.registry.store import ModelRef, ModelRegistry
from services.training.examples import Example
from services.training.paired import wilson
from services.training.seedstore import seed_holdout, within

if TYPE_CHECKING:
    from services.model.device import Placement

EVAL_FILE = "EVALUATION.json"
Say = Callable[[str], None]


@dataclass(frozen=True)
class EvalExample:
    text: str
    label: str
    channel: str | None
    source: str  # audit | seed
    floor: bool = False  # an audit the hourly floor took, not the uniform share


def evaluation_set(
    labelled: Sequence[LabelledExample],
    audit_ids: Mapping[str, str],
    seed_holdout: Sequence[Example],
    seed_until: int,
    label_set: Collection[str] | None = None,
    floor_ids: Collection[str] = (),
) -> list[EvalExample]:
    """Audit labels (with their channel), plus the seed holdout while audits are fewer than
    ``seed_until``. Pure. With ``label_set`` (the champion's classes), an audit label outside
    it is left out, as the gate's holdout leaves it out: no model could get it right, and
    counted it would retire the seed holdout early."""
    audit = [
        EvalExample(e.text, e.label, audit_ids[e.event_id], "audit", e.event_id in floor_ids)
        for e in sorted(labelled, key=lambda e: e.event_id)
        if e.event_id in audit_ids and (label_set is None or e.label in label_set)
    ]
    seed = [EvalExample(e.text, e.label, None, "seed") for e in seed_holdout]
    return audit + (seed if len(audit) < seed_until else [])


def fingerprint(examples: Sequence[EvalExample]) -> str:
    h = hashlib.sha256()
    # The floor flag too: which picks the pooled estimate reads changes it.
    for e in sorted((e.text, e.label, e.floor) for e in examples):
        h.update(f"{e[0]}\x1f{e[1]}\x1f{int(e[2])}\x1e".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:16]


def channel_estimates(
    examples: Sequence[EvalExample], pred: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Accuracy with a 95% Wilson interval, per channel and overall, on audit examples.
    Overall reads only the uniform share's picks: the hourly floor takes most of a quiet
    channel's traffic, and pooled, a channel of 3 events an hour weighed as much as one of
    300 (a simulated month: 0.870 [0.865, 0.875] where traffic's accuracy was 0.895)."""
    groups: dict[str, list[bool]] = {}
    for e, p in zip(examples, pred, strict=True):
        if e.source != "audit" or e.channel is None:
            continue
        groups.setdefault(e.channel, []).append(p == e.label)
        if not e.floor:
            groups.setdefault("all", []).append(p == e.label)
    out = {}
    for channel, hits in sorted(groups.items()):
        iv = wilson(sum(hits), len(hits))
        out[channel] = {"n": len(hits), **iv.as_dict()}
    return out


def unscored(
    scores: Mapping[str, Any], champion: int | None, versions: Sequence[int], keep: int
) -> list[int]:
    """The versions worth scoring that have no score on the current set: the newest ``keep``
    and the champion (older ones keep their stale score, which bounds the cost), less those
    whose weights were pruned (the re-scoring marks them). Pure."""
    recent = set(versions[-keep:]) | ({champion} if champion is not None else set())

    def wanted(sc: Mapping[str, Any] | None) -> bool:
        return sc is None or (bool(sc.get("stale")) and not sc.get("pruned"))

    return [v for v in versions if v in recent and wanted(scores.get(str(v)))]


def rescore(
    registry: ModelRegistry,
    examples: Sequence[EvalExample],
    placement: Placement,
    max_length: int,
    say: Say = lambda _m: None,
    keep: int = 20,
) -> dict[str, Any]:
    """Score every version not yet scored on this set (all of them when the set changed;
    the newest ``keep`` and the champion, which bounds the cost as versions pile up) and the
    champion's per-channel estimate; store and return the document."""
    fp = fingerprint(examples)
    doc = registry.read_json(EVAL_FILE) or {}
    same_set = doc.get("fingerprint") == fp
    scores: dict[str, Any] = dict(doc.get("versions", {}))
    if not same_set:
        # Scores on an older, smaller set no longer compare: kept only for versions too old
        # to score again (marked stale, with the size they were scored on).
        scores = {v: {**sc, "stale": True} for v, sc in scores.items()}
    champion = registry.champion_version()
    versions = registry.versions()
    missing = unscored(scores, champion, versions, keep)
    estimate_stale = doc.get("fingerprint") != fp or doc.get("champion") != champion
    if examples and (missing or estimate_stale):
        # Imported here: reading the stored scores (`eddy status`, the console) needs no
        # torch, which takes seconds to load.
        from services.model.classifier import TextClassifier
        from services.model.train import predict_labels

        refs = {
            v: registry.get(v) for v in {*missing, *([champion] if champion is not None else [])}
        }
        for v in [v for v, ref in refs.items() if ref.pruned]:
            # No weights to score with: its last score stays (stale), marked.
            scores[str(v)] = {**scores.get(str(v), {}), "pruned": True}
            del refs[v]
        todo = len([v for v in refs if v in missing])
        say(f"scoring {todo} version(s) on the evaluation set of {len(examples)}")
        texts, gold = [e.text for e in examples], [e.label for e in examples]
        keys = [text_key(t) for t in texts]
        classes = list(dict.fromkeys(gold))
        for v, ref in sorted(refs.items()):
            length = int(ref.meta.get("max_length", max_length))

            # ref.path only when a text is new: on an S3 registry it downloads the weights.
            def load(ref: ModelRef = ref, length: int = length) -> TextClassifier:
                return TextClassifier.load(
                    ref.path, placement, version=ref.version, max_length=length
                )

            # The version's creation too: a number given again after a folder was deleted by
            # hand is another model.
            made = ref.meta.get("created_at", "")
            how = f"{placement.device.type} {placement.precision} {length} {made}"
            pred = _predicted(registry, v, texts, keys, how, predict_labels, load)
            # Over the set's labels too: a version from before the label set grew counts the
            # new label's examples as errors in macro-F1 as well, not only in accuracy.
            m = compute_metrics(
                gold, pred, [*ref.labels, *(g for g in classes if g not in ref.labels)]
            )
            scores[str(v)] = {"accuracy": m.accuracy, "macro_f1": m.macro_f1, "n": m.n}
            if v == champion:
                doc["champion_estimate"] = channel_estimates(examples, pred)
    if not examples or (estimate_stale and champion is None):
        # Nothing scored it: an estimate of another set or champion must not stay on show.
        doc.pop("champion_estimate", None)
    doc.update(
        fingerprint=fp,
        size=len(examples),
        audit=sum(e.source == "audit" for e in examples),
        seed=sum(e.source == "seed" for e in examples),
        versions=scores,
        champion=champion,
        scored_at=time.time(),
    )
    registry.write_json(EVAL_FILE, doc)
    return doc


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def predictions_file(version: int) -> str:
    return f"EVALUATION.v{version}.predictions.json"


def _predicted(
    registry: ModelRegistry,
    version: int,
    texts: Sequence[str],
    keys: Sequence[str],
    how: str,
    predict: Callable[[Any, list[str]], list[str]],
    load: Callable[[], Any],
) -> list[str]:
    """The version's answer for every text: those it gave before read back (a version never
    changes), only new texts predicted. Before, each growth of the set scored the newest 20
    versions on all of it, a cost that grew with every audit label (a soak trial). The file
    keeps the current set's answers only, so it is bounded by the set."""
    name = predictions_file(version)
    doc = registry.read_json(name) or {}
    known = dict(doc.get("predictions") or {}) if doc.get("how") == how else {}
    todo = [i for i, k in enumerate(keys) if k not in known]
    if todo:
        got = predict(load(), [texts[i] for i in todo])
        known.update({keys[i]: p for i, p in zip(todo, got, strict=True)})
        registry.write_json(name, {"how": how, "predictions": {k: known[k] for k in keys}})
    return [known[k] for k in keys]


def evaluation_of(registry: ModelRegistry) -> dict[str, Any]:
    """What the last rescoring stored (empty before the first)."""
    return registry.read_json(EVAL_FILE) or {}


def due(doc: dict[str, Any], now: float, every_s: float) -> bool:
    """Re-scoring between training runs is worth it only now and then (it costs versions x
    set size predictions): at most every ``every_s`` seconds."""
    return now - float(doc.get("scored_at", 0.0)) >= every_s


def needs_rescore(
    doc: Mapping[str, Any], champion: int | None, versions: Sequence[int], keep: int = 20
) -> bool:
    """Whether the stored scores miss a change made outside a scheduled run: another champion
    (a promotion or rollback by hand) or a recent version not scored on the current set (a
    hand-run `eddy train`). Pure."""
    if doc.get("champion") != champion:
        return True
    if not doc.get("size"):
        return False  # nothing to score on yet
    scores = doc.get("versions") or {}
    return bool(unscored(scores, champion, versions, keep))


def refresh(settings: Settings, redis: Redis, say: Say = lambda _m: None) -> dict[str, Any]:
    """Rebuild the evaluation set from the label store and re-score what changed."""
    registry = open_registry(settings.stack)
    champion = registry.champion()
    audits = AuditSet(redis, settings.redis.prefix)
    seed = seed_holdout(registry)
    examples = evaluation_set(
        LabelStore(redis, settings.redis.prefix).labelled(),
        audits.members(),
        seed if champion is None else within(seed, champion.labels),
        settings.trainer.eval_seed_until,
        label_set=None if champion is None else champion.labels,
        # Audits recorded before the floor's picks were kept apart count as the share's.
        floor_ids=audits.floor_picks(),
    )
    from services.model.device import select_placement  # torch: see rescore

    placement = select_placement(settings.model.device, settings.model.precision)
    return rescore(registry, examples, placement, settings.model.max_length, say)
