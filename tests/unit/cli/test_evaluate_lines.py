"""`eddy evaluate` says why the overall n is below the channels' sum (the hourly floor's
picks are left out of it), instead of leaving an operator to wonder where 6 went."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from services.cli import app, loop
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


def test_pruned_versions_are_said_and_not_counted_scored(monkeypatch: pytest.MonkeyPatch) -> None:
    # A version pruned before any score has no accuracy: the command failed on it (KeyError).
    sc = {"accuracy": 0.8, "macro_f1": 0.7, "n": 50}
    doc = {
        "size": 50, "audit": 50, "seed": 0, "champion": 3,
        "versions": {"1": {"pruned": True}, "2": {**sc, "stale": True, "pruned": True}, "3": sc},
    }  # fmt: skip
    monkeypatch.setattr(loop, "_evaluate", lambda _s, say: doc)
    res = CliRunner().invoke(app, ["evaluate"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].endswith("1 version(s) scored on it, 2 pruned (not scored again)")
    assert lines[1:4] == [
        "v1: pruned, never scored",
        "v2: accuracy 0.800, macro-F1 0.700 (stale: scored on 50 earlier examples), pruned",
        "v3 (champion): accuracy 0.800, macro-F1 0.700",
    ]
