"""The model alone, without the stream: a naive per-event Hugging Face pipeline, and each
backend's bare forward passes in the classify worker's micro-batches."""

from __future__ import annotations

import time
import warnings

from services.core.settings import Settings
from services.inference.backends import TORCH, load_backend, passed_exports
from services.model.device import Placement
from services.registry.store import ModelRef


def naive_pipeline_eps(ref: ModelRef, placement: Placement, texts: list[str]) -> float:
    """What a first integration would write: `pipeline("text-classification")` called once
    per event, as events arrive."""
    from transformers import AutoTokenizer, pipeline

    from services.model.pooling import load_sequence_model

    path = str(ref.path)
    model = load_sequence_model(ref.path)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    max_length = int(ref.meta.get("max_length", 64))
    with warnings.catch_warnings():
        # "use a dataset for efficiency": calling it per event is exactly what is measured.
        warnings.simplefilter("ignore")
        pipe = pipeline(
            "text-classification", model=model, tokenizer=tokenizer, device=placement.device
        )
        for text in texts[:8]:  # warm-up
            pipe(text, truncation=True, max_length=max_length)
        start = time.perf_counter()
        for text in texts:
            pipe(text, truncation=True, max_length=max_length)
    return len(texts) / (time.perf_counter() - start)


def bare_eps(clf: object, texts: list[str], batch: int, max_tokens: int | None) -> float:
    """Forward passes only, in the classify worker's micro-batches and token budget."""
    predict = clf.predict_proba  # type: ignore[attr-defined]
    predict(texts[: batch * 2], batch, max_tokens)  # warm-up
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        predict(texts[i : i + batch], batch, max_tokens)
    return len(texts) / (time.perf_counter() - start)


def bare_by_backend(
    s: Settings, ref: ModelRef, placement: Placement, texts: list[str]
) -> dict[str, float]:
    """Events/s of each backend this version can serve (torch, and the ONNX exports that
    passed their parity check), on the same texts."""
    max_length = int(ref.meta.get("max_length", s.model.max_length))
    out: dict[str, float] = {}
    for name in [TORCH, *passed_exports(ref.meta)]:
        clf = load_backend(ref, name, placement, max_length, s.model.torch_threads or None)
        eps = bare_eps(clf, texts, s.model.batch_max_size, s.model.batch_max_tokens or None)
        out[name] = round(eps, 1)
        del clf
    return out
