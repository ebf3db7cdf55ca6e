"""Offline study: does a SetFit-style contrastive phase before the fine-tune beat the rebuild?
(README § Training recipe, "What did not pay".)

The same demo-like label set as scripts/recipe_study.py (100 random seed tweets plus ``--pick``
more picked by margin by a model trained on the seed, ``--noise`` of them flipped to a wrong
class), scored on the same 1,000 held-out airline tweets. Variants, each from the base encoder:
``base`` (the services' single rebuild run, 8 epochs at 2e-4), ``soup`` (three 4-epoch members
averaged, as ``eddy demo`` rebuilds; one model for all ``--seeds``), ``lp`` (a head on frozen
mean embeddings), ``setfit`` (SetFit's recipe: ``--iters`` rounds of one same-class and one
other-class pair per label, the encoder tuned so that the cosine of a pair's mean embeddings
is 1 or 0, then a head on the frozen embeddings) and ``setfit_ft`` (that, then 3 epochs of the
usual cross-entropy fine-tune at 5e-5).

    .venv/bin/python scripts/contrastive_study.py --lr 5e-5 --variants soup,setfit_ft

About 2 minutes per base model and 4-5 per contrastive one on 2 cores. Not part of the services
or of CI."""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

import torch
import torch.nn.functional as F
from recipe_models import demo_like_set, mean_embeddings, soup, train

from services.demo.airline import airline_tweets
from services.model.classifier import TextClassifier
from services.model.train import evaluate, seed_everything


def pooled(clf: TextClassifier, texts: list[str]) -> torch.Tensor:
    enc = clf.encode(texts)
    hidden = clf.model.bert(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    return (hidden * mask).sum(1) / mask.sum(1)


def contrastive(
    clf: TextClassifier, texts: list[str], labels: list[str], seed: int, iters: int, lr: float
) -> None:
    """SetFit's pair phase: per round and label one same-class and one other-class partner;
    the loss pulls a pair's cosine to 1 or 0 (sentence-transformers' CosineSimilarityLoss)."""
    batch = 16
    rng = random.Random(seed)
    seed_everything(seed)
    by: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        by.setdefault(lab, []).append(i)
    pairs = []
    for _ in range(iters):
        for i, lab in enumerate(labels):
            pairs.append((i, rng.choice(by[lab]), 1.0))
            other = rng.choice([c for c in by if c != lab])
            pairs.append((i, rng.choice(by[other]), 0.0))
    rng.shuffle(pairs)
    body = clf.model.bert
    opt = torch.optim.AdamW(body.parameters(), lr=lr, weight_decay=0.01)
    total = (len(pairs) + batch - 1) // batch
    warm = max(1, int(total * 0.1))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / (total - warm))
    )
    clf.model.train()
    for b in range(0, len(pairs), batch):
        chunk = pairs[b : b + batch]
        u = pooled(clf, [texts[a] for a, _, _ in chunk])
        v = pooled(clf, [texts[c] for _, c, _ in chunk])
        target = torch.tensor([t for _, _, t in chunk])
        loss = F.mse_loss(F.cosine_similarity(u, v), target)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(body.parameters(), 1.0)
        opt.step()
        sched.step()
    clf.model.eval()


def fit_head(
    clf: TextClassifier, texts: list[str], labels: list[str], wd: float = 1e-3, steps: int = 400
) -> None:
    """A logistic-regression head on the frozen mean embeddings (SetFit's second phase)."""
    ids = {lab: i for i, lab in enumerate(clf.labels)}
    emb = mean_embeddings(clf, texts)
    y = torch.tensor([ids[lab] for lab in labels])
    head = clf.model.classifier
    opt = torch.optim.Adam(head.parameters(), lr=1e-2, weight_decay=wd)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(head(emb), y).backward()
        opt.step()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="13,14,15")
    ap.add_argument("--iters", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--pick", type=int, default=350)
    ap.add_argument("--noise", type=float, default=0.05)
    ap.add_argument(
        "--variants",
        default="base,setfit,setfit_ft",
        help="comma list of base, soup, lp, setfit, setfit_ft",
    )
    args = ap.parse_args()
    torch.set_num_threads(2)
    ls = demo_like_set(list(airline_tweets()), args.pick, "margin", args.noise)
    fresh, texts, labels, tx, ty = ls.fresh, ls.texts, ls.labels, ls.tx, ls.ty
    print(f"{len(texts)} labels {dict(Counter(labels))}", flush=True)
    res: dict[str, list[float]] = {}
    if "soup" in args.variants:
        soup(fresh, texts, labels, tx, ty, [int(x) for x in args.seeds.split(",")], {"epochs": 4})
    for s in (int(x) for x in args.seeds.split(",")):
        for v in args.variants.split(","):
            if v == "soup":
                continue
            t0 = time.time()
            clf = fresh()
            if v == "base":
                train(clf, texts, labels, s)
            elif v == "setfit":
                contrastive(clf, texts, labels, s, args.iters, args.lr)
                fit_head(clf, texts, labels)
            elif v == "setfit_ft":
                contrastive(clf, texts, labels, s, args.iters, args.lr)
                fit_head(clf, texts, labels)
                train(clf, texts, labels, s, epochs=3, lr=5e-5)
            elif v == "lp":
                fit_head(clf, texts, labels)
            m = evaluate(clf, tx, ty)
            res.setdefault(v, []).append(m.accuracy)
            took = time.time() - t0
            print(
                f"{v} seed {s}: accuracy {m.accuracy:.3f} macro-F1 {m.macro_f1:.3f} ({took:.0f} s)",
                flush=True,
            )
    for v, a in res.items():
        print(f"{v}: mean {sum(a) / len(a):.3f} {a}")


if __name__ == "__main__":
    main()
