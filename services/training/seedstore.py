"""The seed `eddy bootstrap` keeps in the registry: its training part (a rebuild trains on it
again) and its holdout (part of the evaluation set while audit labels are few, then retired
into training). Reading it needs no model code: the ops read model and `eddy status` use it."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence

from services.registry.store import ModelRegistry
from services.training.examples import Example

log = logging.getLogger("eddy.training.seed")
SEED_HOLDOUT_FILE = "seed_holdout.jsonl"
_told: set[int] = set()  # counts `within` has logged
SEED_TRAIN_FILE = "seed_train.jsonl"


def examples_jsonl(examples: list[Example]) -> str:
    return "".join(json.dumps({"text": e.text, "label": e.label}) + "\n" for e in examples)


def read_seed(registry: ModelRegistry, name: str) -> list[Example]:
    """Seed examples bootstrap kept (empty if there are none)."""
    text = registry.read_text(name) or ""
    rows = (json.loads(line) for line in text.splitlines() if line.strip())
    return [Example(str(r["text"]), str(r["label"])) for r in rows]


def within(examples: list[Example], labels: Sequence[str]) -> list[Example]:
    """The seed examples whose label the model has. A registry re-bootstrapped over another
    label set before the seed was reconciled (reseeded) held the old names, and every
    training run failed on them; they are left out, and the log says how many."""
    known = set(labels)
    kept = [e for e in examples if e.label in known]
    left = len(examples) - len(kept)
    if left and left not in _told:  # once a process: the trainer plans a run every minute
        _told.add(left)
        log.warning("%d seed example(s) with a label outside the model's set left out", left)
    return kept


def seed_holdout(registry: ModelRegistry) -> list[Example]:
    return read_seed(registry, SEED_HOLDOUT_FILE)


def retire_seed_holdout(registry: ModelRegistry) -> int:
    """Move the seed holdout into the seed's training part; return how many examples moved.

    Called once audit labels alone make the holdout: those seed labels were paid for, and
    training on them is worth more than keeping them out of a set that no longer uses them.
    The move makes the retirement permanent (the evaluation set never takes them back, even
    if audit labels are later removed). Training part first, so a crash in between leaves
    the holdout in place and a second call adds nothing twice."""
    hold = seed_holdout(registry)
    if not hold:
        return 0
    train = read_seed(registry, SEED_TRAIN_FILE)
    have = {(e.text, e.label) for e in train}
    registry.write_text(
        SEED_TRAIN_FILE, examples_jsonl(train + [e for e in hold if (e.text, e.label) not in have])
    )
    registry.write_text(SEED_HOLDOUT_FILE, "")
    return len(hold)


def warm_seed(registry: ModelRegistry, holdout_in_use: bool) -> list[Example]:
    """The seed examples a warm run adds to its new labels: the holdout once the gate no
    longer uses it, until a promoted run has learned it (then it is retired). Without this a
    warm lineage would never train on those paid-for labels: only rebuilds read the seed."""
    return [] if holdout_in_use else seed_holdout(registry)


def rebuild_seed(registry: ModelRegistry, holdout_in_use: bool) -> list[Example]:
    """The seed examples a rebuild trains on: the training part, and the holdout as well once
    the gate no longer uses it (retiring it for good)."""
    if not holdout_in_use:
        retire_seed_holdout(registry)
    return read_seed(registry, SEED_TRAIN_FILE)


def reseeded(
    registry: ModelRegistry, train: list[Example], hold: list[Example], labels: Sequence[str]
) -> tuple[list[Example], list[Example], Counter[str]]:
    """(training part, holdout) of the seed after a forced bootstrap over earlier versions,
    and how many earlier examples per label were left out for a label ``labels`` lacks.

    The training part is both seeds' (paid-for labels; the new label wins for a text in
    both), so it remembers every text any seed trained on. The holdout is the kept one and
    the new one, less those texts: the evaluation set is the one every version is scored
    on, and replaced outright by a new seed that overlapped the old, it held examples v1 had
    trained on (v1 read 0.900 where it had read 0.733). An earlier example whose label the
    new set lacks (renamed, removed) is left out of both: kept, every training run failed on
    it. Its text still counts as trained on, so the holdout never takes it either."""
    new, known = {e.text for e in train}, set(labels)
    old_train = [e for e in read_seed(registry, SEED_TRAIN_FILE) if e.text not in new]
    trained = {e.text for e in old_train} | new
    dropped = Counter(e.label for e in old_train if e.label not in known)
    # A text trained on under a label now gone, which the new seed holds out relabelled:
    # never a holdout (an earlier version learned it), so it is trained on, not lost.
    relabelled = {e.text for e in old_train if e.label not in known}
    all_train = [e for e in old_train if e.label in known] + train
    all_train += [e for e in hold if e.text in relabelled and e.label in known]
    kept: list[Example] = []
    for e in seed_holdout(registry) + hold:
        if e.text not in trained:
            trained.add(e.text)  # each text once
            if e.label in known:
                kept.append(e)
            else:
                dropped[e.label] += 1
    return all_train, kept, dropped
