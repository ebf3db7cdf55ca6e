"""Storing a version with its ONNX exports, each checked against the torch model.

Every new version is exported (fp32 and dynamic int8) when it is stored. An export may serve
only if, on the gate's holdout, its accuracy is within 0.5 point of the torch model's and it
agrees with it on at least 99% of the examples; the figures and the verdict go into
``eddy.json`` under ``backends``, where the classify worker reads them
(``services.inference.backends``). An export that fails, or a holdout too small to judge,
never stops the version being stored: it is then served by torch.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.model.classifier import TextClassifier
from services.model.train import predict_labels
from services.registry.store import ModelRef, ModelRegistry
from services.training.examples import Example

log = logging.getLogger("eddy.training.export")
Say = Callable[[str], None]
FILES = {"onnx-fp32": "onnx/model.onnx", "onnx-int8": "onnx/model.int8.onnx"}


def check_exports(
    clf: TextClassifier, model_dir: Path, holdout: list[Example]
) -> dict[str, dict[str, Any]]:
    """Export ``model_dir`` (a saved copy of ``clf``) to ONNX next to it, and check each
    export against ``clf`` on ``holdout``."""
    from services.model.onnx_backend import OnnxClassifier
    from services.model.onnx_export import export_onnx
    from services.model.parity import parity

    try:
        export_onnx(model_dir, model_dir / "onnx", int8=True)
    except Exception as exc:  # an exporter bug must not cost the version
        log.exception("ONNX export failed")
        return {n: {"passed": False, "reason": f"export failed: {exc}"} for n in FILES}
    texts, gold = [e.text for e in holdout], [e.label for e in holdout]
    reference = predict_labels(clf, texts) if texts else []
    out: dict[str, dict[str, Any]] = {}
    for name, rel in FILES.items():
        try:
            onnx = OnnxClassifier.load(
                model_dir, model_dir / rel, clf.placement, max_length=clf.max_length
            )
            result = parity(reference, predict_labels(onnx, texts) if texts else [], gold)
            out[name] = {"file": rel, **result.as_dict()}
        except Exception as exc:
            log.exception("ONNX %s does not load or predict", name)
            out[name] = {"file": rel, "passed": False, "reason": f"does not run: {exc}"}
    return out


def store_version(
    registry: ModelRegistry,
    clf: TextClassifier,
    meta: dict[str, Any],
    holdout: list[Example],
    export: bool,
    say: Say = lambda _m: None,
) -> ModelRef:
    """``registry.add`` of ``clf``, with its checked ONNX exports when ``export``."""
    if not export:
        return registry.add(clf.save, {**meta, "backends": {}})
    work = Path(tempfile.mkdtemp(prefix="eddy-export-"))
    try:
        clf.save(work)
        backends = check_exports(clf, work, holdout)
        for name, entry in backends.items():
            say(f"{name}: {entry.get('reason', '-')}")

        def write(d: Path) -> None:
            for item in work.iterdir():
                shutil.move(str(item), d / item.name)

        return registry.add(write, {**meta, "backends": backends})
    finally:
        shutil.rmtree(work, ignore_errors=True)
