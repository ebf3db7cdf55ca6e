from typing import Any

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


def _predict(interaction: dict[str, Any]) -> dict[str, Any]:
    return to_prediction(
        interaction,
        [0.1, 0.7, 0.2],
        ["neg", "neu", "pos"],
        4,
        now="2026-11-01T00:00:01.250Z",
        batch_size=8,
        inference_ms=12.5,
        device="cpu",
        precision="fp32",
    )


def test_prediction_record_is_schema_valid_and_names_version() -> None:
    pred = _predict(INTERACTION)
    assert validate("prediction", pred) == []
    assert pred["label"] == "neu" and pred["confidence"] == 0.7 and pred["model_version"] == 4
    assert pred["timings"]["queue_ms"] == pytest.approx(250.0)
    assert "produced_at" not in pred  # the interaction does not say when it was produced


def test_prediction_says_when_its_event_was_produced() -> None:
    source = {"topic": "channel.chat.v1", "partition": 0, "offset": 7,
              "timestamp_ms": 1_793_577_600_500}  # fmt: skip
    pred = _predict({**INTERACTION, "source": source})
    assert validate("prediction", pred) == []
    assert pred["produced_at"] == "2026-11-02T00:00:00.500Z"


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


NOW = "2026-11-01T00:00:02Z"


def test_prediction_and_review_ids_are_stable_per_event_and_version() -> None:
    from services.routing.router import Router
    from services.routing.strategies import Margin

    def pred(version: int, channel: str = "chat", now: str = NOW) -> dict[str, Any]:
        return to_prediction(
            {**INTERACTION, "channel": channel}, [0.5, 0.5], ["a", "b"], version, now=now,
            batch_size=1, inference_ms=1.0, device="cpu", precision="fp32",
        )  # fmt: skip

    first, again = pred(4), pred(4, now="2026-11-02T00:00:00Z")
    assert first["prediction_id"] == again["prediction_id"], "a redelivery keeps the id"
    assert pred(5)["prediction_id"] != first["prediction_id"], "a new version is a new prediction"
    assert pred(4, "crm")["prediction_id"] != first["prediction_id"], "ids are per channel"
    router = Router(Margin(), 0.0, {})
    r1 = router.route(first, "2026-11-01T00:00:03Z")
    r2 = router.route(again, "2026-11-02T00:00:03Z")
    assert r1 is not None and r2 is not None and r1["review_id"] == r2["review_id"]
    assert validate("review", r1) == []
