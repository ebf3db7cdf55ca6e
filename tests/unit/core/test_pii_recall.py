"""Recall per PII type on Eddy's own corpus (tests/data/pii_corpus.jsonl), and texts with no
PII left alone. The corpus was written alongside the recognisers, so these figures are
in-sample: a floor against regressions, not an estimate on real traffic."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from services.core.redact import redact

CORPUS = Path(__file__).resolve().parents[2] / "data" / "pii_corpus.jsonl"


def test_recall_per_type_and_clean_texts() -> None:
    total, found = Counter[str](), Counter[str]()
    changed_clean = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        out = redact(case["text"]).text
        if not case["pii"] and out != case["text"]:
            changed_clean.append(case["text"])
        for p in case["pii"]:
            total[p["type"]] += 1
            found[p["type"]] += p["value"] not in out
    recall = {t: found[t] / total[t] for t in total}
    assert set(recall) >= {"email", "phone", "card", "iban", "ip", "dob", "passport", "address",
                           "name", "account"}  # fmt: skip
    assert all(r >= 0.9 for r in recall.values()), recall
    # One known false positive: "My Name Is ..." written in title case.
    assert len(changed_clean) <= 1, changed_clean
