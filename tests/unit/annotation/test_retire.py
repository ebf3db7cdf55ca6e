"""Which withdrawn tasks a retire pass takes: the ones withdrawn at least the setting's days
ago, oldest first, at most the pass's limit; an entry without a time is never due."""

from __future__ import annotations

from services.annotation.retire import due
from services.labels.queue import withdrawn_at, withdrawn_value

DAY = 86400.0


def test_the_value_keeps_the_version_and_the_time() -> None:
    assert withdrawn_value(7, 1767225600.9) == "7 1767225600"
    assert withdrawn_at("7 1767225600") == 1767225600.0
    assert withdrawn_at("7") is None, "an older Eddy's entry: the version alone"
    assert withdrawn_at("7 soon") is None and withdrawn_at("") is None


def test_due_oldest_first_within_the_limit() -> None:
    now = 100 * DAY
    entries = {
        "chat:a": withdrawn_value(2, now - 9 * DAY),
        "chat:b": withdrawn_value(2, now - 30 * DAY),
        "crm:c": withdrawn_value(3, now - 7 * DAY),  # exactly the days: due
        "chat:d": withdrawn_value(4, now - 6.9 * DAY),  # not yet
        "chat:e": "4",  # no time: dated by the pass, never due at once
    }
    assert list(due(entries, now, 7 * DAY, 10)) == ["chat:b", "chat:a", "crm:c"]
    assert list(due(entries, now, 7 * DAY, 2)) == ["chat:b", "chat:a"]
    assert list(due({}, now, 7 * DAY, 10)) == []
