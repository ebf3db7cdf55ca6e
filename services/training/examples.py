"""Labelled examples: read from CSV / JSONL files, split into train and holdout."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter, defaultdict
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
    path: Path,
    text_field: str = "text",
    label_field: str = "label",
    encoding: str = "utf-8-sig",  # a BOM (Excel's UTF-8) is not part of the first column
    skipped: Counter[str] | None = None,
) -> list[Example]:
    """Read a CSV (header row) or JSONL file with a text and a label column. Records with an
    empty text or label are left out, counted in ``skipped`` by reason."""
    if path.is_dir():
        raise DatasetError(f"{path} is a folder; give a CSV or JSONL file")
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    try:
        rows = _rows(path, encoding)
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"{path}: not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            f"save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 {path.name} > utf8-{path.name}`"
        ) from None
    out: list[Example] = []
    for n, row in enumerate(rows, 1):
        if None in row:  # csv's key for the fields beyond the header's
            raise DatasetError(
                f"{path}: record {n} has more fields than the header ({len(row) - 1} columns)"
                f"{_delimiter_hint(row) or '; is the file comma-separated?'}"
            )
        if text_field not in row or label_field not in row:
            raise DatasetError(
                f"{path}: record {n} lacks {text_field!r} or {label_field!r} (has "
                f"{sorted(map(str, row))}){_delimiter_hint(row)}"
            )
        text, label = _cell(path, n, row, text_field), _cell(path, n, row, label_field)
        if text and label:
            out.append(Example(text, label))
        elif skipped is not None:
            skipped["empty text" if not text else "empty label"] += 1
    if not out:
        raise DatasetError(f"{path}: no labelled examples")
    return out


def _rows(path: Path, encoding: str) -> list[dict[str | None, object]]:
    suffix = path.suffix.lower()
    rows: list[dict[str | None, object]] = []
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
        return rows
    if suffix in (".csv", ".tsv"):
        with path.open(encoding=encoding, newline="") as f:
            return list(csv.DictReader(f, delimiter="\t" if suffix == ".tsv" else ","))
    raise DatasetError(f"{path}: unsupported file type {suffix!r} (use .csv or .jsonl)")


def _cell(path: Path, n: int, row: dict[str | None, object], field: str) -> str:
    """A text or label as a string: numbers too (a label 0 is a class, not a missing one)."""
    value = row[field]
    if value is None:
        return ""
    if isinstance(value, str | int | float):
        return str(value).strip()
    raise DatasetError(
        f"{path}: record {n}: {field!r} must be a string or a number, not {type(value).__name__}"
    )


def _delimiter_hint(row: dict[str | None, object]) -> str:
    names = [name for name in row if name is not None]
    if len(names) == 1:
        (header,) = names
        for sep, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if header and sep in header:
                return f"; it looks {name}-separated: Eddy reads comma-separated CSV"
    return ""


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
