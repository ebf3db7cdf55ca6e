from rich.console import Console

from services.bench.report import render


def test_report_renders_every_measure() -> None:
    result = {
        "naive_eps": 10.0,
        "naive_events": 200,
        "bare_eps": {"torch": 50.0, "onnx-int8": 140.0},
        "backend": "onnx-int8",
        "workers": 2,
        "stream_eps": 30.0,
        "stream_to_bare_ratio": 0.6,
        "stream_to_naive_ratio": 3.0,
        "swap": {
            "from_version": 1,
            "to_version": 2,
            "rate_eps": 15.0,
            "stall_ms": 420.0,
            "gap_before_ms": 66.0,
            "switch_ms": 900.0,
            "lost": 0,
            "duplicated": 0,
            "events": 180,
        },
        "batch_max_tokens": 2048,
        "latency_ms": {"p50": 300.0, "p95": 500.0, "p99": 600.0, "max": 700.0, "n": 200.0},
        "latency_rate_eps": 15.0,
        "latency_missing": 0,
        "latency_stages_p50_ms": {"to_normalized": 20.0},
        "events": 1000,
        "batch_max_size": 32,
        "batch_max_wait_ms": 50,
        "model_version": 1,
        "device": "cpu",
        "precision": "fp32",
        "torch_threads": 2,
        "machine": {"cpus": 2, "platform": "linux", "torch": "2.13.0"},
    }
    console = Console(width=200, record=True)
    console.print(render(result))
    text = console.export_text()
    for needle in (
        "10.0 events/s",
        "onnx-int8",
        "140.0 events/s",
        "1 normalize, 2 classify and 1 route worker(s)",
        "30.0 events/s",
        "0.60",
        "3.00",
        "p99 600.0 ms",
        "to_normalized",
        "stall 420.0 ms",
        "lost 0, duplicated 0",
    ):
        assert needle in text
