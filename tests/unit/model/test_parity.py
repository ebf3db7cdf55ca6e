import pytest

from services.model.parity import parity

GOLD = ["pos"] * 100 + ["neg"] * 100


def flip(labels: list[str], indices: range) -> list[str]:
    out = list(labels)
    for i in indices:
        out[i] = "neg" if out[i] == "pos" else "pos"
    return out


def test_identical_predictions_pass() -> None:
    ref = flip(GOLD, range(0, 20))  # 90% accurate
    result = parity(ref, ref, GOLD)
    assert result.passed
    assert result.n == 200
    assert result.reference_accuracy == result.candidate_accuracy == 0.9
    assert result.agreement == 1.0
    assert result.reason.startswith("passed")
    assert result.as_dict()["passed"] is True


def test_half_a_point_drop_is_within_the_limit() -> None:
    # One more error in 200 is exactly 0.5 pt: floating point must not make that a failure.
    ref = flip(GOLD, range(0, 26))
    cand = flip(GOLD, range(0, 27))
    result = parity(ref, cand, GOLD)
    assert result.passed, result.reason
    assert result.accuracy_drop == pytest.approx(0.005)


def test_accuracy_drop_above_half_a_point_fails() -> None:
    ref = flip(GOLD, range(0, 20))
    cand = flip(GOLD, range(0, 22))  # two more errors: 1 pt, agreement still 99%
    result = parity(ref, cand, GOLD)
    assert not result.passed
    assert result.agreement == pytest.approx(0.99)
    assert "accuracy dropped too far" in result.reason
    assert "disagree" not in result.reason
    assert "0.8900 vs 0.9000" in result.reason


def test_agreement_below_99_percent_fails_even_at_equal_accuracy() -> None:
    ref = flip(GOLD, range(0, 20))
    # Three errors fixed, three new ones made: same accuracy, 97% agreement.
    cand = flip(flip(ref, range(0, 3)), range(100, 103))
    result = parity(ref, cand, GOLD)
    assert result.candidate_accuracy == result.reference_accuracy
    assert not result.passed
    assert "labels disagree too often" in result.reason
    assert "97.00%" in result.reason


def test_a_better_candidate_passes_on_accuracy() -> None:
    ref = flip(GOLD, range(0, 20))
    cand = flip(ref, range(0, 2))  # fixes two errors; 99% agreement
    assert parity(ref, cand, GOLD).passed


def test_empty_input_does_not_pass() -> None:
    result = parity([], [], [])
    assert not result.passed
    assert result.n == 0
    assert "no examples" in result.reason


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="lengths differ"):
        parity(["a"], ["a", "b"], ["a"])
