"""`eddy produce` and `eddy sample-events`: getting events into the channel topics."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from services.cli.app import DataDir, app, console, fail, say, settings
from services.core.settings import CHANNELS


def _lines(file: str) -> list[bytes]:
    if file == "-":
        return [ln for ln in sys.stdin.buffer.read().splitlines() if ln.strip()]
    path = Path(file)
    if not path.is_file():
        raise fail("cannot read events", f"{path}: no such file", 2)
    return [ln for ln in path.read_bytes().splitlines() if ln.strip()]


@app.command()
def produce(
    file: str = typer.Argument(..., help="JSONL file, one event per line; - reads stdin."),
    channel: str = typer.Option(..., help=" | ".join(CHANNELS)),
    raw: bool = typer.Option(
        False, help="Send lines unvalidated (normalize will dead-letter invalid ones)."
    ),
    data_dir: Path | None = DataDir,
) -> None:
    """Produce channel events from a JSONL file (or stdin). Invalid lines are reported and
    not sent (unless --raw)."""
    from rich.progress import track

    from services.ingest.producer import EventProducer, InvalidEvent, UnknownChannel

    s = settings(data_dir)
    if channel not in CHANNELS:
        raise fail("unknown channel", f"{channel!r}; choose {', '.join(CHANNELS)}", 2)
    lines = _lines(file)
    sent = bad = 0
    with EventProducer(s.kafka) as producer:
        for n, line in enumerate(track(lines, description="producing", console=console), 1):
            if raw:
                producer.send_raw(channel, line)
                sent += 1
                continue
            try:
                producer.send(channel, json.loads(line))
                sent += 1
            except json.JSONDecodeError as exc:
                bad += 1
                say(f"line {n}: invalid JSON ({exc.msg})")
            except (InvalidEvent, UnknownChannel) as exc:
                bad += 1
                say(f"line {n}: {exc}")
    say(f"sent {sent} event(s) to {channel}; {bad} invalid line(s) not sent")
    raise typer.Exit(1 if bad else 0)


@app.command("sample-events")
def sample_events(
    out: Path = typer.Option(Path("sample-events"), help="Output directory."),
    count: int = typer.Option(300, help="Events in all (split over chat, crm and ads)."),
    seed_size: int = typer.Option(100, help="Labelled tweets in seed.csv (for bootstrap)."),
) -> None:
    """Write chat/crm/ads JSONL event files of airline tweets for `eddy produce`, and a
    labelled seed.csv (other tweets) for `eddy bootstrap`."""
    import csv
    import random

    from services.demo.airline import airline_tweets
    from services.demo.simulator import spread

    tweets = airline_tweets()
    random.Random(0).shuffle(tweets)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "seed.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        for e in tweets[:seed_size]:
            w.writerow([e.text, e.label])
    files: dict[str, Any] = {c: (out / f"{c}.jsonl").open("w", encoding="utf-8") for c in CHANNELS}
    try:
        texts = [e.text for e in tweets[seed_size : seed_size + count]]
        for ch, event in spread(texts, run="sample"):
            files[ch].write(json.dumps(event) + "\n")
    finally:
        for f in files.values():
            f.close()
    say(f"wrote {out / 'seed.csv'} and {', '.join(f'{c}.jsonl' for c in CHANNELS)} in {out}")
