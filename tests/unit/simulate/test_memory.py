"""The in-memory label source keeps the confident traffic pool as the Redis list does."""

from __future__ import annotations

from services.simulate.memory import MemoryLabels


def test_traffic_is_newest_first_and_limited() -> None:
    m = MemoryLabels()
    for text in ("first", "second", "third"):
        m.add_traffic(text)
    assert m.traffic(2) == ["third", "second"]
    assert m.traffic(10) == ["third", "second", "first"]
    assert m.traffic(0) == [] and m.traffic(-1) == []
    assert m.labelled() == [], "pool texts are not labels"
