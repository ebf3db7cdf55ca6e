"""Fine-tuning and evaluation of a TextClassifier. Blocking: run in a worker process/thread."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from services.model.classifier import TextClassifier
from services.model.metrics import Metrics, compute_metrics
from services.model.tokens import Predictor

ProgressFn = Callable[[int, int, float], None]  # (step, total_steps, loss)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 3
    batch_size: int = 16
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    seed: int = 13
    # Fine-tunes averaged into one model (services.model.soup); fine_tune trains one.
    members: int = 1


@dataclass(frozen=True)
class TrainResult:
    steps: int
    examples: int
    seconds: float
    final_loss: float


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def fine_tune(
    clf: TextClassifier,
    texts: Sequence[str],
    labels: Sequence[str],
    cfg: TrainConfig,
    progress: ProgressFn | None = None,
) -> TrainResult:
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    if not texts:
        raise ValueError("nothing to train on")
    label_ids = {lab: i for i, lab in enumerate(clf.labels)}
    unknown = sorted(set(labels) - set(label_ids))
    if unknown:
        raise ValueError(f"labels {unknown} are not in the model's label set {clf.labels}")
    seed_everything(cfg.seed)
    rng = random.Random(cfg.seed)
    y = [label_ids[lab] for lab in labels]
    order = list(range(len(texts)))
    steps_per_epoch = (len(order) + cfg.batch_size - 1) // cfg.batch_size
    total = steps_per_epoch * cfg.epochs
    model = clf.model
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    warmup = max(1, int(total * cfg.warmup_fraction))

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    # fp16 autocast needs loss scaling; bf16 and fp32 do not.
    use_scaler = clf.placement.autocast_dtype is torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)
    model.train()
    start = time.perf_counter()
    step = 0
    loss_val = float("nan")
    try:
        for _ in range(cfg.epochs):
            rng.shuffle(order)
            for b in range(0, len(order), cfg.batch_size):
                idx = order[b : b + cfg.batch_size]
                batch = clf.encode([texts[i] for i in idx])
                target = torch.tensor([y[i] for i in idx], device=clf.placement.device)
                with clf._autocast():
                    out = model(**batch, labels=target)
                opt.zero_grad(set_to_none=True)
                scaler.scale(out.loss).backward()
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                scaler.step(opt)
                scaler.update()
                sched.step()
                step += 1
                loss_val = float(out.loss.detach())
                if progress:
                    progress(step, total, loss_val)
    finally:
        model.eval()
    return TrainResult(step, len(texts), time.perf_counter() - start, loss_val)


def predict_labels(clf: Predictor, texts: Sequence[str], chunk_size: int = 64) -> list[str]:
    """The most probable label of each text."""
    return most_probable(clf.labels, clf.predict_proba(texts, chunk_size=chunk_size))


def most_probable(labels: Sequence[str], probs: Sequence[Sequence[float]]) -> list[str]:
    """The label with the highest probability in each row."""
    return [labels[max(range(len(p)), key=p.__getitem__)] for p in probs]


def evaluate(
    clf: TextClassifier, texts: Sequence[str], labels: Sequence[str], chunk_size: int = 64
) -> Metrics:
    return compute_metrics(list(labels), predict_labels(clf, texts, chunk_size), clf.labels)
