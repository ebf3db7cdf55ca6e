"""What a labelled file holds, and what in it would mislead a label-efficiency report: said
before minutes of training, not found afterwards. Pure logic."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from services.training.examples import Example

SMALL_CLASS = 10  # fewer examples than this: too few to seed, stream and test a class
MAX_NAMED = 20  # a wrong --label-column makes a class of every row: name a few, count the rest


def summary(examples: Sequence[Example], skipped: Mapping[str, int]) -> str:
    counts = Counter(e.label for e in examples)
    shown = [f"{label} {n}" for label, n in counts.most_common(MAX_NAMED)]
    more = f", and {len(counts) - MAX_NAMED} more" if len(counts) > MAX_NAMED else ""
    left = "; ".join(f"{n} with {why}" for why, n in sorted(skipped.items()) if n)
    noun = "class" if len(counts) == 1 else "classes"
    return f"{len(examples)} examples in {len(counts)} {noun} ({', '.join(shown)}{more})" + (
        f"; left out {left}" if left else ""
    )


def warnings(examples: Sequence[Example]) -> list[str]:
    out = []
    counts = Counter(e.label for e in examples)
    by_folded: dict[str, list[str]] = defaultdict(list)
    for label in sorted(counts):
        by_folded[label.strip().casefold()].append(label)
    for variants in by_folded.values():
        if len(variants) > 1:
            out.append(
                f"labels {', '.join(variants)} differ only in case or spacing: they are "
                "different classes here; make them one in the file if they mean the same"
            )
    small = sorted(label for label, n in counts.items() if n < SMALL_CLASS)
    if small:
        named = ", ".join(small[:MAX_NAMED]) + (
            f" and {len(small) - MAX_NAMED} more" if len(small) > MAX_NAMED else ""
        )
        out.append(
            f"class(es) {named} have fewer than {SMALL_CLASS} examples: the seed, stream and "
            "test set may miss them"
        )
    labels_of: dict[str, set[str]] = defaultdict(set)
    for e in examples:
        labels_of[e.text].add(e.label)
    conflicting = sum(1 for labels in labels_of.values() if len(labels) > 1)
    if conflicting:
        out.append(
            f"{conflicting} text(s) appear with different labels: a test example may also be "
            "streamed with another label; no model can get them all right"
        )
    return out
