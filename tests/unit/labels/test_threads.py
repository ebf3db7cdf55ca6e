"""The turns an annotator sees before the message they label."""

from __future__ import annotations

from services.labels.threads import NO_CONTEXT, SHOWN_TURNS, context_before, turn


def _turn(n: int, role: str = "customer") -> str:
    return turn({"event_id": f"e{n}", "text": f"message {n}", "channel": "chat",
                 "metadata": {"author_role": role}})  # fmt: skip


def test_the_turns_before_the_event_and_no_later_ones() -> None:
    turns = [_turn(1), _turn(2, "agent"), _turn(3), _turn(4)]
    assert context_before(turns, "e3") == "customer: message 1\nagent: message 2"
    assert context_before(turns, "e1") == NO_CONTEXT


def test_only_the_last_few_and_each_once() -> None:
    turns = [_turn(n) for n in range(10)]
    turns.insert(8, _turn(7))  # a redelivered interaction appended twice
    shown = context_before(turns, "e9").splitlines()
    assert shown == [f"customer: message {n}" for n in range(9 - SHOWN_TURNS, 9)]


def test_long_turns_are_cut() -> None:
    long = turn({"event_id": "e1", "text": "x" * 1000, "channel": "crm"})
    assert len(context_before([long, _turn(2)], "e2")) < 300


def test_annotator_quality_against_the_others_consensus() -> None:
    from services.labels.consensus import annotator_quality

    def a(task: int, who: str, label: str, origin: str = "manual") -> dict[str, object]:
        return {"task_id": task, "annotator": who, "label": label, "status": "submitted",
                "origin": origin}  # fmt: skip

    q = annotator_quality([
        a(1, "ann", "neg"), a(1, "bob", "neg"), a(1, "cy", "pos", "prediction"),
        a(2, "ann", "pos"), a(2, "bob", "pos"), a(2, "cy", "pos", "prediction"),
        a(3, "ann", "neu"),  # alone on task 3: nothing to compare with
    ])  # fmt: skip
    # Task 1 without ann is a tie (neg, pos): only task 2 compares.
    assert q["ann"] == {"answers": 3, "one_click": 0, "compared": 1, "agree": 1, "agreement": 1.0}
    assert q["cy"]["agreement"] == 0.5 and q["cy"]["one_click"] == 2
