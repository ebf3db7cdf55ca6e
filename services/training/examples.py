"""Labelled examples: read from CSV / JSONL files, split into train and holdout."""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Example:
    text: str
    label: str


class DatasetError(ValueError):
    pass


def read_examples(
    path: Path, text_field: str = "text", label_field: str = "label", encoding: str = "utf-8"
) -> list[Example]:
    """Read a CSV (header row) or JSONL file with a text and a label column."""
    if path.is_dir():
        raise DatasetError(f"{path} is a folder; give a CSV or JSONL file")
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    suffix = path.suffix.lower()
    rows: list[dict[str, object]] = []
    if suffix in (".jsonl", ".ndjson"):
        with path.open(encoding=encoding) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{path}:{n}: invalid JSON ({exc.msg})") from None
                if not isinstance(obj, dict):
                    raise DatasetError(f"{path}:{n}: expected a JSON object per line")
                rows.append(obj)
    elif suffix in (".csv", ".tsv"):
        with path.open(encoding=encoding, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t" if suffix == ".tsv" else ","))
    else:
        raise DatasetError(f"{path}: unsupported file type {suffix!r} (use .csv or .jsonl)")
    out: list[Example] = []
    for n, row in enumerate(rows, 1):
        if text_field not in row or label_field not in row:
            raise DatasetError(
                f"{path}: record {n} lacks {text_field!r} or {label_field!r} (has {sorted(row)})"
            )
        text, label = str(row[text_field] or "").strip(), str(row[label_field] or "").strip()
        if text and label:
            out.append(Example(text, label))
    if not out:
        raise DatasetError(f"{path}: no labelled examples")
    return out


def label_set(examples: Sequence[Example], configured: Sequence[str] = ()) -> list[str]:
    """The configured label set, or the sorted labels found in the data."""
    found = sorted({e.label for e in examples})
    if not configured:
        return found
    unknown = sorted(set(found) - set(configured))
    if unknown:
        raise DatasetError(
            f"labels {unknown} are in the data but not in EDDY_LABELS {list(configured)}"
        )
    return list(configured)


def stratified_split(
    examples: Sequence[Example], holdout_fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """Split keeping class proportions; every class with >= 2 examples lands in both parts."""
    by_label: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        by_label[e.label].append(e)
    rng = random.Random(seed)
    train: list[Example] = []
    hold: list[Example] = []
    for lab in sorted(by_label):
        items = by_label[lab][:]
        rng.shuffle(items)
        k = round(len(items) * holdout_fraction)
        if holdout_fraction > 0 and len(items) >= 2:
            k = min(max(k, 1), len(items) - 1)
        hold.extend(items[:k])
        train.extend(items[k:])
    rng.shuffle(train)
    rng.shuffle(hold)
    return train, hold
