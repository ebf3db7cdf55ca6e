"""Comparable scores on real models: every version is scored on the same evaluation set, and
all of them again when the set grows; nothing is re-scored when nothing changed."""

from __future__ import annotations

from pathlib import Path

from services.core.settings import Settings
from services.model.device import select_placement
from services.registry.store import ModelRegistry
from services.training.evaluation import EvalExample, rescore
from tests.conftest import seed_examples
from tests.helpers import copy_models


def test_every_version_rescored_on_the_same_grown_set(
    settings: Settings, champion: int, tmp_path: Path
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
