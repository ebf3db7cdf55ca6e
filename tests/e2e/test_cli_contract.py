"""What every `eddy` command promises a user: --version, --json on read commands, one line
naming the URL and the setting when a dependency is down, a warning for an unknown EDDY_*
variable, `train --dry-run`, `produce -`, and `status` failing when a role has no worker."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import uuid

import pytest

from services.core.settings import Settings
from services.core.topics import Topics
from services.demo.simulator import make_event
from services.labels.audit import AuditSet
from services.labels.records import AnnotationRecord
from services.labels.store import LabelStore
from services.registry.store import ModelRegistry
from tests.helpers import TopicReader

pytestmark = pytest.mark.e2e


def eddy(
    s: Settings, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env={**os.environ, **s.to_env(), **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def error_lines(r: subprocess.CompletedProcess[str]) -> list[str]:
    return [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]


def test_version(settings: Settings) -> None:
    r = eddy(settings, "--version")
    assert r.returncode == 0 and r.stdout.startswith("eddy ")


@pytest.mark.parametrize("command", [["train"], ["status"], ["train", "--dry-run"]])
def test_redis_down_is_one_line_naming_url_and_setting(
    settings: Settings, champion: int, command: list[str]
) -> None:
    s = settings.override(redis={"url": "redis://127.0.0.1:1/0"})
    r = eddy(s, *command)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    [line] = error_lines(r)
    assert "redis://127.0.0.1:1/0" in line and "EDDY_REDIS_URL" in line


def test_label_studio_down_is_one_line_naming_url_and_setting(
    settings: Settings, redis_server: str
) -> None:
    s = settings.override(
        label_studio={"url": "http://127.0.0.1:1"}, model={"labels": ["neg", "pos"]}
    )
    r = eddy(s, "reconcile")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    [line] = error_lines(r)
    assert "http://127.0.0.1:1" in line and "EDDY_LABEL_STUDIO_URL" in line


def test_unknown_variable_is_reported(settings: Settings) -> None:
    r = eddy(settings, "versions", "--json", env={"EDDY_PARTITONS": "3"})
    assert r.returncode == 0
    assert "EDDY_PARTITONS is not an Eddy setting (did you mean EDDY_PARTITIONS?)" in r.stderr
    json.loads(r.stdout)  # stdout stays machine-readable


def test_status_json_and_exit_code_follow_live_workers(settings: Settings, workers: object) -> None:
    stream_only = settings.override(stack={"with_label_studio": False})
    r = eddy(stream_only, "status", "--json")
    report = json.loads(r.stdout)
    assert r.returncode == 0, report["missing_roles"]
    assert {"normalize", "classify", "route"} <= set(report["workers"])
    # With the label side expected, annotate and trainer have no live worker here.
    r = eddy(settings.override(stack={"with_label_studio": True}), "status", "--json")
    assert r.returncode == 1
    assert set(json.loads(r.stdout)["missing_roles"]) == {"annotate", "trainer"}


def test_train_dry_run_plans_without_training(
    settings: Settings, redis_server: str, champion: int
) -> None:
    s = settings.override(redis={"prefix": f"dry{uuid.uuid4().hex[:6]}:"})
    r = eddy(s, "train", "--dry-run", "--json")
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert plan["outcome"] == "skipped" and plan["dry_run"] is True
    assert not {"run_id", "started_at", "ended_at", "challenger_version"} & set(plan), plan
    import redis

    client = redis.Redis.from_url(s.redis.url, decode_responses=True)
    store = LabelStore(client, s.redis.prefix)
    label = ModelRegistry(s.stack.models_dir).get(champion).labels[0]
    for i in range(3):
        store.upsert(
            AnnotationRecord(
                i + 1, i + 1, f"dry-{i}", "chat", "text", label, "submitted", "1",
                "2026-01-01T00:00:00Z", "poll",
            )
        )  # fmt: skip
    AuditSet(client, s.redis.prefix).add("dry-2", "chat")  # the gate's, not training's
    versions = ModelRegistry(s.stack.models_dir).versions()
    r = eddy(s, "train", "--dry-run", "--force")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("would train: forced (2 new label(s))"), r.stdout
    assert "holdout 1 audit + " in r.stdout and "rebuild from champion v" in r.stdout, r.stdout
    r = eddy(s, "train", "--dry-run")
    assert "would not train: 2/" in r.stdout
    assert ModelRegistry(s.stack.models_dir).versions() == versions, "nothing was trained"
    assert store.used() == set(), "no label was consumed"


def test_produce_reads_stdin(settings: Settings, broker: str) -> None:
    s = settings.override(kafka={"topic_prefix": f"stdin{uuid.uuid4().hex[:6]}."})
    from services.core.kafka import ensure_topics

    ensure_topics(s.kafka, Topics.from_settings(s.kafka).all())
    event = make_event("crm", 1, "my order never arrived", random.Random(3), "stdin")
    r = eddy(s, "produce", "-", "--channel", "crm", stdin=json.dumps(event) + "\n")
    assert r.returncode == 0, r.stderr
    assert "sent 1 event(s) to crm" in r.stderr
    reader = TopicReader(s.kafka, Topics.from_settings(s.kafka).channel("crm"))
    try:
        got = reader.wait_for(lambda recs: len(recs) >= 1, 30)
    finally:
        reader.close()
    assert [g["event_id"] for g in got] == [event["event_id"]]


def test_tail_shows_what_became_of_an_event(settings: Settings, workers: object) -> None:
    run = uuid.uuid4().hex[:6]
    good = make_event("chat", 1, "my bag never arrived", random.Random(5), f"tail{run}")
    bad = {**make_event("chat", 2, "hello", random.Random(6), f"tail{run}"), "author_role": "x"}
    assert (
        eddy(settings, "produce", "-", "--channel", "chat", stdin=json.dumps(good)).returncode == 0
    )
    r = eddy(settings, "produce", "-", "--channel", "chat", "--raw", stdin=json.dumps(bad))
    assert r.returncode == 0, r.stderr

    def tail(*args: str) -> list[dict[str, object]]:
        r = eddy(settings, "tail", *args, "--json", "--last", "5000")
        assert r.returncode == 0, r.stderr
        return [json.loads(line) for line in r.stdout.splitlines()]

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        seen = tail("predictions", "deadletter")
        kinds = {(x["kind"], x["record"]["event_id"]) for x in seen}  # type: ignore[index]
        if {("prediction", good["event_id"]), ("deadletter", bad["event_id"])} <= kinds:
            break
        time.sleep(2)
    else:
        raise AssertionError(f"not seen: {kinds}")
    [one] = tail("--event-id", bad["event_id"])
    assert one["kind"] == "deadletter"
    record = one["record"]
    assert isinstance(record, dict) and record["reason"] == "schema_violation"
    lines = eddy(settings, "tail", "deadletter", "--last", "5000", "--event-id", bad["event_id"])
    assert f"deadletter  {bad['event_id']}  normalize: schema_violation" in lines.stdout
    # A miss says so (silence read as "nothing became of it"), and what to try.
    r = eddy(settings, "tail", "--last", "50", "--event-id", f"never-{run}")
    assert r.returncode == 0 and r.stdout == "", r.stdout
    said = " ".join(r.stderr.split())
    assert f"no record of never-{run} in the last 50 of each partition" in said, said
    assert "a larger --last (now 50)" in said
    r = eddy(settings, "tail", "nonsense")
    assert r.returncode == 2 and "choose predictions, review, deadletter" in r.stderr


def test_status_fails_when_the_broker_cannot_be_read(settings: Settings, workers: object) -> None:
    # Every worker alive (their heartbeats are in Redis), the broker unreachable from here:
    # it exited 0 (a health check saw nothing wrong) and printed the outage twice.
    s = settings.override(kafka={"bootstrap": "127.0.0.1:9"}, stack={"with_label_studio": False})
    r = eddy(s, "status")
    assert r.returncode == 1, r.stdout
    assert "WARNING" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert "kafka" in r.stdout.lower(), r.stdout


def test_tail_lists_the_backfill_oldest_first(settings: Settings, broker: str) -> None:
    """A batch comes topic by topic: every review was listed before any prediction."""
    from kafka import KafkaProducer

    from services.core.kafka import ensure_topics

    s = settings.override(kafka={"topic_prefix": f"t{uuid.uuid4().hex[:6]}."})
    t = Topics.from_settings(s.kafka)
    ensure_topics(s.kafka, t.all())
    now = int(time.time() * 1000)
    order = [(t.review, "e1"), (t.predictions, "e2"), (t.deadletter, "e3"), (t.review, "e4"),
             (t.predictions, "e5")]  # fmt: skip
    producer = KafkaProducer(**s.kafka.client_config())
    for i, (topic, event) in enumerate(order):  # sent out of order, stamped in order
        stamp = now - 10_000 + 1000 * ((i * 3) % len(order))
        producer.send(topic, json.dumps({"event_id": event}).encode(), timestamp_ms=stamp)
    producer.flush()
    producer.close()
    stamped = sorted(range(len(order)), key=lambda i: (i * 3) % len(order))
    r = eddy(s, "tail", "--json", "--last", "10")
    assert r.returncode == 0, r.stderr
    shown = [json.loads(line)["record"]["event_id"] for line in r.stdout.splitlines()]
    assert shown == [order[i][1] for i in stamped], shown
