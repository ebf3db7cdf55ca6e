"""How often does the gate's per-class check fire by chance, and how often does it catch a real
class loss? A Monte Carlo on one demo run's models (not part of Eddy's package).

Scores two versions of a finished `eddy demo --eval-size 1000` run on its 1,000 held-out tweets
(the truth), then draws random holdouts of n examples from them and computes each class's paired
F1 interval exactly as the gate does (`services.training.paired.class_f1`, 90%), both ways round:
the later version challenging the earlier, and the earlier challenging the later. A class
"refuses" when its interval lies wholly below -EDDY_GATE_CLASS_TOLERANCE (0.05).

    .venv/bin/eddy demo --eval-size 1000
    .venv/bin/python scripts/class_check.py .eddy/demo-runs/<run> --champion 1 --challenger 2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from services.demo.options import DemoOptions, load_data
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.train import predict_labels
from services.training.paired import class_f1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", type=Path, help="a demo run's folder (holds models/)")
    ap.add_argument("--champion", type=int, default=1)
    ap.add_argument("--challenger", type=int, default=2)
    ap.add_argument("--sizes", default="100,150,200,300")
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--tolerance", type=float, default=0.05)
    args = ap.parse_args()
    _, held, _ = load_data(DemoOptions(eval_size=1000))  # the demo's own split
    texts = [e.text for e in held]
    placement = select_placement("cpu", "fp32")
    preds, labels = {}, []
    for v in (args.champion, args.challenger):
        clf = TextClassifier.load(args.run_dir / "models" / f"v{v}", placement, version=v)
        labels = clf.labels
        preds[v] = predict_labels(clf, texts, 64)
    ix = {lab: i for i, lab in enumerate(labels)}
    y = np.array([ix[e.label] for e in held])
    a = np.array([ix[p] for p in preds[args.champion]])
    b = np.array([ix[p] for p in preds[args.challenger]])
    truth = class_f1(y, a, b, labels, 1, resamples=2)
    acc = float(np.mean(b == y) - np.mean(a == y))
    print(
        f"truth on {len(y)} held-out tweets, v{args.challenger} - v{args.champion}: accuracy "
        f"{acc:+.3f}, F1 " + ", ".join(f"{k} {v.estimate:+.3f}" for k, v in truth.items())
    )
    rng = np.random.default_rng(7)
    print("| holdout | support per class (mean) | later refused for | earlier refused for |")
    print("|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        fwd = dict.fromkeys(labels, 0)
        back = dict.fromkeys(labels, 0)
        support = np.zeros(len(labels))
        for t in range(args.draws):
            s = rng.choice(len(y), size=n, replace=False)
            support += np.bincount(y[s], minlength=len(labels))
            later = class_f1(y[s], a[s], b[s], labels, 1, confidence=0.9, seed=t)
            earlier = class_f1(y[s], b[s], a[s], labels, 1, confidence=0.9, seed=t)
            for lab in labels:
                fwd[lab] += int(lab in later and later[lab].high < -args.tolerance)
                back[lab] += int(lab in earlier and earlier[lab].high < -args.tolerance)
        sup = ", ".join(
            f"{lab} {x / args.draws:.0f}" for lab, x in zip(labels, support, strict=True)
        )

        def share(d: dict[str, int]) -> str:
            return ", ".join(f"{lab} {d[lab] / args.draws:.1%}" for lab in labels)

        print(f"| {n} | {sup} | {share(fwd)} | {share(back)} |", flush=True)


if __name__ == "__main__":
    main()
