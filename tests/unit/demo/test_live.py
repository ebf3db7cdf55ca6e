"""The demo's live view when its output is not a terminal: a progress line now and then, so
a run logged to a file or piped through `tee` is seen to be alive."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

from rich.console import Console
from rich.live import Live

from services.demo.live import Progress, watch


class _Scripted(Progress):
    """Progress whose counters come from a script instead of Redis."""

    def __init__(self, snapshots: list[dict[str, Any]]) -> None:
        self.total = 10
        self.sent = 0
        self.lost = 0
        self._script = snapshots
        self.snapshot = {}

    def refresh(self) -> dict[str, Any]:
        self.snapshot = self._script.pop(0) if len(self._script) > 1 else self._script[0]
        return self.snapshot


def _snap(predicted: int, **kw: Any) -> dict[str, Any]:
    base = {"sent": predicted, "predicted": predicted, "dead_lettered": 0, "routed": 2,
            "tasks": 2, "labels": 1, "runs": 0, "promoted": 0, "rejected": 0,
            "champion": 1, "champion_acc": None}  # fmt: skip
    return {**base, **kw}


def test_not_a_terminal_prints_progress_lines_and_stops_when_done() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=200)
    progress = _Scripted([_snap(4), _snap(10, champion=2, champion_acc=0.81, champion_n=151)])
    progress.sent = 10
    sent = threading.Event()
    sent.set()
    with Live(progress.table(), console=console, auto_refresh=False) as live:
        watch(progress, live, sent, lambda: 0, deadline=1e18, every_s=0.0)
    out = buf.getvalue()
    assert "events 4/10, predicted 4" in out
    assert "labelled tasks 1" in out
    assert "champion v2 (gate holdout accuracy 0.810 on 151)" in out


def test_waits_for_open_tasks() -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    progress = _Scripted([_snap(10)])
    sent = threading.Event()
    sent.set()
    pending = iter([1, 0])
    with Live(progress.table(), console=console, auto_refresh=False) as live:
        watch(progress, live, sent, lambda: next(pending), deadline=1e18, every_s=1e9)
    assert next(pending, "drained") == "drained"


def test_a_stream_stopped_early_is_done_when_what_was_sent_is_predicted() -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    progress = _Scripted([_snap(6)])
    progress.sent = 6  # the producer stopped after 6 of 10 (the label budget was spent)
    sent = threading.Event()
    sent.set()
    t0 = time.monotonic()
    with Live(progress.table(), console=console, auto_refresh=False) as live:
        watch(progress, live, sent, lambda: 0, deadline=t0 + 30.0, every_s=1e9)
    assert time.monotonic() - t0 < 30.0, "it returned when done, not at the deadline"


def test_events_given_up_on_are_not_waited_for() -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    progress = _Scripted([_snap(6)])
    progress.sent, progress.lost = 7, 1  # one event never accepted by the broker
    sent = threading.Event()
    sent.set()
    t0 = time.monotonic()
    with Live(progress.table(), console=console, auto_refresh=False) as live:
        watch(progress, live, sent, lambda: 0, deadline=t0 + 30.0, every_s=1e9)
    assert time.monotonic() - t0 < 30.0


def test_sent_events_not_yet_predicted_are_waited_for() -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    progress = _Scripted([_snap(6)])
    progress.sent = 8  # the producer is done, but 2 of its events are not predicted yet
    sent = threading.Event()
    sent.set()
    t0 = time.monotonic()
    with Live(progress.table(), console=console, auto_refresh=False) as live:
        watch(progress, live, sent, lambda: 0, deadline=t0 + 1.5, every_s=1e9)
    assert time.monotonic() - t0 >= 1.5, "it waited until the deadline"


def test_a_progress_line_is_never_wrapped() -> None:
    # The CLI's consoles are 140 columns when the output is not a terminal; a log is read and
    # grepped line by line, so a long progress line stays one line.
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=60)
    progress = _Scripted([_snap(10, champion=2, champion_acc=0.81, champion_n=151)])
    progress.sent = 10
    sent = threading.Event()
    sent.set()
    with Live(progress.table(), console=console, auto_refresh=False) as live:
        watch(progress, live, sent, lambda: 0, deadline=1e18, every_s=0.0)
    lines = [ln for ln in buf.getvalue().splitlines() if "events 10/10" in ln]
    assert lines and all("(gate holdout accuracy 0.810 on 151)" in ln for ln in lines), lines


def test_each_training_run_gets_one_line_when_it_ends() -> None:
    v2 = {"outcome": "promoted", "challenger_version": 2, "new_labels": 49, "recipe": "rebuild",
          "champion_metrics": {"accuracy": 0.61, "n": 103},
          "challenger_metrics": {"accuracy": 0.7, "n": 103}}  # fmt: skip
    why = "accuracy is worse: -0.043 [-0.074, -0.012] (90% CI) lies below 0"
    v3 = {"outcome": "rejected", "challenger_version": 3, "new_labels": 101, "recipe": "warm",
          "reasons": [why]}  # fmt: skip
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=60)
    progress = _Scripted([_snap(2), _snap(4, trained=[v2]), _snap(10, trained=[v3, v2])])
    progress.sent = 10
    sent = threading.Event()
    sent.set()
    with Live(progress.table(), console=console, auto_refresh=False) as live:
        watch(progress, live, sent, lambda: 0, deadline=1e18, every_s=1e9)
    # A run that ends after the stream (the demo waits for it) is the only one left to say.
    v4 = {"outcome": "promoted", "challenger_version": 4, "new_labels": 60, "recipe": "warm"}
    progress._script = [_snap(10, trained=[v4, v3, v2])]
    progress.refresh()
    assert progress.unannounced() == [v4]
    assert progress.unannounced() == []
    said = [ln for ln in buf.getvalue().splitlines() if ln.startswith("training run")]
    assert said == [
        "training run: v2 on 49 new label(s) promoted (rebuild), gate holdout accuracy "
        "0.610 -> 0.700 on 103",
        "training run: v3 on 101 new label(s) rejected (warm): accuracy is worse: -0.043 "
        "[-0.074, -0.012] (90% CI) lies below 0",
    ]
