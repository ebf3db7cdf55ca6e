"""Which gate rule is wrong least often? A Monte Carlo on real models (not part of Eddy's package).

Takes the versions one `eddy simulate --keep-models DIR` arm trained on the airline tweets and,
for every ordered pair (champion, challenger), draws audit-like holdouts of n examples from
stream tweets no version saw, flips 5% of their labels (the demo's annotators), and asks each
candidate rule whether it would promote. Truth is the pair's difference on the 1,000 test tweets,
as in the demo's report: a decision is wrong when it promotes a challenger worse by more than 2
points or refuses one better by more.

    .venv/bin/eddy simulate --strategies margin --seeds 1 --keep-models /tmp/sim-models
    .venv/bin/python scripts/gate_rules.py /tmp/sim-models/margin-auto-1 --seed 1

The run it reads must have streamed fewer than --skip events (480 labels in steps of 60 with
240-event windows stream about 2,000).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from services.demo.airline import airline_tweets
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.simulate.arm import shuffled
from services.simulate.run import split
from services.training.gate import GateConfig, judged_wrong, paired_problems
from services.training.paired import PairedComparison, compare

Ints = npt.NDArray[np.int64]
Rule = Callable[[PairedComparison, npt.NDArray[np.float64]], bool]


def _now(c: PairedComparison) -> bool:
    return not paired_problems(c, GateConfig())  # Eddy's rule at its default tolerance


RULES: dict[str, Rule] = {
    "now: refuse when the 90% CI lies below 0": lambda c, b: _now(c),
    "now + estimate >= 0": lambda c, b: _now(c) and c.accuracy.estimate >= 0,
    "now + estimate >= -0.01": lambda c, b: _now(c) and c.accuracy.estimate >= -0.01,
    "now + P(diff < -0.02) < 0.50": lambda c, b: _now(c) and float(np.mean(b < -0.02)) < 0.5,
    "now + P(diff < -0.02) < 0.25": lambda c, b: _now(c) and float(np.mean(b < -0.02)) < 0.25,
    "now + P(diff < -0.02) < 0.10": lambda c, b: _now(c) and float(np.mean(b < -0.02)) < 0.10,
    "always promote": lambda c, b: True,
}
# Challenger minus champion (points, on the 1,000 held-out tweets) of every gate decision in the
# airline demo runs the README lists: what the gate actually meets (mostly gains).
DEMO_DIFFS = [
    2.3, .1, 1.7, 3.2, -.9, .7, .8, .9, 2.5, 1.6, -1.5, .1, 3.4, .6, -.5, -1.1, 4.0,
    -1.7, .5, 2.4, .1, 1.0, 1.5, 2.7, .8, -2.4, 1.4, .6, 4.0, -2.3, -1.3, 1.4, 5.0, 2.1,
]  # fmt: skip


def predictions(models: Path, texts: list[str]) -> dict[int, Ints]:
    out = {}
    for vdir in sorted(models.glob("v*"), key=lambda p: int(p.name[1:])):
        clf = TextClassifier.load(vdir, select_placement("cpu", "fp32"), max_length=64)
        probs = clf.predict_proba(texts, chunk_size=64)
        out[int(vdir.name[1:])] = np.argmax(np.asarray(probs), axis=1).astype(np.int64)
        print(f"  v{vdir.name[1:]} scored", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", type=Path, help="one arm's registry from --keep-models")
    ap.add_argument("--seed", type=int, default=1, help="the arm's seed (its stream order)")
    ap.add_argument("--seed-size", type=int, default=100)
    ap.add_argument("--skip", type=int, default=3000, help="stream positions the run may have seen")
    ap.add_argument("--pool", type=int, default=3000, help="unseen tweets to draw holdouts from")
    ap.add_argument("--draws", type=int, default=150, help="holdouts drawn per pair and size")
    ap.add_argument("--sizes", default="100,150,200", help="holdout sizes")
    args = ap.parse_args()
    data = airline_tweets()
    test, rest = split(data, args.seed_size, 1000)
    pool = shuffled(rest, args.seed)[args.seed_size + args.skip :][: args.pool]
    labels = sorted({e.label for e in data})
    ty = np.asarray([labels.index(e.label) for e in test], dtype=np.int64)
    py = np.asarray([labels.index(e.label) for e in pool], dtype=np.int64)
    preds = predictions(args.models, [e.text for e in test] + [e.text for e in pool])
    acc = {v: float((p[: len(test)] == ty).mean()) for v, p in preds.items()}
    print("test accuracy by version:", {v: round(a, 3) for v, a in acc.items()})
    rng = np.random.default_rng(0)
    k = len(labels)
    pairs = [(c, h) for c in preds for h in preds if c != h]
    for n in (int(x) for x in args.sizes.split(",")):
        promoted = {name: {p: 0 for p in pairs} for name in RULES}
        for c, h in pairs:
            a_all, b_all = preds[c][len(test) :], preds[h][len(test) :]
            for _ in range(args.draws):
                i = rng.choice(len(py), size=n, replace=False)
                y = py[i].copy()
                flip = rng.random(n) < 0.05
                y[flip] = (y[flip] + rng.integers(1, k, size=int(flip.sum()))) % k
                a, b = a_all[i], b_all[i]
                seed = int(rng.integers(1 << 30))
                cmp = compare(
                    list(y), list(a), list(b), k, resamples=400, confidence=0.9, seed=seed
                )
                boot_i = rng.integers(0, n, size=(400, n))
                boot = (b == y)[boot_i].mean(1) - (a == y)[boot_i].mean(1)
                for name, rule in RULES.items():
                    promoted[name][(c, h)] += rule(cmp, boot)
        report(n, pairs, acc, promoted, args.draws)


def report(
    n: int,
    pairs: list[tuple[int, int]],
    acc: dict[int, float],
    promoted: dict[str, dict[tuple[int, int], int]],
    draws: int,
) -> None:
    diff = {p: acc[p[1]] - acc[p[0]] for p in pairs}
    worse = [p for p in pairs if diff[p] < -0.02]
    better = [p for p in pairs if diff[p] > 0.02]
    print(f"\nholdout of {n}: {len(worse)} pairs worse by > 2 points, {len(better)} better")
    print("| rule | promotes a worse one | refuses a better one | expected wrong, demo's 34 |")
    print("|---|---|---|---|")
    for name, by_pair in promoted.items():
        bins: dict[int, list[float]] = {}
        for p in pairs:
            bins.setdefault(int(np.floor(100 * diff[p])), []).append(by_pair[p] / draws)

        def p_promote(x: float, bins: dict[int, list[float]] = bins) -> float:
            b = min(bins, key=lambda k: abs(k + 0.5 - x))  # the nearest 1-point bin
            return float(np.mean(bins[b]))

        expected = sum(
            p_promote(x) if judged_wrong(True, x / 100) else 0.0 for x in DEMO_DIFFS
        ) + sum(1 - p_promote(x) if judged_wrong(False, x / 100) else 0.0 for x in DEMO_DIFFS)
        wp = sum(by_pair[p] for p in worse) / max(1, draws * len(worse))
        wr = 1 - sum(by_pair[p] for p in better) / max(1, draws * len(better))
        print(f"| {name} | {wp:.0%} | {wr:.0%} | {expected:.2f} |")


if __name__ == "__main__":
    main()
