"""What the demo says about its last training run, and how many labels that run needs."""

from __future__ import annotations

from services.demo.final import final_minimum, final_outcome
from services.training.runs import RunRecord


def _run(outcome: str, new: int, trigger: str = "", version: int | None = None) -> RunRecord:
    return RunRecord(
        "r1", "2026-12-05T20:00:00Z", trigger, outcome, 4, version, new_labels=new, recipe="warm"
    )


def test_the_last_run_needs_a_fifth_of_a_run_and_never_zero() -> None:
    assert final_minimum(100) == 20
    assert final_minimum(3) == 1


def test_a_promoted_or_rejected_last_run_names_its_version_and_labels() -> None:
    run = _run("promoted", 44, "44 new label(s) >= 20", version=5)
    assert final_outcome(run, 20) == "final run: v5 on 44 new label(s) promoted (warm)"
    assert "rejected" in final_outcome(_run("rejected", 30, version=6), 20)


def test_a_skipped_last_run_says_why() -> None:
    few = _run("skipped", 19, "19/20 new label(s), oldest 40s of 1000000000s")
    assert final_outcome(few, 20) == (
        "no final run: 19 new label(s) left, fewer than the 20 a run needs"
    )
    assert final_outcome(_run("skipped", 0, "no new labels"), 20) == (
        "no final run: no new labels since the last run"
    )
    wait = "25 new label(s) wait for the holdout: 30 of the 40 examples the gate needs"
    assert final_outcome(_run("skipped", 25, wait), 20) == f"no final run: {wait}"
