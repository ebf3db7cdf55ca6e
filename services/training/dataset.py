"""Building a training run's data from the label store. Pure logic.

- Audit labels (a uniformly random sample of traffic, see services.routing.audit) are never
  trained on: they are the gate's holdout and the evaluation set.
- New labels = routed labels not used by an earlier run.
- Replay = a seeded sample of earlier labels, so fine-tuning on the new ones does not forget.
- Oldest = the earliest labels the champion learned from: the gate checks they are not forgotten.

Audit and training labels are told apart by event id, not text: a text that recurs in traffic
("thanks!") may be trained on in one event and held out in another. That is deliberate: the
audit sample estimates accuracy on traffic, where it recurs, so a model that learned it is
better there; dropping such texts from training would withhold exactly the commonest cases.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from services.labels.records import LabelledExample
from services.training.examples import Example


@dataclass(frozen=True)
class RunData:
    new: list[LabelledExample]
    replay: list[LabelledExample]
    audit: list[LabelledExample]
    earlier: list[LabelledExample]
    oldest: list[LabelledExample]
    skipped_unknown_label: int

    @property
    def train(self) -> list[Example]:
        """What a warm run trains on: the new labels plus the replay sample."""
        return [Example(e.text, e.label) for e in [*self.new, *self.replay]]

    @property
    def every_label(self) -> list[Example]:
        """What a rebuild trains on (with the seed): every routed label so far."""
        return [Example(e.text, e.label) for e in [*self.earlier, *self.new]]

    @property
    def oldest_new(self) -> float | None:
        return min((e.first_resolved for e in self.new), default=None)


def build_run_data(
    labelled: Sequence[LabelledExample],
    used: set[str],
    label_set: Sequence[str],
    audit_ids: Collection[str],
    replay_size: int,
    seed: int,
    forget_size: int = 100,
) -> RunData:
    known = set(label_set)
    usable = [e for e in labelled if e.label in known]
    audit = sorted((e for e in usable if e.event_id in audit_ids), key=lambda e: e.event_id)
    trainable = [e for e in usable if e.event_id not in audit_ids]
    new = [e for e in trainable if e.event_id not in used]
    earlier = sorted((e for e in trainable if e.event_id in used), key=lambda e: e.event_id)
    replay = random.Random(seed).sample(earlier, min(replay_size, len(earlier)))
    oldest = sorted(earlier, key=lambda e: (e.first_resolved, e.event_id))[:forget_size]
    return RunData(new, replay, audit, earlier, oldest, len(labelled) - len(usable))
