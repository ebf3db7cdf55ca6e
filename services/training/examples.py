"""Labelled examples: read from CSV / JSONL files, split into train and holdout."""

from __future__ import annotations

import csv
import json
import random
import shlex
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
    empty text or label are left out, counted in ``skipped`` by reason. Errors name the
    file's line."""
    if path.is_dir():
        raise DatasetError(f"{path} is a folder; give a CSV or JSONL file")
    if not path.exists():  # a named pipe is read too (not is_file)
        raise DatasetError(f"{path}: no such file")
    try:
        rows = _rows(path, encoding)
    except UnicodeDecodeError:
        raise DatasetError(_not_utf8(path)) from None
    except (OSError, csv.Error) as exc:  # unreadable; a stray quote swallowing the file
        raise DatasetError(f"{path}: cannot be read ({exc})") from None
    out: list[Example] = []
    for line, row in rows:
        where = f"{path}:{line}"
        if None in row:  # csv's key for the fields beyond the header's
            raise DatasetError(
                f"{where}: more fields than the header's {len(row) - 1}"
                f"{_delimiter_hint(row) or '; a text holding a comma must be in double quotes'}"
            )
        if text_field not in row or label_field not in row:
            raise DatasetError(
                f"{where}: no {text_field!r} or {label_field!r} column (has "
                f"{sorted(map(str, row))}){_delimiter_hint(row)}"
            )
        text, label = _cell(where, row, text_field), _cell(where, row, label_field)
        if text and label:
            out.append(Example(text, label))
        elif skipped is not None:
            skipped["empty text" if not text else "empty label"] += 1
    if not out:
        raise DatasetError(f"{path}: no labelled examples")
    return out


Row = dict[str | None, object]


def _rows(path: Path, encoding: str) -> list[tuple[int, Row]]:
    """(the file's line where each record starts, the record)."""
    suffix = path.suffix.lower()
    rows: list[tuple[int, Row]] = []
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
                rows.append((n, obj))
        return rows
    if suffix in (".csv", ".tsv"):
        with path.open(encoding=encoding, newline="") as f:
            reader = csv.DictReader(f, delimiter="\t" if suffix == ".tsv" else ",")
            start = 2  # the header is line 1
            for record in reader:
                rows.append((start, dict(record)))
                start = reader.line_num + 1
        return rows
    raise DatasetError(f"{path}: unsupported file type {suffix!r} (use .csv or .jsonl)")


def _not_utf8(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return (
            f"{path}: UTF-16; save it as UTF-8: `iconv -f utf-16 -t utf-8 {shlex.quote(str(path))}`"
        )
    try:
        data.decode("utf-8-sig")
        bad = 0
    except UnicodeDecodeError as exc:  # over the whole file: the offset is the file's
        bad = exc.start
    line = data.count(b"\n", 0, bad) + 1
    return (
        f"{path}:{line}: not UTF-8 (byte 0x{data[bad]:02x}); save it as UTF-8, e.g. from "
        f"Excel's Windows encoding: `iconv -f windows-1252 -t utf-8 {shlex.quote(str(path))}`"
    )


def _cell(where: str, row: Row, field: str) -> str:
    """A text or label as a string: numbers too (a label 0 is a class, not a missing one)."""
    value = row[field]
    if value is None:
        return ""
    if isinstance(value, str | int | float):
        return str(value).strip()
    raise DatasetError(
        f"{where}: {field!r} must be a string or a number, not {type(value).__name__}"
    )


def _delimiter_hint(row: Row) -> str:
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
