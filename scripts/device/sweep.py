"""The bare model on a GPU, beside `eddy bench`: events/s of the classify worker's own
predict_proba (tokenize + length-sorted passes + forward) per precision and pass size, the
tokenizer alone, and the forward pass alone on pre-tokenized passes (the model-side
ceiling). ``python sweep.py OUT.json`` with EDDY_BASE_MODEL set; the head is untrained
(speed only)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from services.demo.airline import airline_tweets
from services.model.classifier import TextClassifier
from services.model.device import select_placement


def timed(fn: Callable[[], object], n: int) -> float:
    fn()  # warm-up
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return round(n / (time.perf_counter() - start), 1)


def _sweep(base: Path, device: str, precision: str, texts: list[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    place = select_placement(device, precision)
    clf = TextClassifier.load(base, place, labels=["negative", "neutral", "positive"],
                              max_length=64, pooling="mean")  # fmt: skip
    for size in (32, 256, 1024, 4096):
        eps = timed(lambda: clf.predict_proba(texts, size, None), len(texts))  # noqa: B023
        rows.append({"what": "predict_proba", "precision": precision, "pass": size, "eps": eps})
        print(rows[-1], flush=True)
    if precision == "bf16" or device != "cuda":
        enc = clf.tokenize(texts)
        plan = clf.plan(enc, 1024, None)
        batches = [clf.collate(enc, idx) for idx in plan]
        eps = timed(lambda: [clf.forward(b) for b in batches], len(texts))
        rows.append({"what": "forward only", "precision": precision, "pass": 1024, "eps": eps})
        print(rows[-1], flush=True)
        eps = timed(lambda: clf.tokenize(texts), len(texts))
        # The fast tokenizer's batch call, on its own threads (TOKENIZERS_PARALLELISM).
        rows.append({"what": "tokenize only", "precision": "-", "pass": len(texts), "eps": eps})
        print(rows[-1], flush=True)
    return rows


def main(out: Path) -> None:
    base = Path(os.environ["EDDY_BASE_MODEL"])
    device = os.environ.get("EDDY_DEVICE", "cuda")
    texts = [e.text for e in airline_tweets()]
    rows = []
    for precision in ("bf16", "fp16", "fp32") if device == "cuda" else ("fp32",):
        # One function call per precision: its model is freed before the next one loads.
        rows += _sweep(base, device, precision, texts)
    info = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0)
            if torch.cuda.is_available() else "cpu", "texts": len(texts), "rows": rows}  # fmt: skip
    out.write_text(json.dumps(info, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
