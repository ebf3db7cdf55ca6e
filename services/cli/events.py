"""`eddy produce` and `eddy sample-events`: getting events into the channel topics."""

from __future__ import annotations

import json
import sys
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import typer

from services.cli.app import DataDir, app, console, fail, quiet_kafka, say, settings
from services.core.settings import CHANNELS


def _source(file: str) -> tuple[BinaryIO, int | None]:
    """The stream to read events from, and its line count when known beforehand (a regular
    file: for the progress bar). Stdin, a pipe or a process substitution is read as it comes,
    so `tail -f x | eddy produce -` sends each line when it arrives."""
    if file == "-":
        return sys.stdin.buffer, None
    path = Path(file)
    if path.is_dir():
        raise fail("cannot read events", f"{path} is a folder; give a JSONL file", 2)
    if not path.exists():
        raise fail("cannot read events", f"{path}: no such file", 2)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise fail("cannot read events", f"{path}: {exc.strerror}", 2) from None
    if not path.is_file():
        return f, None  # a named pipe, /dev/fd/N: readable once, as it comes
    with path.open("rb") as counting:  # the lines _lines yields: a blank one is skipped
        return f, sum(1 for ln in counting if ln.strip())


def _lines(f: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines with their 1-based numbers in the file, so that an error names
    the line an editor shows."""
    for n, ln in enumerate(iter(f.readline, b""), 1):
        if ln.strip():
            yield n, ln.rstrip(b"\r\n")


class RepeatedId(ValueError):
    """An event_id this run sent already: normalize would drop it (or dead-letter it, with
    other content), as the gateway refuses a batch that repeats one."""


class _SeenIds:
    """The ids of the last 100,000 events sent, with their line numbers (bounded: `tail -f`
    feeds a run that never ends)."""

    def __init__(self, keep: int = 100_000) -> None:
        self.lines: OrderedDict[str, int] = OrderedDict()
        self.keep = keep

    def check(self, event: object) -> None:
        """Raise RepeatedId for an id sent before (one refused is not: it may come fixed)."""
        line = self.lines.get(_event_id(event) or "")
        if line is not None:
            raise RepeatedId(
                f"$.event_id: same event_id as line {line} (each event needs its own id; "
                "normalize would drop this one)"
            )

    def add(self, event: object, line: int) -> None:
        event_id = _event_id(event)
        if event_id is not None:
            self.lines[event_id] = line
            if len(self.lines) > self.keep:
                self.lines.popitem(last=False)


def _event_id(event: object) -> str | None:
    found = event.get("event_id") if isinstance(event, dict) else None
    return found if isinstance(found, str) else None


@app.command(short_help="Produce channel events from a JSONL file (or stdin).")
def produce(
    file: str = typer.Argument(..., help="JSONL file, one event per line; - reads stdin."),
    channel: str = typer.Option(..., help=" | ".join(CHANNELS)),
    raw: bool = typer.Option(
        False, help="Send lines unvalidated (normalize will dead-letter invalid ones)."
    ),
    data_dir: Path | None = DataDir,
    as_json: bool = typer.Option(
        False,
        "--json",
        help='Print {"channel", "sent", "invalid": [{"line", "error"}]} on stdout ("sent":'
        " handed to the broker client, all flushed before it exits; a broker failure prints"
        " its error instead).",
    ),
) -> None:
    """Produce channel events from a JSONL file (or stdin). Invalid lines are reported (on
    stderr, or in --json) and not sent (unless --raw); the exit status is 1 when any was."""
    from kafka.errors import MessageSizeTooLargeError
    from rich.progress import track

    from services.core.strictjson import StrictJSONError, strict_loads
    from services.ingest.producer import EventProducer, InvalidEvent, UnknownChannel

    s = settings(data_dir)
    quiet_kafka()
    if channel not in CHANNELS:
        raise fail("unknown channel", f"{channel!r}; choose {', '.join(CHANNELS)}", 2)
    source, total = _source(file)
    sent = 0
    invalid: list[dict[str, Any]] = []
    seen = _SeenIds()
    with source, EventProducer(s.kafka) as producer:
        try:
            lines = track(_lines(source), total=total, description="producing", console=console)
            for n, line in lines:
                try:  # as strict as the gateway and normalize: a line they refuse is not sent
                    if raw:
                        producer.send_raw(channel, line)
                    else:
                        event = strict_loads(line)
                        seen.check(event)
                        producer.send(channel, event)
                        seen.add(event, n)
                    sent += 1
                except MessageSizeTooLargeError:
                    # Raised before sending: a 2 MB line stopped the run with a traceback
                    # after the lines before it were sent, so a rerun sent those twice.
                    error = f"{len(line):,} bytes: too large to send"
                    invalid.append({"line": n, "error": error})
                except StrictJSONError as exc:
                    invalid.append({"line": n, "error": f"not acceptable JSON ({exc})"})
                except (InvalidEvent, UnknownChannel, RepeatedId) as exc:
                    invalid.append({"line": n, "error": str(exc)})
                else:
                    continue
                say(f"line {n}: {invalid[-1]['error']}")
        except KeyboardInterrupt:
            # The producer still flushes what it was handed (leaving the with block).
            say(f"interrupted: sent {sent} event(s) to {channel}; later lines not read")
            raise typer.Exit(130) from None
    say(f"sent {sent} event(s) to {channel}; {len(invalid)} invalid line(s) not sent")
    if as_json:
        print(json.dumps({"channel": channel, "sent": sent, "invalid": invalid}))
    raise typer.Exit(1 if invalid else 0)


@app.command("sample-events", short_help="Write chat/CRM/ads JSONL event files of airline tweets.")
def sample_events(
    out: Path = typer.Option(Path("sample-events"), help="Output directory."),
    count: int = typer.Option(300, min=1, help="Events in all (split over chat, crm and ads)."),
    # 100 tweets trained a model no better than the majority class with the default
    # bootstrap recipe (holdout 0.650 = the majority's share), so bootstrap refused it; 300
    # gave 0.733 (macro-F1 0.625).
    seed_size: int = typer.Option(300, min=10, help="Labelled tweets in seed.csv (for bootstrap)."),
) -> None:
    """Write chat/crm/ads JSONL event files of airline tweets for `eddy produce`, one
    event.json for the gateway (curl), and a labelled seed.csv (other tweets) for `eddy
    bootstrap`."""
    import csv
    import random

    from services.demo.airline import airline_tweets
    from services.demo.simulator import make_event, spread

    tweets = airline_tweets()
    if seed_size + count >= len(tweets):  # one more tweet goes to event.json
        raise fail("too many", f"--seed-size + --count must stay below the {len(tweets)} tweets", 2)
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
    # An ads event for the README's curl to the gateway (POST /v1/channels/ads/events).
    extra = tweets[seed_size + count].text
    event = make_event("ads", 0, extra, random.Random(1), "gateway")
    (out / "event.json").write_text(json.dumps(event) + "\n")
    names = ", ".join(f"{c}.jsonl" for c in CHANNELS)
    say(f"wrote seed.csv, {names} and event.json in {out}")


@app.command(
    "deadletter-raw", short_help="Decrypt the raw bytes of one dead letter (ops key needed)."
)
def deadletter_raw(
    sha256: str = typer.Argument(..., help="original.sha256 of the dead letter."),
    out: Path | None = typer.Option(None, help="Write the bytes here (0600); default stdout."),
    data_dir: Path | None = DataDir,
) -> None:
    """Decrypt the raw bytes of one dead letter, kept only when EDDY_DEADLETTER_KEEP_RAW was
    on when it was dead-lettered. Needs the EDDY_DEADLETTER_RAW_KEY it was sealed with."""
    from kafka import KafkaConsumer, TopicPartition

    from services.core.rawletters import RawKeyError, RawSealer
    from services.core.topics import Topics
    from services.stack.secrets import write_private

    s = settings(data_dir)
    quiet_kafka()
    if s.kafka.deadletter_raw_key is None:
        raise fail("no key", "set EDDY_DEADLETTER_RAW_KEY (or --data-dir of `eddy up`)", 2)
    try:
        sealer = RawSealer(s.kafka.deadletter_raw_key.get_secret_value(), 0)
    except RawKeyError as exc:
        raise fail("bad key", exc, 2) from None
    topic = Topics.from_settings(s.kafka).deadletter_raw
    consumer = KafkaConsumer(**s.kafka.client_config(), enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not parts:
            raise fail("not found", f"topic {topic} does not exist: nothing was kept", 1)
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        found: bytes | None = None
        while found is None and any(consumer.position(p) < ends[p] for p in parts):
            for msgs in consumer.poll(timeout_ms=1000).values():
                found = next((m.value for m in msgs if m.key == sha256.encode()), found)
    finally:
        consumer.close()
    if found is None:
        raise fail("not found", f"no raw bytes for {sha256} in {topic}", 1)
    try:
        raw = sealer.open(found)
    except RawKeyError as exc:
        raise fail("cannot decrypt", exc, 1) from None
    if out is None:
        sys.stdout.buffer.write(raw)
    else:
        write_private(out, raw)  # raw bytes may hold personal data
