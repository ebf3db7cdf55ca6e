"""Every stored version is exported to ONNX and each export checked against torch on the
holdout; the classify worker serves only exports that passed, and picks by timing."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.core.settings import Settings
from services.inference.backends import TORCH, choose_and_load, passed_exports
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.onnx_backend import OnnxClassifier
from services.registry.store import ModelRegistry
from services.training.export import FILES, store_version
from services.training.seedstore import seed_holdout

pytestmark = pytest.mark.integration


def test_a_stored_version_carries_checked_exports_and_serves_the_fastest(
    tmp_path: Path, settings: Settings, champion: int
) -> None:
    session = ModelRegistry(settings.stack.models_dir)
    placement = select_placement("cpu")
    clf = TextClassifier.load(session.get(champion).path, placement, version=champion)
    holdout = seed_holdout(session)
    assert len(holdout) >= 20
    reg = ModelRegistry(tmp_path / "models")
    said: list[str] = []
    ref = store_version(reg, clf, {"labels": clf.labels}, holdout, True, said.append)
    backends = ref.meta["backends"]
    assert set(backends) == set(FILES) and len(said) == len(FILES)
    for name, entry in backends.items():
        assert (ref.path / entry["file"]).is_file(), name
        assert entry["n"] == len(holdout) and 0.0 <= entry["agreement"] <= 1.0, entry
        assert entry["passed"] == (
            entry["agreement"] >= 0.99
            and entry["reference_accuracy"] - entry["candidate_accuracy"] <= 0.005 + 1e-9
        ), entry
    # fp32 ONNX computes what torch computes.
    assert backends["onnx-fp32"]["passed"] and backends["onnx-fp32"]["agreement"] == 1.0
    onnx = OnnxClassifier.load(ref.path, ref.path / FILES["onnx-fp32"], placement)
    texts = [e.text for e in holdout[:16]]
    for a, b in zip(clf.predict_proba(texts), onnx.predict_proba(texts), strict=True):
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-4

    passed = passed_exports(ref.meta)
    served, choice = choose_and_load(ref, "auto", placement, 64, None, 32, 2048)
    assert set(choice.speeds) == {TORCH, *passed}
    assert choice.backend == max(choice.speeds, key=lambda n: choice.speeds[n])
    assert served.backend.startswith(choice.backend.split("-")[0])
    # The next version reuses these timings: only the fastest is loaded, nothing is timed.
    _, again = choose_and_load(ref, "auto", placement, 64, None, 32, 2048, choice.speeds)
    assert again.backend == choice.backend and "earlier version" in again.reason
    _, forced = choose_and_load(ref, "torch", placement, 64, None, 32, 2048)
    assert forced.backend == TORCH and not forced.speeds
    if "onnx-int8" not in passed:  # a failed export never serves, even when asked for
        _, refused = choose_and_load(ref, "onnx-int8", placement, 64, None, 32, 2048)
        assert refused.backend == TORCH and "not available" in refused.reason


def test_no_export_when_turned_off(tmp_path: Path, settings: Settings, champion: int) -> None:
    session = ModelRegistry(settings.stack.models_dir)
    clf = TextClassifier.load(session.get(champion).path, select_placement("cpu"))
    ref = store_version(ModelRegistry(tmp_path / "m"), clf, {"labels": clf.labels}, [], False)
    assert ref.meta["backends"] == {} and not (ref.path / "onnx").exists()
