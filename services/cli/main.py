"""The `eddy` command. Each sub-command reads settings once and hands them down."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from services.core.settings import CHANNELS, Settings, load_settings

app = typer.Typer(
    help="Eddy: classify every channel interaction, route doubtful ones to "
    "annotators, improve the model from their labels.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def _settings(data_dir: Path | None = None, **overrides: object) -> Settings:
    try:
        extra = {k: v for k, v in overrides.items() if v is not None}
        if data_dir is not None:
            extra["data_dir"] = data_dir
        return load_settings(**extra)
    except Exception as exc:  # pydantic ValidationError: show it as a config error
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


DataDir = typer.Option(
    None, "--data-dir", help="Data directory (default EDDY_DATA_DIR or ./.eddy)."
)


@app.command()
def up(
    data_dir: Path | None = DataDir,
    external: bool = typer.Option(
        False,
        help="Do not start broker/Redis/Label Studio; use "
        "the ones EDDY_KAFKA_BOOTSTRAP / EDDY_REDIS_URL / "
        "EDDY_LABEL_STUDIO_URL point at.",
    ),
    no_label_studio: bool = typer.Option(False, "--no-label-studio", help="Skip Label Studio."),
) -> None:
    """Start the stack: Kafka-protocol broker, Redis (AOF), Label Studio, the normalize /
    classify / route workers and the HTTP gateway. Ctrl-C stops them all."""
    from services.core.logs import configure_logging
    from services.stack.process import StackError
    from services.stack.up import run_up

    s = _settings(data_dir, with_label_studio=False if no_label_studio else None)
    configure_logging(s.log_level)
    try:
        code = run_up(s, external, lambda m: console.print(m, highlight=False, markup=False))
    except (StackError, RuntimeError, OSError) as exc:
        console.print(f"[red]eddy up failed:[/red] {exc}")
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command()
def worker(
    role: str = typer.Option(..., help="normalize | classify | route | annotate"),
    data_dir: Path | None = DataDir,
) -> None:
    """Run one stream worker (a Faust app; one consumer group per role)."""
    from services.app.worker import run_worker
    from services.core.roles import ROLES

    if role not in ROLES:
        console.print(f"[red]unknown role {role!r}[/red]; choose one of {', '.join(ROLES)}")
        raise typer.Exit(2)
    run_worker(_settings(data_dir), role)


@app.command()
def gateway(data_dir: Path | None = DataDir) -> None:
    """Serve the HTTP ingest gateway on EDDY_GATEWAY_HOST:EDDY_GATEWAY_PORT."""
    import uvicorn

    from services.core.logs import configure_logging
    from services.ingest.gateway import create_gateway

    s = _settings(data_dir)
    configure_logging(s.log_level)
    uvicorn.run(
        create_gateway(s),
        host=s.gateway_host,
        port=s.gateway_port,
        log_level=s.log_level.lower(),
        access_log=False,
    )


@app.command()
def bootstrap(
    seed: Path = typer.Option(..., "--seed", help="CSV or JSONL with text and label columns."),
    data_dir: Path | None = DataDir,
    epochs: int | None = typer.Option(None, help="Default EDDY_TRAIN_EPOCHS (3)."),
) -> None:
    """Train model version 1 from a labelled seed file and make it the champion."""
    from services.cli.progress import training_progress
    from services.training.bootstrap import bootstrap as run_bootstrap
    from services.training.examples import DatasetError

    s = _settings(data_dir, train_epochs=epochs)
    with training_progress(console, "training") as on_step:
        try:
            result = run_bootstrap(s, seed, on_step)
        except (DatasetError, ValueError, RuntimeError) as exc:
            console.print(f"[red]bootstrap failed:[/red] {exc}")
            raise typer.Exit(1) from None
    m = result.metrics
    console.print(
        f"model v{result.ref.version} is champion ({result.ref.path}); "
        f"train {result.train_size}, holdout {result.holdout_size}"
        + (f", holdout accuracy {m.accuracy:.3f}, macro-F1 {m.macro_f1:.3f}" if m else "")
    )


@app.command()
def produce(
    file: Path = typer.Argument(..., help="JSONL file, one event per line."),
    channel: str = typer.Option(..., help=" | ".join(CHANNELS)),
    raw: bool = typer.Option(
        False, help="Send lines unvalidated (normalize will dead-letter invalid ones)."
    ),
    data_dir: Path | None = DataDir,
) -> None:
    """Produce channel events from a JSONL file. Invalid lines are reported and not sent
    (unless --raw)."""
    from rich.progress import track

    from services.core.kafka import BrokerUnavailable
    from services.ingest.producer import EventProducer, InvalidEvent, UnknownChannel

    s = _settings(data_dir)
    if channel not in CHANNELS:
        console.print(f"[red]unknown channel {channel!r}[/red]; choose {', '.join(CHANNELS)}")
        raise typer.Exit(2)
    if not file.is_file():
        console.print(f"[red]{file}: no such file[/red]")
        raise typer.Exit(2)
    lines = [ln for ln in file.read_bytes().splitlines() if ln.strip()]
    sent = bad = 0
    try:
        with EventProducer(s) as producer:
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
                    console.print(f"line {n}: invalid JSON ({exc.msg})")
                except (InvalidEvent, UnknownChannel) as exc:
                    bad += 1
                    console.print(f"line {n}: {exc}")
    except BrokerUnavailable as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"sent {sent} event(s) to {channel}; {bad} invalid line(s) not sent")
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
    console.print(
        f"wrote {out / 'seed.csv'} and {', '.join(f'{c}.jsonl' for c in CHANNELS)} in {out}"
    )


@app.command()
def topics(data_dir: Path | None = DataDir) -> None:
    """Create Eddy's topics (EDDY_PARTITIONS each) on the broker EDDY_KAFKA_BOOTSTRAP points
    at; existing topics are left alone. `eddy up` does this itself."""
    from services.core.kafka import BrokerUnavailable, ensure_topics
    from services.core.topics import Topics

    s = _settings(data_dir)
    try:
        created = ensure_topics(s, Topics.from_settings(s).all())
    except BrokerUnavailable as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(
        f"{len(created)} topic(s) created"
        + (f": {', '.join(created)}" if created else " (all existed)")
    )


@app.command()
def status(data_dir: Path | None = DataDir) -> None:
    """Show the champion model, live workers and their counters, the label store and the
    last training runs."""
    from rich.table import Table

    from services.ops.heartbeats import workers_alive
    from services.registry.store import ModelRegistry

    s = _settings(data_dir)
    reg = ModelRegistry(s.models_dir)
    champ = reg.champion()
    out = Console()
    if champ:
        acc = (champ.meta.get("metrics") or {}).get("accuracy")
        out.print(f"champion: v{champ.version} labels={champ.labels} holdout accuracy={acc}")
    else:
        out.print("champion: none (run `eddy bootstrap --seed FILE`)")
    try:
        alive = workers_alive(s)
    except Exception as exc:
        out.print(f"workers: unknown, Redis at {s.redis_url} unreachable ({type(exc).__name__})")
        raise typer.Exit(1) from None
    table = Table("role", "pid", "model", "counts")
    for role, beat in sorted(alive.items()):
        table.add_row(
            role,
            str(beat.get("pid")),
            str(beat.get("model_version", "-")),
            json.dumps(beat.get("counts", {})),
        )
    out.print(table if alive else "workers: none alive")
    from services.core import redis_sync
    from services.labels.store import LabelStore
    from services.training.incremental import recent_runs

    client = redis_sync.connect(s)
    try:
        c = LabelStore(client, s.redis_prefix).counts()
        out.print(
            f"labels: {c['labelled']} labelled event(s) from {c['annotations']} annotation(s); "
            f"{c['used']} used in training"
        )
        runs = recent_runs(client, s, 5)
    finally:
        client.close()
    if runs:
        rt = Table("started", "outcome", "champion", "challenger", "new", "replay", "seconds")
        for r in runs:
            rt.add_row(
                str(r["started_at"]),
                str(r["outcome"]),
                f"v{r['champion_version']}",
                f"v{r['challenger_version']}",
                str(r["new_labels"]),
                str(r["replay_labels"]),
                str(r["duration_s"]),
            )
        out.print(rt)
    else:
        out.print("training runs: none yet")


@app.command()
def bench(
    events: int = typer.Option(1000, help="Events for the throughput runs."),
    rate: float = typer.Option(
        0.0, help="Events/s for the latency run (0 = half the measured stream throughput)."
    ),
    latency_seconds: float = typer.Option(20.0, help="Length of the latency run."),
    json_path: Path | None = typer.Option(None, "--json", help="Write results as JSON."),
    data_dir: Path | None = DataDir,
) -> None:
    """Measure bare-model throughput, end-to-end stream throughput (broker + Faust + model)
    and produce-to-prediction latency, on a private embedded broker and Redis."""
    from services.bench.run import run_bench

    s = _settings(data_dir)
    result = run_bench(
        s,
        events=events,
        rate=rate,
        latency_seconds=latency_seconds,
        say=lambda m: console.print(m, highlight=False, markup=False),
    )
    from services.bench.report import render

    Console().print(render(result))
    if json_path:
        json_path.write_text(json.dumps(result, indent=2))
        console.print(f"wrote {json_path}")


def main() -> None:
    from services.cli import loop as cli_loop

    cli_loop.register(app, _settings, DataDir)
    cli_loop.register_demo(app, _settings, DataDir)
    app()


if __name__ == "__main__":
    main()
