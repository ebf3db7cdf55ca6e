import pytest

from services.core.schemas import validate
from services.inference.predictions import to_prediction

INTERACTION = {
    "event_id": "e1",
    "channel": "chat",
    "key": "conv-1",
    "text": "hi",
    "occurred_at": "2026-11-01T00:00:00Z",
    "received_at": "2026-11-01T00:00:01Z",
    "metadata": {"author_role": "customer"},
}


def test_prediction_record_is_schema_valid_and_names_version() -> None:
    pred = to_prediction(
        INTERACTION,
        [0.1, 0.7, 0.2],
        ["neg", "neu", "pos"],
        4,
        now="2026-11-01T00:00:01.250Z",
        batch_size=8,
        inference_ms=12.5,
        device="cpu",
        precision="fp32",
    )
    assert validate("prediction", pred) == []
    assert pred["label"] == "neu" and pred["confidence"] == 0.7 and pred["model_version"] == 4
    assert pred["timings"]["queue_ms"] == pytest.approx(250.0)


def test_label_count_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError):
        to_prediction(
            INTERACTION,
            [1.0],
            ["a", "b"],
            1,
            now="x",
            batch_size=1,
            inference_ms=1,
            device="cpu",
            precision="fp32",
        )
