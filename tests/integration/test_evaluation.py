"""Comparable scores on real models: every version is scored on the same evaluation set, and
all of them again when the set grows; nothing is re-scored when nothing changed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from services.core.settings import Settings
from services.model import train as model_train
from services.model.device import select_placement
from services.registry.store import ModelRegistry
from services.training.evaluation import EvalExample, needs_rescore, predictions_file, rescore
from services.training.pruning import prune_registry
from tests.conftest import seed_examples
from tests.helpers import copy_models


def test_every_version_rescored_on_the_same_grown_set(
    settings: Settings, champion: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = ModelRegistry(settings.stack.models_dir)
    reg = ModelRegistry(tmp_path / "models")
    for _ in range(2):  # two versions (the same weights twice is enough to compare)
        ref = source.get(champion)
        reg.add(lambda d, p=ref.path: copy_models(p, d), ref.meta)
    reg.set_champion(2)
    data = seed_examples(60, seed=21)
    channels = ("chat", "crm", "ads")
    first = [
        EvalExample(e.text, e.label, channels[i % 3], "audit") for i, e in enumerate(data[:30])
    ]
    said: list[str] = []
    cpu = select_placement("cpu")
    doc = rescore(reg, first, cpu, 64, said.append)
    assert doc["size"] == 30 and doc["audit"] == 30 and set(doc["versions"]) == {"1", "2"}
    assert all(v["n"] == 30 for v in doc["versions"].values())
    assert doc["versions"]["1"] == doc["versions"]["2"], "same weights, same set, same score"
    assert doc["champion"] == 2 and set(doc["champion_estimate"]) == {*channels, "all"}
    assert said and "2 version(s)" in said[0]

    said.clear()
    again = rescore(reg, first, cpu, 64, said.append)
    assert not said and again["versions"] == doc["versions"], "nothing changed, nothing scored"

    grown = first + [EvalExample(e.text, e.label, "chat", "audit") for e in data[30:]]
    later = rescore(reg, grown, cpu, 64, said.append)
    assert later["fingerprint"] != doc["fingerprint"]
    assert all(v["n"] == 60 for v in later["versions"].values()), "all re-scored on the new set"
    # Each version's earlier answers are read back: only the 30 new texts were predicted, and
    # the scores are those of a scoring from scratch.
    for v in (1, 2):
        kept = reg.read_json(predictions_file(v)) or {}
        assert len(kept["predictions"]) == 60, "the current set's answers, no more"
    fresh = ModelRegistry(tmp_path / "fresh")
    for _ in range(2):
        ref = source.get(champion)
        fresh.add(lambda d, p=ref.path: copy_models(p, d), ref.meta)
    fresh.set_champion(2)
    assert rescore(fresh, grown, cpu, 64)["versions"] == later["versions"]
    predicted: list[int] = []
    real = model_train.predict_labels

    def counted(clf: Any, texts: Sequence[str]) -> list[str]:
        predicted.append(len(texts))
        return real(clf, texts)

    monkeypatch.setattr(model_train, "predict_labels", counted)
    more = grown + [EvalExample(f"{e.text} (again)", e.label, "ads", "audit") for e in data[:5]]
    more_scores = rescore(reg, more, cpu, 64)["versions"]
    assert predicted == [5, 5], "two versions, the five new texts each"

    # v1's weights pruned (EDDY_REGISTRY_KEEP): the next growth scores v2 alone, v1 keeps its
    # last score, marked, and nothing asks for it again.
    assert prune_registry(reg, 1).retention.prune == [1]
    predicted.clear()
    most = more + [EvalExample(f"{e.text} (third)", e.label, "crm", "audit") for e in data[:3]]
    last = rescore(reg, most, cpu, 64)
    assert predicted == [3], "v2 only"
    assert last["versions"]["1"] == {**more_scores["1"], "stale": True, "pruned": True}
    assert not needs_rescore(last, 2, reg.versions())
