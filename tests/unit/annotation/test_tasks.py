from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from services.annotation.tasks import (
    NotOurTask,
    choice_result,
    definition_notes,
    instructions_html,
    labeling_config,
    parse_annotation,
    priority,
    task_for_review,
)
from services.labels.threads import NO_CONTEXT

REVIEW = {
    "event_id": "chat-1",
    "channel": "chat",
    "key": "conv-1",
    "text": "where is my bag [EMAIL]",
    "label": "negative",
    "probs": {"negative": 0.5, "neutral": 0.3, "positive": 0.2},
    "confidence": 0.5,
    "model_version": 3,
    "metadata": {"locale": "en-US", "source": "web", "nested": {"x": 1}},
    "strategy": "least_confidence",
    "score": 0.5,
    "threshold": 0.4,
    "routed_at": "2026-01-01T00:00:00Z",
}


def test_labeling_config_is_xml_with_one_choice_per_label() -> None:
    root = ET.fromstring(labeling_config(["neg", 'we"ird', "pos"]))
    choices = [c.attrib["value"] for c in root.iter("Choice")]
    assert choices == ["neg", 'we"ird', "pos"]
    choices_tag = root.find("Choices")
    assert choices_tag is not None and choices_tag.attrib["choice"] == "single-radio"
    with pytest.raises(ValueError):
        labeling_config([])


def test_task_carries_its_queue_place_and_metadata_and_no_guess_by_default() -> None:
    task = task_for_review(REVIEW)
    assert task["data"]["event_id"] == "chat-1" and task["data"]["channel"] == "chat"
    assert "locale: en-US" in task["data"]["meta"] and "nested" not in task["data"]["meta"]
    pred = task["predictions"][0]
    assert pred["model_version"] == "v3" and pred["score"] == 0.5
    # Blind: nothing pre-selected, and the model's label nowhere in the task (its JSON is
    # one click away for an annotator), so an audit answer is the annotator's own.
    assert pred["result"] == [] and "negative" not in str(task)
    config = labeling_config(["negative", "positive"])
    assert "model says" not in config and "$model_label" not in config


def test_suggest_pre_selects_the_models_guess_and_names_it() -> None:
    task = task_for_review(REVIEW, suggest=True)
    assert task["predictions"][0]["result"][0]["value"]["choices"] == ["negative"]
    assert task["data"]["model_label"] == "negative"
    assert "model says $model_label" in labeling_config(["negative"], suggest=True)
    assert "pre-selected" in instructions_html("Read it.", ["negative"], {}, suggest=True)
    assert "pre-selected" not in instructions_html("Read it.", ["negative"], {})


def test_an_audit_pick_looks_and_sorts_like_a_routed_case() -> None:
    """Its confidence is shown nowhere, and its queue score is a draw in the routed cases'
    range (1 - threshold), fixed by its event id, not the near-1 certainty that would sort it
    last and give it away."""
    sure = {**REVIEW, "confidence": 0.99, "score": 0.01, "threshold": 0.4}
    routed = task_for_review(sure)
    assert routed["predictions"][0]["score"] == 0.99
    draws = []
    for n in range(200):
        audit = {**sure, "event_id": f"chat-{n}", "sample": "audit"}
        task = task_for_review(audit)
        assert "0.99" not in str(task["data"]) and "confidence" not in str(task["data"])
        draws.append(task["predictions"][0]["score"])
        assert priority(audit) == priority({**audit, "score": 0.7}), "by its id, not its score"
    assert all(0.0 <= d <= 0.6 for d in draws)
    assert 0.2 < sum(draws) / len(draws) < 0.4, "spread over the range, not bunched"
    random_pick = {**sure, "sample": "random"}
    assert priority(random_pick) <= 0.6
    assert "$model_confidence" not in labeling_config(["neg", "pos"])


def _ann(**kw: object) -> dict[str, object]:
    base = {
        "id": 7,
        "task": 5,
        "result": [
            {
                "from_name": "label",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["positive"]},
            }
        ],
        "was_cancelled": False,
        "completed_by": 1,
        "updated_at": "2026-01-01T00:00:00.5Z",
    }
    return {**base, **kw}


TASK = {"id": 5, "data": {"event_id": "chat-1", "channel": "chat", "text": "t"}}


def test_parse_submitted_skipped_and_out_of_set() -> None:
    rec = parse_annotation(_ann(), TASK, "webhook", ["negative", "positive"])
    assert (rec.label, rec.status, rec.annotator, rec.event_id) == (
        "positive",
        "submitted",
        "1",
        "chat-1",
    )
    assert "text" not in rec.label_event()
    skipped = parse_annotation(_ann(was_cancelled=True), TASK, "poll")
    assert (skipped.label, skipped.status) == (None, "skipped")
    odd = parse_annotation(_ann(), TASK, "poll", ["negative", "neutral"])
    assert (odd.label, odd.status) == (None, "cancelled")
    empty = parse_annotation(_ann(result=[]), TASK, "poll")
    assert empty.status == "cancelled"
    with pytest.raises(NotOurTask):
        parse_annotation(_ann(), {"id": 9, "data": {"text": "manual"}}, "poll")


def test_origin_says_whether_the_pre_annotation_was_accepted_unchanged() -> None:
    def with_origin(origin: str) -> dict[str, Any]:
        return _ann(result=[{**choice_result("negative"), "origin": origin}])

    accepted = parse_annotation(with_origin("prediction"), TASK, "webhook")
    assert accepted.origin == "prediction"
    assert accepted.label_event()["origin"] == "prediction"
    changed = parse_annotation(with_origin("prediction-changed"), TASK, "webhook")
    assert changed.origin == "prediction-changed"
    assert parse_annotation(_ann(), TASK, "poll").origin is None


def test_definitions_become_hints_and_the_context_is_shown() -> None:
    root = ET.fromstring(labeling_config(["neg", "pos"], {"neg": "a complaint"}))
    hints = {c.attrib["value"]: c.attrib.get("hint") for c in root.iter("Choice")}
    assert hints == {"neg": "a complaint", "pos": None}
    assert {t.attrib["value"] for t in root.iter("Text")} >= {"$text", "$context"}
    task = task_for_review(REVIEW, "customer: where is my bag")
    assert task["data"]["context"] == "customer: where is my bag"
    assert task_for_review(REVIEW)["data"]["context"] == NO_CONTEXT


def test_definitions_that_annotators_would_never_see_are_reported() -> None:
    labels = ["negative", "neutral", "positive"]
    assert "is empty" in definition_notes(labels, {})[0]
    whole = {"negative": "a complaint", "neutral": "a question", "positive": "praise"}
    assert definition_notes(labels, whole) == []
    notes = definition_notes(labels, {**whole, "angry": "very cross"})
    assert notes == [
        "EDDY_LABEL_DEFINITIONS names angry, not in the label set (negative, neutral, "
        "positive): annotators never see it"
    ]
    assert definition_notes(labels, {"negative": "a complaint"}) == [
        "EDDY_LABEL_DEFINITIONS has no definition of neutral, positive"
    ]
