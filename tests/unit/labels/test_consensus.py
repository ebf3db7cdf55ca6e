"""Consensus of several annotators' votes and instant comparison."""

from __future__ import annotations

from services.labels.consensus import consensus, is_newer


def test_consensus_majority_tie_and_skips() -> None:
    c = consensus([("submitted", "a"), ("submitted", "a"), ("submitted", "b")])
    assert c.label == "a" and c.agreement == 0.6667 and c.annotators == 3
    assert consensus([("submitted", "a"), ("submitted", "b")]).label is None
    assert consensus([("skipped", None), ("submitted", "b")]).label == "b"
    assert not consensus([("deleted", None)]).resolved


def test_newer_compares_instants_not_strings() -> None:
    assert is_newer("2026-01-01T10:00:00.5Z", "2026-01-01T10:00:00Z")
    assert not is_newer("2026-01-01T11:00:00+01:00", "2026-01-01T10:00:00Z")
    assert is_newer("2026-01-01T10:00:00Z", None)


def test_a_one_click_accept_weighs_half_a_chosen_answer() -> None:
    # One annotator accepted the model's guess in one click, one chose otherwise: the choice wins.
    c = consensus([("submitted", "neutral", "prediction"), ("submitted", "negative", "manual")])
    assert c.label == "negative" and c.votes == {"neutral": 1, "negative": 1}
    # Two one-click accepts against one choice: a tie (1.0 each), unresolved.
    tie = consensus([("submitted", "a", "prediction"), ("submitted", "a", "prediction"),
                     ("submitted", "b", None)])  # fmt: skip
    assert tie.label is None
    assert consensus([("submitted", "a", "prediction")]).label == "a", "alone, it still counts"
