"""Offline study of the rebuild fine-tune on one fixed airline label set (README § Training
recipe, "What paid" and "What did not pay").

It builds one label set the way the demo does (100 random seed tweets, then ``--pick`` more
chosen by margin by a model trained on the seed, or at random, or half and half), flips
``--noise`` of the labels to a wrong class (the demo's annotators are 5% wrong), trains each
variant from the base encoder with each seed and scores it on 1,000 held-out tweets. For
every variant it also scores a prior correction: the logits shifted by log(seed prior /
training prior), the usual fix when active selection skews the classes. ``soup`` (or
``soup_<variant>``) trains one model per seed and prints each, their weights averaged (a
model soup, as services.model.soup does) and their probabilities averaged (an ensemble).
``pseudo`` trains the base rebuild as a teacher, then a fresh 4-epoch rebuild on the labels
plus the ``--pseudo`` unlabelled tweets it is surest of (services.training.pseudo's pick).
``lineage`` asks whether a rebuild's soup gains from the champion as one more member: a
4-epoch "champion" on the seed and the first half of the picked labels, a 3-member soup of
4 epochs on all of them, and the soup with the champion's weights averaged in; beside them,
three warm runs from that champion (5 epochs at 8e-5) and their average (a warm soup).
``--normalize url`` (or ``mentions``) rewrites every tweet first: links to ``http`` (and every
@handle but the first to ``@user``).

    .venv/bin/python scripts/recipe_study.py --pick 350 --mode margin --variants base,ls0.1
    .venv/bin/python scripts/recipe_study.py --variants soup_ep4,soup --seeds 13,14

About 2 minutes per variant and seed on 2 cores. Not part of the services or of CI.
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import torch
from recipe_models import demo_like_set, lineage, soup, train

from services.demo.airline import airline_tweets
from services.model.train import evaluate, most_probable
from services.training.examples import Example
from services.training.pseudo import pick_pseudo

VARIANTS: dict[str, dict[str, Any]] = {
    "base": {},  # the services' rebuild: 8 epochs at 2e-4, batch 16
    "ls0.1": {"smoothing": 0.1},  # label smoothing against the noisy labels
    "lpft": {"linear_probe": True},  # head fitted on frozen embeddings first (LP-FT)
    "lpft_1e-4": {"linear_probe": True, "lr": 1e-4},
    "headx10": {"head_lr": 2e-3},
    "ep16": {"epochs": 16},
    "ep4": {"epochs": 4},
    "ep12_1e-4": {"epochs": 12, "lr": 1e-4},
    "swa": {"swa_from": 4},  # weights averaged over the ends of epochs 5-8
    # Small-loss training against wrong labels (as co-teaching selects): from the given epoch
    # on, each batch drops its highest-loss share, the examples most likely mislabelled.
    "small5": {"drop": 0.05, "drop_from": 2},
    "small10": {"drop": 0.1, "drop_from": 2},
    "small15": {"drop": 0.15, "drop_from": 3},
    # Layer-wise learning-rate decay (few-sample BERT fine-tuning): lower layers move less.
    "llrd0.8": {"llrd": 0.8},
    "llrd0.65": {"llrd": 0.65},
    "ep4_llrd0.8": {"epochs": 4, "llrd": 0.8},  # as a member of the demo's soup
    "ep4_llrd0.65": {"epochs": 4, "llrd": 0.65},
}
# Not a knob of one fine-tune but the loop's order: a rebuild on the seed and the first half
# of the picked labels, then a warm run (the trainer's 5 epochs at 8e-5) on all of them.
STAGED = "staged"
# Self-training: the base rebuild as teacher, then a fresh rebuild (4 epochs) on the labels
# plus the --pseudo unlabelled pool tweets the teacher is surest of, with its answers.
PSEUDO = "pseudo"
# Not one model but several: the base rebuild (or "soup_<variant>") with each --seeds, then
# their weights averaged (a uniform "model soup") and their probabilities (an ensemble).
SOUP = "soup"
LINEAGE = "lineage"


def prior(labels: Sequence[str], classes: Sequence[str]) -> list[float]:
    n = Counter(labels)
    return [(n[c] + 1) / (len(labels) + len(classes)) for c in classes]


_URL = re.compile(r"https?://\S+")
_MENTION = re.compile(r"(?<=\S)(\s+)@\w+")


def normalize(text: str, how: str) -> str:
    """Text normalization as tweet classifiers commonly do (links and handles carry no sentiment);
    "mentions" keeps the first handle, the airline addressed."""
    if how == "none":
        return text
    text = _URL.sub("http", text)
    return _MENTION.sub(r"\1@user", text) if how == "mentions" else text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--noise", type=float, default=0.05, help="share of labels flipped")
    ap.add_argument("--pick", type=int, default=350, help="labels added to the 100 seed")
    ap.add_argument("--mode", choices=["margin", "random", "mix"], default="margin")
    ap.add_argument(
        "--variants",
        default="base",
        help=f"comma list of {[*sorted(VARIANTS), STAGED, PSEUDO, SOUP, LINEAGE]}, soup_<variant>",
    )
    ap.add_argument("--seeds", default="13,14", help="training seeds, comma list")
    ap.add_argument("--pseudo", type=int, default=1000, help="pseudo-labelled tweets")
    ap.add_argument(
        "--normalize",
        choices=["none", "url", "mentions"],
        default="none",
        help="rewrite every tweet first: links to 'http'; 'mentions' also other @handles to @user",
    )
    args = ap.parse_args()
    known = [
        *sorted(VARIANTS),
        STAGED,
        PSEUDO,
        SOUP,
        LINEAGE,
        *(f"soup_{v}" for v in sorted(VARIANTS)),
    ]
    unknown = set(args.variants.split(",")) - set(known)
    if unknown:
        ap.error(f"unknown --variants {sorted(unknown)}; choose from {known}")
    torch.set_num_threads(2)
    data = [Example(normalize(e.text, args.normalize), e.label) for e in airline_tweets()]
    ls = demo_like_set(data, args.pick, args.mode, args.noise)
    classes, fresh, seed_set, texts, labels = ls.classes, ls.fresh, ls.seed_set, ls.texts, ls.labels
    tx, ty = ls.tx, ls.ty
    unlabelled = [e.text for e in ls.unlabelled]
    hidden = [e.label for e in ls.unlabelled]  # only to report how right the pseudo labels are
    print(f"{args.mode}: {len(texts)} labels {dict(Counter(labels))}, noise {args.noise}")
    shift = [
        math.log(a) - math.log(b)
        for a, b in zip(
            prior([e.label for e in seed_set], classes), prior(labels, classes), strict=True
        )
    ]
    for name in args.variants.split(","):
        if name == LINEAGE:
            lineage(fresh, texts, labels, tx, ty, [int(x) for x in args.seeds.split(",")])
            continue
        if name.startswith(SOUP):
            kw = VARIANTS[name.removeprefix("soup_")] if name != SOUP else {}
            soup(fresh, texts, labels, tx, ty, [int(x) for x in args.seeds.split(",")], kw)
            continue
        accs = []
        for s in (int(x) for x in args.seeds.split(",")):
            t0 = time.time()
            clf = fresh()
            if name == PSEUDO:
                train(clf, texts, labels, s)
                m = evaluate(clf, tx, ty)
                print(f"pseudo teacher seed {s}: accuracy {m.accuracy:.3f}", flush=True)
                up = clf.predict_proba(unlabelled, chunk_size=64)
                sure = pick_pseudo(clf.labels, up, args.pseudo)
                guess = most_probable(clf.labels, [up[i] for i in sure])
                right = sum(g == hidden[i] for g, i in zip(guess, sure, strict=True))
                share = right / len(sure)
                print(f"pseudo labels {dict(Counter(guess))}, {share:.3f} right", flush=True)
                clf = fresh()
                train(clf, texts + [unlabelled[i] for i in sure], labels + guess, s, epochs=4)
            elif name == STAGED:
                half = 100 + (len(texts) - 100) // 2
                train(clf, texts[:half], labels[:half], s)
                train(clf, texts, labels, s, epochs=5, lr=8e-5)
            else:
                train(clf, texts, labels, s, **VARIANTS[name])
            m = evaluate(clf, tx, ty)
            p = clf.predict_proba(tx, chunk_size=64)
            adj = [
                max(range(len(r)), key=lambda k: math.log(max(r[k], 1e-12)) + shift[k]) for r in p
            ]
            adj_acc = sum(clf.labels[a] == t for a, t in zip(adj, ty, strict=True)) / len(ty)
            accs.append(m.accuracy)
            print(
                f"{name} seed {s}: accuracy {m.accuracy:.3f} macro-F1 {m.macro_f1:.3f} "
                f"prior-corrected {adj_acc:.3f} ({time.time() - t0:.0f} s)",
                flush=True,
            )
        print(f"{name}: mean accuracy {sum(accs) / len(accs):.3f}")


if __name__ == "__main__":
    main()
