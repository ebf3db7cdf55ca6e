from __future__ import annotations

from pathlib import Path

import pytest

from services.core.settings import Settings
from services.demo.options import DemoOptions, demo_settings, load_data


def test_demo_reads_any_labelled_dataset_and_splits_it(tmp_path: Path) -> None:
    data = tmp_path / "intents.csv"
    rows = ["text,label"] + [
        f"message number {i},{['refund', 'delay', 'praise'][i % 3]}" for i in range(60)
    ]
    data.write_text("\n".join(rows) + "\n")
    seed, held, stream = load_data(DemoOptions(dataset=data, seed_size=12, eval_size=18))
    assert (len(seed), len(held), len(stream)) == (12, 18, 30)
    assert {e.label for e in seed + held + stream} == {"refund", "delay", "praise"}
    assert not {e.text for e in held} & {e.text for e in seed + stream}
    with pytest.raises(ValueError, match="needs more"):
        load_data(DemoOptions(dataset=data, seed_size=50, eval_size=50))
    s = demo_settings(
        Settings().override(stack={"data_dir": tmp_path, "model_store": "s3://shared/eddy"}), "r1"
    )
    assert s.stack.models_dir == tmp_path / "demo-runs" / "r1" / "models"
    assert s.stack.model_store == "", "a demo never writes to a shared model store"
    assert s.kafka.topic_prefix.startswith("demor1.") and s.label_studio.project.endswith("r1")
    assert s.routing.threshold == 0.62
    # The demo's own broker: topics in memory, no S3 emulator taking CPU from the trainer.
    assert s.stack.broker_storage == "memory://tansu/" and not s.stack.durable_broker
    assert (
        demo_settings(Settings(), "r2", DemoOptions(review_threshold=0.45)).routing.threshold
        == 0.45
    )
    assert s.routing.audit_share == 0.05
    # Rebuilds average three 4-epoch runs (a model soup, README § Training recipe).
    assert (s.trainer.bootstrap_members, s.trainer.bootstrap_epochs) == (3, 4)
    assert s.trainer.pseudo_labels == 0
    # 60 of the 150 seed examples held out: the first run waits for 40 audit labels, not 80.
    assert s.trainer.bootstrap_holdout_fraction == 0.4
    assert (
        demo_settings(
            Settings(), "r5", DemoOptions(seed_holdout=0.2)
        ).trainer.bootstrap_holdout_fraction
        == 0.2
    )
    # Warm after the first rebuild (45-60 routed labels); the services keep 200.
    assert s.trainer.rebuild_below == 40 and Settings().trainer.rebuild_below == 200
    assert (
        demo_settings(Settings(), "r6", DemoOptions(rebuild_below=200)).trainer.rebuild_below == 200
    )
    # Self-training: one 4-epoch run on the labels and the pseudo-labels.
    p = demo_settings(Settings(), "r4", DemoOptions(pseudo_labels=400)).trainer
    assert (p.pseudo_labels, p.bootstrap_members, p.bootstrap_epochs) == (400, 1, 4)
    assert (
        demo_settings(Settings(), "r3", DemoOptions(audit_share=0.03)).routing.audit_share == 0.03
    )
