"""The demo report: every model version scored on the same held-out data, plus the learning
curve as a PNG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.model.classifier import TextClassifier
from services.model.device import Placement
from services.model.train import evaluate
from services.registry.lineage import seed_used
from services.registry.rollout import history
from services.registry.store import ModelRegistry
from services.training.evaluation import evaluation_of
from services.training.examples import Example
from services.training.gate import judged_wrong


def version_rows(
    registry: ModelRegistry, held_out: list[Example], placement: Placement
) -> list[dict[str, Any]]:
    """Every version scored on the demo's held-out examples (which no model saw), beside its
    score on the loop's own evaluation set (audit labels) and the gate's figures."""
    champion = registry.champion_version()
    promoted_at = {
        e["version"]: e["at"]
        for e in history(registry)
        if e["type"] in ("promoted", "bootstrapped")
    }
    evaluation = evaluation_of(registry)
    texts, gold = [e.text for e in held_out], [e.label for e in held_out]
    rows: list[dict[str, Any]] = []
    refs = {v: registry.get(v) for v in registry.versions()}
    seeds = seed_used({v: ref.meta for v, ref in refs.items()})
    for v, ref in refs.items():
        meta = ref.meta
        clf = TextClassifier.load(ref.path, placement, version=v)
        m = evaluate(clf, texts, gold)
        bootstrap = meta.get("kind") == "bootstrap"
        rows.append(
            {
                "version": v,
                "parent": meta.get("parent"),
                "kind": meta.get("kind"),
                "recipe": (meta.get("recipe") or {}).get("name"),
                "accuracy": m.accuracy,
                "macro_f1": m.macro_f1,
                "eval_set": (evaluation.get("versions") or {}).get(str(v)),
                # Store labels (routed and random picks; never audit), and the seed beside.
                "labels_used": int(meta.get("labels_used") or 0),
                "seed_used": seeds[v],
                "champion": v == champion,
                "status": "bootstrap" if bootstrap else meta.get("status"),
                "promoted_at": promoted_at.get(v),
                "decision": meta.get("decision"),
                "gate": meta.get("gate"),
                "gate_metrics": meta.get("metrics"),
                "gate_champion_metrics": meta.get("champion_metrics"),
                "train_s": (meta.get("timings") or {}).get("train_s"),
            }
        )
    return rows


def decisions(rows: list[dict[str, Any]], margin: float = 0.02) -> dict[str, Any]:
    """Every gate decision checked against the held-out set: a promotion of a challenger worse
    than its champion by more than ``margin``, or a rejection of one better by more, is wrong."""
    by_version = {r["version"]: r for r in rows}
    out = []
    for r in rows:
        champ_v = (r.get("gate_champion_metrics") or {}).get("version")
        if r["kind"] != "incremental" or champ_v not in by_version:
            continue
        diff = r["accuracy"] - by_version[champ_v]["accuracy"]
        promoted = r["status"] == "promoted"
        wrong = judged_wrong(promoted, diff, margin)
        out.append(
            {
                "challenger": r["version"],
                "champion": champ_v,
                "decision": r["status"],
                "held_out_diff": round(diff, 4),
                "wrong": wrong,
            }
        )
    return {
        "margin": margin,
        "runs": out,
        "wrong": sum(d["wrong"] for d in out),
    }


def human_labels(seed: int, tasks: int, answers: int) -> dict[str, int]:
    """What the run spent on people, counted both ways: ``total`` counts each labelled example
    once (the seed and every labelled task, which is what the label budget and the training
    data count); ``answers_total`` counts every answer given, so a task that consensus sent to
    three annotators counts three times."""
    return {
        "seed": seed,
        "tasks": tasks,
        "answers": answers,
        "total": seed + tasks,
        "answers_total": seed + answers,
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))


def _learned(row: dict[str, Any]) -> int:
    return int(row.get("seed_used") or 0) + int(row["labels_used"])


def plot_learning_curve(rows: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display; files only
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for metric, style in (("accuracy", "o-"), ("macro_f1", "s--")):
        kept = [r for r in rows if r["status"] in ("bootstrap", "promoted")]
        ax.plot(
            [_learned(r) for r in kept],
            [r[metric] for r in kept],
            style,
            label=f"{metric} (champions)",
        )
    rejected = [r for r in rows if r["status"] == "rejected"]
    if rejected:
        ax.scatter(
            [_learned(r) for r in rejected],
            [r["accuracy"] for r in rejected],
            marker="x",
            color="red",
            label="rejected challenger (accuracy)",
            zorder=3,
        )
    for r in rows:
        ax.annotate(
            f"v{r['version']}",
            (_learned(r), r["accuracy"]),
            fontsize=8,
            xytext=(3, 4),
            textcoords="offset points",
        )
    ax.set_xlabel("human labels the model has learned from (seed included)")
    ax.set_ylabel("held-out score")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
