"""Building a training run's data from the label store. Pure logic.

- A fixed share of human labels, chosen by a hash of the event id, is holdout forever: the
  same event is holdout in every run, so no model ever trains on what gates it.
- New labels = labelled, not holdout, not used by an earlier run.
- Replay = a seeded sample of earlier labels, so fine-tuning on the new ones does not forget.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

from services.labels.records import LabelledExample
from services.training.examples import Example


def in_holdout(event_id: str, percent: int) -> bool:
    digest = hashlib.sha256(event_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


@dataclass(frozen=True)
class RunData:
    new: list[LabelledExample]
    replay: list[LabelledExample]
    holdout: list[LabelledExample]
    skipped_unknown_label: int

    @property
    def train(self) -> list[Example]:
        return [Example(e.text, e.label) for e in [*self.new, *self.replay]]

    @property
    def oldest_new(self) -> float | None:
        return min((e.first_resolved for e in self.new), default=None)


def build_run_data(
    labelled: Sequence[LabelledExample],
    used: set[str],
    label_set: Sequence[str],
    holdout_percent: int,
    replay_size: int,
    seed: int,
) -> RunData:
    known = set(label_set)
    usable = [e for e in labelled if e.label in known]
    holdout = [e for e in usable if in_holdout(e.event_id, holdout_percent)]
    trainable = [e for e in usable if not in_holdout(e.event_id, holdout_percent)]
    new = [e for e in trainable if e.event_id not in used]
    earlier = sorted((e for e in trainable if e.event_id in used), key=lambda e: e.event_id)
    replay = random.Random(seed).sample(earlier, min(replay_size, len(earlier)))
    return RunData(new, replay, holdout, len(labelled) - len(usable))
