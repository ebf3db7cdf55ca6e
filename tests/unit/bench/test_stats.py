import pytest

from services.bench.stats import latency_summary, percentile


def test_percentile_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_latency_summary_keys() -> None:
    s = latency_summary([10.0, 20.0, 30.0])
    assert set(s) == {"p50", "p95", "p99", "max", "n"} and s["max"] == 30.0
