"""A model soup: several fine-tunes of one starting point, their weights averaged.

Runs from the same starting weights (the same base encoder and head initialisation) that
differ only in the order they see the examples end in one basin, so the mean of their weights
is a model too, and a better one than a typical member: on one fixed set of 450 demo-like
airline labels, three 4-epoch members (0.775, 0.788, 0.794) averaged to 0.797, where a
single 8-epoch rebuild scored 0.763-0.779 (README § Training recipe). Inference costs one
model, training the members' epochs together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import torch

from services.model.classifier import TextClassifier
from services.model.train import ProgressFn, TrainConfig, TrainResult, fine_tune

State = Mapping[str, torch.Tensor]


def average_weights(states: Sequence[State]) -> dict[str, torch.Tensor]:
    """The element-wise mean of floating-point tensors; other tensors (integer buffers such
    as position ids) are taken from the first state, since they do not train."""
    if not states:
        raise ValueError("nothing to average")
    keys = set(states[0])
    for st in states[1:]:
        if set(st) != keys:
            raise ValueError("the states hold different tensors: not one architecture")
    out: dict[str, torch.Tensor] = {}
    for k, first in states[0].items():
        if first.is_floating_point():
            total = torch.stack([st[k].detach().float() for st in states]).mean(0)
            out[k] = total.to(first.dtype)
        else:
            out[k] = first
    return out


def train_soup(
    make: Callable[[], TextClassifier],
    texts: Sequence[str],
    labels: Sequence[str],
    cfg: TrainConfig,
    progress: ProgressFn | None = None,
) -> tuple[TextClassifier, TrainResult]:
    """``cfg.members`` fine-tunes of ``make()`` (which must give the same starting weights
    every call), each with training seed ``cfg.seed + i``, averaged into the last one.
    One member is a plain fine-tune. ``progress`` counts the steps of all members."""
    members = max(1, cfg.members)
    states: list[dict[str, torch.Tensor]] = []
    steps = 0
    seconds = 0.0
    losses: list[float] = []
    for i in range(members):
        clf = make()
        on_step = _offset(progress, i, members)
        result = fine_tune(clf, texts, labels, replace(cfg, seed=cfg.seed + i), on_step)
        steps += result.steps
        seconds += result.seconds
        losses.append(result.final_loss)
        if members > 1:
            # Kept on the CPU: members * one model's weights (about 90 MB each for MiniLM).
            states.append(
                {k: v.detach().to("cpu", copy=True) for k, v in clf.model.state_dict().items()}
            )
    if members > 1:
        clf.model.load_state_dict(average_weights(states))
        clf.model.eval()
    return clf, TrainResult(steps, len(texts), seconds, sum(losses) / len(losses))


def _offset(progress: ProgressFn | None, member: int, members: int) -> ProgressFn | None:
    if progress is None:
        return None

    def on_step(step: int, total: int, loss: float) -> None:
        progress(member * total + step, members * total, loss)

    return on_step
