"""`eddy up`, `eddy worker`, `eddy gateway`, `eddy topics`: running Eddy's processes."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from services.cli.app import (
    DataDir,
    app,
    current_install,
    fail,
    port_free,
    say,
    settings,
    with_generated_secrets,
)
from services.core.roles import ROLES
from services.core.settings import Settings


@app.command(
    short_help="Start the embedded stack: broker, Redis, Label Studio, workers.",
    epilog="Ports, each moved by its setting (defaults): broker EDDY_KAFKA_BOOTSTRAP (19092), "
    "its S3 store EDDY_S3_ENDPOINT (19500), Redis EDDY_REDIS_URL (16379), Label Studio "
    "EDDY_LABEL_STUDIO_URL (18080), gateway EDDY_GATEWAY_PORT (18000), webhook "
    "EDDY_WEBHOOK_PORT (18001), ops console EDDY_CONSOLE_PORT (18002), ML backend "
    "EDDY_ML_BACKEND_PORT (18003), each process's /metrics EDDY_METRICS_PORT (18010 to 18018). "
    "A taken port stops `eddy up` before it starts anything, naming every one with its "
    "setting. A second stack on one machine: another EDDY_DATA_DIR and these.",
)
def up(
    data_dir: Path | None = DataDir,
    external: bool = typer.Option(
        False,
        help="Do not start broker/Redis/Label Studio; use "
        "the ones EDDY_KAFKA_BOOTSTRAP / EDDY_REDIS_URL / "
        "EDDY_LABEL_STUDIO_URL point at.",
    ),
    no_label_studio: bool = typer.Option(
        False,
        "--no-label-studio",
        help="Skip Label Studio and what needs it: the annotate worker, the webhook receiver, "
        "the ML backend and the trainer (the stream only).",
    ),
) -> None:
    """Start the stack: a local S3 server (s3rver) holding the Kafka-protocol broker's
    topics, the broker, Redis (AOF), Label Studio, the normalize / classify / route / annotate
    workers, the webhook receiver, the Label Studio ML backend, the trainer, the HTTP gateway
    and the ops console. Ctrl-C stops them all."""
    from services.stack import mode
    from services.stack.probes import ensure_ports_free
    from services.stack.process import StackError
    from services.stack.up import Stack, run_up

    current_install("eddy up")
    s = settings(data_dir, stack={"with_label_studio": False if no_label_studio else None})
    pid = mode.live_up(s.stack.data_dir)
    if pid is not None:  # its ports are taken too, but that read as a clash with strangers
        raise fail(
            "eddy up is already running",
            f"on {s.stack.data_dir} (pid {pid}); stop it (Ctrl-C in its terminal, "
            f"or kill -INT {pid}), or start another with a different EDDY_DATA_DIR "
            f"and ports (if it is not eddy up, delete {s.stack.data_dir / mode.FILE})",
        )
    # Its own Kafka clients (the stall watch, stack.liveness) are best effort: a broker restart
    # must not fill the terminal with kafka-python's reconnect errors.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    try:  # before secrets.env and the data folders are written: a refusal leaves nothing
        ensure_ports_free(Stack(s, external).port_checks())
    except (RuntimeError, OSError) as exc:
        raise fail("eddy up failed", exc) from None
    if not external:  # external servers come with their own secrets (checked in preflight)
        s = with_generated_secrets(s)
    if s.stack.with_label_studio:
        for note in _definition_notes(s):
            say(f"note: {note}")
    try:
        code = run_up(s, external, say)
    except (StackError, RuntimeError, OSError) as exc:
        raise fail("eddy up failed", exc) from None
    raise typer.Exit(code)


def _definition_notes(s: Settings) -> list[str]:
    """EDDY_LABEL_DEFINITIONS against the label set annotators will see, when there is one."""
    from services.annotation.project import label_set_for_project
    from services.annotation.tasks import definition_notes
    from services.core.errors import NoLabelSet
    from services.registry.open import open_registry
    from services.registry.store import RegistryError

    try:
        labels = label_set_for_project(s.model.labels, open_registry(s.stack))
    except (NoLabelSet, RegistryError, OSError):
        return []  # no label set yet: `eddy up` says so when it announces the model
    notes = definition_notes(labels, s.annotation.label_definitions)
    if not s.annotation.instructions.strip():
        notes.append("EDDY_ANNOTATION_INSTRUCTIONS is empty: annotators get no instructions")
    return notes


@app.command(short_help="Run one stream worker (--role picks which stage).")
def worker(
    role: str = typer.Option(..., help=" | ".join(ROLES)),
    data_dir: Path | None = DataDir,
) -> None:
    """Run one stream worker (a Faust app; one consumer group per role)."""
    from services.app.worker import run_worker

    if role not in ROLES:
        raise fail("unknown role", f"{role!r}; choose one of {', '.join(ROLES)}", 2)
    from services.core.rawletters import RawKeyError, RawSealer

    s = settings(data_dir)
    try:
        RawSealer.from_settings(s.kafka)
    except RawKeyError as exc:
        raise fail("configuration", exc, 2) from None
    run_worker(s, role)


@app.command(short_help="Serve the HTTP ingest gateway.")
def gateway(data_dir: Path | None = DataDir) -> None:
    """Serve the HTTP ingest gateway on EDDY_GATEWAY_HOST:EDDY_GATEWAY_PORT."""
    import uvicorn

    from services.core.kafka import check_reachable
    from services.core.settings import exposed_without_secret
    from services.ingest.gateway import create_gateway
    from services.ingest.gateway_metrics import GatewayMetrics
    from services.runtime.metrics_server import serve_metrics

    s = settings(data_dir)
    refused = exposed_without_secret(s, "gateway")
    if refused:
        raise fail("refusing to start", refused, 2)
    port_free(s, "gateway")
    check_reachable(s.kafka)  # one line now, not a traceback from the server's start-up
    metrics = GatewayMetrics()
    serve_metrics(metrics.registry, "gateway", s.metrics)
    uvicorn.run(
        create_gateway(s.gateway, s.kafka, metrics=metrics),
        host=s.gateway.host,
        port=s.gateway.port,
        log_level=s.stack.log_level.lower(),
        access_log=False,
    )


@app.command(short_help="Create Eddy's topics on the broker.")
def topics(data_dir: Path | None = DataDir) -> None:
    """Create Eddy's topics (EDDY_PARTITIONS each) on the broker EDDY_KAFKA_BOOTSTRAP points
    at; existing topics are left alone. `eddy up` does this itself."""
    from services.core.kafka import check_reachable, ensure_topics
    from services.core.topics import Topics

    s = settings(data_dir)
    check_reachable(s.kafka)  # a broker that is down: one line now, not 30 s of retries
    created = ensure_topics(s.kafka, Topics.from_settings(s.kafka).all())
    say(
        f"{len(created)} topic(s) created"
        + (f": {', '.join(created)}" if created else " (all existed)")
    )
