"""The models of scripts/recipe_study.py and scripts/contrastive_study.py: their demo-like label
set, the fine-tune loop with the variants' knobs, and the runs that train several models (a soup,
a lineage). Not part of the services or of CI."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from services.model.base import base_model_path
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.soup import average_weights
from services.model.train import TrainConfig, evaluate, fine_tune, most_probable, seed_everything
from services.training.examples import Example


@dataclass(frozen=True)
class LabelSet:
    classes: list[str]
    fresh: Callable[[], TextClassifier]  # the base encoder with a new mean-pooled head
    seed_set: list[Example]
    texts: list[str]  # the seed and the picked tweets
    labels: list[str]  # their answers, ``noise`` of them wrong
    tx: list[str]  # the 1,000 held-out tweets
    ty: list[str]
    unlabelled: list[Example]  # the tweets past the pool, for self-training


def demo_like_set(data: list[Example], pick: int, mode: str, noise: float) -> LabelSet:
    """The label set the demo builds: 100 random seed tweets, then ``pick`` more chosen by
    margin by a model trained on the seed (or at random, or half and half, by ``mode``), with
    ``noise`` of the answers a wrong class as the demo's annotators give."""
    data = list(data)
    random.Random(7).shuffle(data)
    classes = sorted({e.label for e in data})
    test, pool = data[:1000], data[1000:5000]
    seed_set, rest = pool[:100], pool[100:]
    base, placement = base_model_path(None), select_placement("cpu", "fp32")

    def fresh() -> TextClassifier:
        return TextClassifier.load(base, placement, labels=classes, pooling="mean")

    seed_model = fresh()
    cfg = TrainConfig(epochs=8, lr=2e-4)
    fine_tune(seed_model, [e.text for e in seed_set], [e.label for e in seed_set], cfg)
    probs = seed_model.predict_proba([e.text for e in rest], chunk_size=64)
    margin = [sorted(p)[-1] - sorted(p)[-2] for p in probs]
    hardest = sorted(range(len(rest)), key=margin.__getitem__)
    if mode == "random":
        picked = rest[:pick]
    elif mode == "mix":
        top = set(hardest[: pick // 2])
        others = [e for i, e in enumerate(rest) if i not in top]
        picked = [rest[i] for i in sorted(top)] + others[: pick - len(top)]
    else:
        picked = [rest[i] for i in hardest[:pick]]
    flip = random.Random(99)

    def answer(e: Example) -> str:
        if flip.random() < noise:
            return flip.choice([c for c in classes if c != e.label])
        return e.label

    chosen = seed_set + picked
    return LabelSet(
        classes,
        fresh,
        seed_set,
        [e.text for e in chosen],
        [answer(e) for e in chosen],
        [e.text for e in test],
        [e.label for e in test],
        data[5000:],
    )


def mean_embeddings(clf: TextClassifier, texts: Sequence[str]) -> torch.Tensor:
    out = []
    with torch.inference_mode():
        for b in range(0, len(texts), 64):
            enc = clf.encode(texts[b : b + 64])
            hidden = clf.model.bert(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).float()
            out.append((hidden * mask).sum(1) / mask.sum(1))
    return torch.cat(out)


def layer_groups(
    model: torch.nn.Module, skip: set[int], lr: float, decay: float
) -> list[dict[str, Any]]:
    """Parameter groups with the learning rate decaying from the top layer down."""
    n = model.config.num_hidden_layers
    by_depth: dict[int, list[torch.nn.Parameter]] = {}
    for name, p in model.named_parameters():
        if id(p) in skip:
            continue
        hit = re.search(r"encoder\.layer\.(\d+)\.", name)
        depth = int(hit.group(1)) + 1 if hit else (0 if "embeddings" in name else n)
        by_depth.setdefault(depth, []).append(p)
    return [{"params": ps, "lr": lr * decay ** (n - d)} for d, ps in sorted(by_depth.items())]


def train(
    clf: TextClassifier,
    texts: list[str],
    labels: list[str],
    seed: int,
    *,
    lr: float = 2e-4,
    epochs: int = 8,
    smoothing: float = 0.0,
    head_lr: float | None = None,
    linear_probe: bool = False,
    batch: int = 16,
    swa_from: int | None = None,
    drop: float = 0.0,
    drop_from: int = 0,
    llrd: float | None = None,
) -> None:
    """The services' fine-tune loop (services.model.train) with the variants' knobs.
    ``llrd``: layer-wise learning-rate decay, each encoder layer below the top at that factor
    of the one above (the embeddings one step below the first layer)."""
    seed_everything(seed)
    rng = random.Random(seed)
    ids = {lab: i for i, lab in enumerate(clf.labels)}
    y = [ids[lab] for lab in labels]
    model = clf.model
    head = list(model.classifier.parameters())
    if linear_probe:
        emb, target = mean_embeddings(clf, texts), torch.tensor(y)
        probe = torch.optim.Adam(head, lr=1e-2, weight_decay=1e-4)
        for _ in range(300):
            probe.zero_grad()
            F.cross_entropy(model.classifier(emb), target).backward()
            probe.step()
    in_head = {id(p) for p in head}
    body = [p for p in model.parameters() if id(p) not in in_head]
    groups: list[dict[str, Any]] = [{"params": body, "lr": lr}]
    if llrd is not None:
        groups = layer_groups(model, in_head, lr, llrd)
    opt = torch.optim.AdamW([*groups, {"params": head, "lr": head_lr or lr}], weight_decay=0.01)
    order = list(range(len(texts)))
    total = (len(texts) + batch - 1) // batch * epochs
    warm = max(1, int(total * 0.1))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / (total - warm))
    )
    model.train()
    snapshots: list[dict[str, torch.Tensor]] = []
    for epoch in range(epochs):
        if swa_from is not None and epoch > swa_from:
            snapshots.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        rng.shuffle(order)
        for b in range(0, len(order), batch):
            idx = order[b : b + batch]
            logits = model(**clf.encode([texts[i] for i in idx])).logits
            target = torch.tensor([y[i] for i in idx])
            losses = F.cross_entropy(logits, target, label_smoothing=smoothing, reduction="none")
            if drop and epoch >= drop_from:
                keep = len(idx) - round(len(idx) * drop)
                losses = torch.topk(losses, keep, largest=False).values
            loss = losses.mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
    if snapshots:
        # Stochastic weight averaging: the end of each of the last epochs, the final included.
        model.load_state_dict(average_weights([*snapshots, model.state_dict()]))
    model.eval()


def accuracy(classes: Sequence[str], probs: Sequence[Sequence[float]], gold: list[str]) -> float:
    top = most_probable(classes, probs)
    return sum(a == b for a, b in zip(top, gold, strict=True)) / len(gold)


def soup(
    fresh: Any,
    texts: list[str],
    labels: list[str],
    tx: list[str],
    ty: list[str],
    seeds: list[int],
    kw: dict[str, Any],
) -> None:
    """Each seed's rebuild, the mean of their probabilities, and the mean of their weights."""
    models, probs = [], []
    for s in seeds:
        clf = fresh()
        train(clf, texts, labels, s, **kw)
        p = clf.predict_proba(tx, chunk_size=64)
        print(f"soup member seed {s}: accuracy {accuracy(clf.labels, p, ty):.3f}", flush=True)
        models.append(clf)
        probs.append(p)
    mean = [
        [sum(col) / len(col) for col in zip(*rows, strict=True)]
        for rows in zip(*probs, strict=True)
    ]
    print(f"ensemble of {len(seeds)}: accuracy {accuracy(models[0].labels, mean, ty):.3f}")
    souped = models[0]
    souped.model.load_state_dict(average_weights([m.model.state_dict() for m in models]))
    m = evaluate(souped, tx, ty)
    print(f"soup of {len(seeds)}: accuracy {m.accuracy:.3f} macro-F1 {m.macro_f1:.3f}", flush=True)


def snapshot(clf: TextClassifier) -> dict[str, torch.Tensor]:
    """A copy of the weights, untouched by further training of the model."""
    return {name: t.detach().clone() for name, t in clf.model.state_dict().items()}


def lineage(
    fresh: Any, texts: list[str], labels: list[str], tx: list[str], ty: list[str], seeds: list[int]
) -> None:
    """The soup on all labels, alone and with an earlier model on fewer labels averaged in;
    and the loop's other way on: warm runs from that earlier model, alone and averaged."""
    half = 100 + (len(texts) - 100) // 2
    for s in seeds:
        champ = fresh()
        train(champ, texts[:half], labels[:half], s, epochs=4)
        start = snapshot(champ)
        warm = []
        for k in range(3):
            champ.model.load_state_dict(start)
            train(champ, texts, labels, s + 10 * k, epochs=5, lr=8e-5)
            warm.append(snapshot(champ))
            print(f"warm member {k} seed {s}: {evaluate(champ, tx, ty).accuracy:.3f}", flush=True)
        members = [fresh() for _ in range(3)]
        for k, m in enumerate(members):
            train(m, texts, labels, s + 10 * k, epochs=4)
        states = [m.model.state_dict() for m in members]
        candidates = {
            "champion": start,
            "soup": average_weights(states),
            "soup+champion": average_weights([*states, start]),
            "warm soup": average_weights(warm),
            "warm+rebuild soup": average_weights([*warm, *states]),
        }
        scores = []
        for name, weights in candidates.items():
            champ.model.load_state_dict(weights)
            scores.append(f"{name} {evaluate(champ, tx, ty).accuracy:.3f}")
        print(f"lineage seed {s}: " + ", ".join(scores), flush=True)
