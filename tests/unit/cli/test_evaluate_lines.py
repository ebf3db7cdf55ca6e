"""`eddy evaluate` says why the overall n is below the channels' sum (the hourly floor's
picks are left out of it), instead of leaving an operator to wonder where 6 went."""

from __future__ import annotations

from services.cli.loop import estimate_lines


def _est(n: int) -> dict[str, float | int]:
    return {"n": n, "estimate": 0.8, "low": 0.6, "high": 0.9}


def test_overall_says_it_reads_the_uniform_share_only() -> None:
    doc = {"champion": 2, "champion_estimate": {"ads": _est(10), "all": _est(21), "chat": _est(17)}}
    ads, overall, _chat = estimate_lines(doc)
    assert overall.endswith(
        "(95% Wilson, n=21; the uniform share's picks only, not the hourly floor's)"
    )
    assert (
        ads.startswith("champion v2 on ads: accuracy 0.800 [0.600, 0.900]") and "floor" not in ads
    )


def test_no_note_when_nothing_was_left_out() -> None:
    doc = {"champion": 1, "champion_estimate": {"all": _est(10), "chat": _est(10)}}
    assert "floor" not in estimate_lines(doc)[0]
    assert estimate_lines({"champion": 1}) == []
