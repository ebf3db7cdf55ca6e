"""`eddy tail`: what became of events, read from the output topics (predictions, reviews and
dead letters) without joining any consumer group, so it moves no worker's offsets."""

from __future__ import annotations

import json
import time
import unicodedata
from pathlib import Path
from typing import Any

import typer

from services.cli.app import DataDir, JsonFlag, app, fail, out, quiet_kafka, say, settings

KINDS = {"predictions": "prediction", "review": "review", "deadletter": "deadletter"}


def json_line(obj: Any) -> str:
    """One JSON object on one line, readable (non-ASCII text as it is) yet safe for a
    terminal and for line splitters: control and format characters (C1 controls such as
    U+009B, which some terminals take as an escape; U+0085, U+2028 and U+2029, which
    Python's ``splitlines`` and JavaScript break lines at; bidirectional overrides) are
    written as JSON escapes, which parse to the same text. Customer texts carry them: the
    airline tweets hold stray bytes such as U+0085."""
    return "".join(
        json.dumps(c)[1:-1] if ord(c) > 0x7E and unicodedata.category(c) in _UNSAFE else c
        for c in json.dumps(obj, ensure_ascii=False)
    )


_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def describe(kind: str, rec: dict[str, Any]) -> str:
    """One line an integrator can scan: the event, then what happened to it (no text)."""
    event = f"{rec.get('channel') or '-'} {rec.get('event_id') or '-'}"
    if kind == "prediction":
        return (
            f"prediction  {event}  {rec.get('label')} {float(rec.get('confidence') or 0):.2f}"
            f"  v{rec.get('model_version')}"
        )
    if kind == "review":
        return (
            f"review      {event}  {rec.get('sample') or 'routed'} ({rec.get('strategy')} score "
            f"{float(rec.get('score') or 0):.2f}, threshold {float(rec.get('threshold') or 0):.2f})"
        )
    src = rec.get("source") or {}
    errors = rec.get("errors") or [{}]
    first = f"{errors[0].get('path', '')} {errors[0].get('message', '')}".strip()
    return (
        f"deadletter  {rec.get('event_id') or '-'}  {rec.get('stage')}: {rec.get('reason')}"
        f"  ({first}; from {src.get('topic')}[{src.get('partition')}]@{src.get('offset')})"
    )


@app.command(short_help="Show the newest predictions, reviews and dead letters.")
def tail(
    kinds: list[str] = typer.Argument(
        None, help="Any of predictions, review, deadletter (default: all three)."
    ),
    last: int = typer.Option(
        10, "--last", min=0, help="Start this many records before the end of each partition."
    ),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing until Ctrl-C."),
    event_id: str | None = typer.Option(
        None, "--event-id", help="Only records of this event (use a large --last to search)."
    ),
    as_json: bool = JsonFlag,
    data_dir: Path | None = DataDir,
) -> None:
    """Show the newest records of predictions.v1, review.v1 and deadletter.v1: for each event,
    its label and confidence, whether it went to annotators, or why it was dead-lettered.
    The --last records come oldest first, across the three; with --follow, later ones as
    they arrive. --json prints one {"kind": ..., "record": ...} object per line."""
    from services.core.kafka import check_reachable
    from services.ops.tail import TopicTail

    wanted = {KINDS[k] for k in kinds or KINDS if k in KINDS}
    unknown = [k for k in kinds or [] if k not in KINDS]
    if unknown:
        raise fail("unknown kind", f"{unknown[0]!r}; choose {', '.join(KINDS)}", 2)
    s = settings(data_dir)
    quiet_kafka()  # a broker that does not answer: one line (services/cli/errors.py)
    check_reachable(s.kafka)  # a broker that is down: one line now
    reader = TopicTail(s.kafka)

    def show(kind: str, rec: dict[str, Any]) -> None:
        if as_json:
            print(json_line({"kind": kind, "record": rec}))
        else:
            out.print(describe(kind, rec), highlight=False, markup=False, soft_wrap=True)

    # The records before the end (--last) are shown together, oldest first: they come topic
    # by topic, and every review was listed before any prediction. Later ones as they come.
    backlog: list[tuple[int, str, dict[str, Any]]] = []
    backfilled = False

    def flush() -> None:
        for _ts, kind, rec in sorted(backlog, key=lambda r: r[0]):
            show(kind, rec)
        if event_id and not backlog and not backfilled:  # silence read as "nothing happened"
            wider = f"a larger --last (now {last}) reaches further back"
            say(f"no record of {event_id} in the last {last} of each partition; {wider}")
        backlog.clear()

    try:
        reader.start(last)
        idle_since = time.monotonic()
        while True:
            got = False
            for ts, kind, rec in reader.timed():
                got = True
                if kind not in wanted or (event_id and rec.get("event_id") != event_id):
                    continue
                if backfilled:
                    show(kind, rec)
                else:
                    backlog.append((ts, kind, rec))
            if got:
                idle_since = time.monotonic()
            if not backfilled and (reader.caught_up() or time.monotonic() - idle_since > 10):
                flush()
                backfilled = True
                if not follow:
                    break
    except KeyboardInterrupt:
        flush()
    finally:
        reader.close()
