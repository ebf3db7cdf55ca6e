"""`eddy simulate`'s table and learning-curve PNG."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.table import Table

from services.simulate.summary import arm_key, mean_curve


def curves(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    recipes = len({a["recipe"] for a in result["arms"]})
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for arm in result["arms"]:
        groups[arm_key(arm, recipes)].append(arm)
    return {key: mean_curve(group) for key, group in sorted(groups.items())}


def tables(result: dict[str, Any]) -> list[Table]:
    summary = Table(
        "strategy", "seeds", "labels", "accuracy (mean ± sd)", "macro-F1", "AUC",
        "labels to match random", "gate wrong > 2 pt",
        title=f"eddy simulate: {result['dataset']}",
    )  # fmt: skip
    for key, s in result["summary"].items():
        summary.add_row(
            key,
            str(s["seeds"]),
            str(s["final_labels"]),
            f"{s['final_accuracy']:.3f} ± {s['final_accuracy_sd']:.3f}",
            f"{s['final_macro_f1']:.3f}",
            f"{s['auc']:.3f}" if s["auc"] is not None else "-",
            "-" if s["labels_to_match_random"] is None else str(s["labels_to_match_random"]),
            f"{s.get('gate_wrong', 0)} of {s.get('gate_decisions', 0)}",
        )
    by_key = curves(result)
    counts = sorted({p["labels"] for c in by_key.values() for p in c})
    at = Table("strategy", *[str(n) for n in counts], title="mean test accuracy at N labels")
    for key, curve in by_key.items():
        means = {p["labels"]: p["mean"] for p in curve}
        at.add_row(key, *[f"{means[n]:.3f}" if n in means else "-" for n in counts])
    return [summary, at]


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display; files only
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.5, 4.5), dpi=110)
    # Markers and dashes differ per curve: identical curves (one seed, two strategies that
    # made the same picks) stay visible on top of each other.
    styles = [("o", "-"), ("s", "--"), ("^", "-."), ("D", ":"), ("v", "-"), ("x", "--")]
    for i, (key, curve) in enumerate(curves(result).items()):
        x = [p["labels"] for p in curve]
        marker, dash = styles[i % len(styles)]
        ax.plot(x, [p["mean"] for p in curve], marker=marker, linestyle=dash, label=key)
        ax.fill_between(x, [p["min"] for p in curve], [p["max"] for p in curve], alpha=0.15)
    ax.set_xlabel("routed labels (audit labels not counted)")
    ax.set_ylabel(f"accuracy on {result['test_size']} test examples")
    ax.set_title(f"eddy simulate: {result['dataset']} (mean over seeds, band = min..max)")
    ax.grid(alpha=0.3)
    # Beside the plot, never over a curve.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")  # whatever the name ends in: the option is --png
    plt.close(fig)
