"""Which inference backend serves a model version: torch, or one of its ONNX exports.

Every version is exported when it is stored (``services.training.export``), and each export
carries in ``eddy.json`` the result of its parity check against the torch model on the gate's
holdout. Only an export that passed may serve. ``EDDY_BACKEND=auto`` times each candidate on
this machine when the version loads (the trainer's machine may be a GPU node, a classify
worker a CPU one) and keeps the fastest; a named backend is used when the version has it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from services.model.classifier import TextClassifier
from services.model.device import Placement
from services.registry.store import ModelRef

log = logging.getLogger("eddy.inference.backends")

TORCH = "torch"
ONNX = ("onnx-fp32", "onnx-int8")
# Texts of typical lengths for timing: the speed of a forward pass depends on the token
# count, not on the words, so no customer text is needed for it.
_TIMING_TEXTS = [
    " ".join(["flight"] * n) for n in (6, 9, 12, 15, 18, 21, 24, 27, 30, 36, 42, 48) * 8
]


@dataclass(frozen=True)
class Choice:
    backend: str
    speeds: dict[str, float]  # events/s per candidate, when timed
    reason: str


def passed_exports(meta: dict[str, Any]) -> list[str]:
    """The ONNX exports of a version that passed their parity check."""
    backends = meta.get("backends") or {}
    return [name for name in ONNX if (backends.get(name) or {}).get("passed")]


def load_backend(
    ref: ModelRef, backend: str, placement: Placement, max_length: int, threads: int | None
) -> Any:
    """A classifier of ``ref`` on ``backend`` (same interface as TextClassifier)."""
    if backend == TORCH:
        return TextClassifier.load(ref.path, placement, version=ref.version, max_length=max_length)
    from services.model.onnx_backend import OnnxClassifier

    entry = (ref.meta.get("backends") or {})[backend]
    return OnnxClassifier.load(
        ref.path,
        ref.path / str(entry["file"]),
        placement,
        max_length=max_length,
        version=ref.version,
        threads=threads,
    )


def _speed(clf: Any, chunk: int, max_tokens: int | None) -> float:
    clf.predict_proba(_TIMING_TEXTS[:chunk], chunk, max_tokens)  # warm-up
    start = time.perf_counter()
    clf.predict_proba(_TIMING_TEXTS, chunk, max_tokens)
    return len(_TIMING_TEXTS) / (time.perf_counter() - start)


def candidates(setting: str, meta: dict[str, Any]) -> list[str]:
    exports = passed_exports(meta)
    if setting == "auto":
        return [TORCH, *exports]
    if setting == TORCH or setting in exports:
        return [setting]
    return [TORCH]  # the named export is missing or failed its parity check


def choose_and_load(
    ref: ModelRef,
    setting: str,
    placement: Placement,
    max_length: int,
    threads: int | None,
    chunk: int,
    max_tokens: int | None,
    timed: dict[str, float] | None = None,
) -> tuple[Any, Choice]:
    """Load the backend ``setting`` asks for; with several candidates, time each here and
    keep the fastest (a candidate that fails to load is skipped, torch always remains).
    ``timed``: speeds measured here for an earlier version of the same architecture; when
    they cover every candidate, the new version loads only the fastest, so a promotion under
    load costs one model load, not a timing run competing with the one serving."""
    names = candidates(setting, ref.meta)
    if len(names) == 1:
        reason = "EDDY_BACKEND" if names[0] == setting else f"{setting} not available"
        clf = load_backend(ref, names[0], placement, max_length, threads)
        return clf, Choice(names[0], {}, reason)
    earlier = timed or {}
    if earlier and set(names) <= set(earlier):
        best = max(names, key=lambda n: earlier[n])
        clf = load_backend(ref, best, placement, max_length, threads)
        return clf, Choice(best, dict(earlier), "fastest here (timed at an earlier version)")
    speeds: dict[str, float] = {}
    loaded: dict[str, Any] = {}
    for name in names:
        try:
            loaded[name] = load_backend(ref, name, placement, max_length, threads)
            speeds[name] = round(_speed(loaded[name], chunk, max_tokens), 1)
        except Exception:
            log.exception("v%s: backend %s does not load; skipped", ref.version, name)
            loaded.pop(name, None)
    best = max(speeds, key=lambda n: speeds[n]) if speeds else TORCH
    if best not in loaded:
        loaded[best] = load_backend(ref, best, placement, max_length, threads)
    ranked = ", ".join(f"{n} {v:.0f}/s" for n, v in sorted(speeds.items(), key=lambda kv: -kv[1]))
    return loaded[best], Choice(best, speeds, f"fastest here ({ranked})")
