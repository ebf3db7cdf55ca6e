"""Label inflow per hour: an annotation stamped up to a minute ahead (clock skew between Label
Studio and Eddy) counts in the current hour; further ahead it is dropped."""

from __future__ import annotations

import datetime as dt

from services.ops.labelstats import inflow

NOW = 1_700_000_000.0


def _at(t: float, source: str = "webhook") -> dict[str, str]:
    return {"updated_at": dt.datetime.fromtimestamp(t, dt.UTC).isoformat(), "source": source}


def test_a_slightly_early_clock_counts_in_this_hour() -> None:
    got = inflow([_at(NOW - 10), _at(NOW + 30), _at(NOW + 600), _at(NOW - 7200, "poll")], NOW)
    assert got["last_hour"] == {"webhook": 2, "poll": 0}
    assert got["per_hour"]["poll"][-3] == 1
