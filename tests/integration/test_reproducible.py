"""Training is seeded: the same data and settings give the same model, bit for bit."""

from __future__ import annotations

from pathlib import Path

from services.core.settings import Settings
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.training.bootstrap import bootstrap
from tests.conftest import seed_examples


def test_bootstrap_twice_gives_the_same_model(settings: Settings, tmp_path: Path) -> None:
    data = seed_examples(24, seed=3)
    probes = ["lost my bag again", "great crew, thanks", "flight delayed two hours"]
    outputs = []
    for i in range(2):
        s = settings.override(
            stack={"registry_dir": tmp_path / f"r{i}"}, trainer={"bootstrap_epochs": 1}
        )
        ref = bootstrap(s, Path("seed"), examples=data).ref
        clf = TextClassifier.load(ref.path, select_placement("cpu", "fp32"))
        outputs.append(clf.predict_proba(probes))
    assert outputs[0] == outputs[1]
