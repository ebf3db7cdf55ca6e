"""A champion that turns non-finite in a running stream (real broker, Redis, workers and model
files): every event it saw goes to review as maximally uncertain, it is rolled back
automatically, ops are told on models.v1 and in the registry's history, and the stream goes on
with the previous version. Nothing is lost on the way."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import torch
from kafka import KafkaProducer
from safetensors.torch import load_file, save_file

from services.core.kafka import ensure_topics
from services.core.roles import STREAM_ROLES
from services.core.settings import Settings
from services.core.topics import Topics
from services.demo.airline import airline_tweets
from services.demo.simulator import spread
from services.ops.heartbeats import workers_alive
from services.registry.rollout import change_champion, history
from services.registry.store import ModelRegistry
from tests.conftest import start_eddy, stop_eddy
from tests.helpers import TopicReader, copy_models, wait


def _nan_copy(source: Path) -> Any:
    def write(d: Path) -> None:
        shutil.copytree(source, d, dirs_exist_ok=True)
        weights = d / "model.safetensors"
        tensors = load_file(weights)
        save_file({k: torch.full_like(v, math.nan) for k, v in tensors.items()}, weights)

    return write


def test_a_champion_that_turns_nan_is_rolled_back_live(
    settings: Settings, broker: str, redis_server: str, champion: int, tmp_path: Path
) -> None:
    run = f"nc{uuid.uuid4().hex[:6]}"
    source = ModelRegistry(settings.stack.models_dir).get(champion)
    s = settings.override(
        stack={"registry_dir": tmp_path / "models"},
        kafka={"topic_prefix": f"{run}.", "app_id": f"eddy-{run}"},
        redis={"prefix": f"{run}:"},
        routing={"threshold": 0.0, "audit_share": 0.0},  # every case to review, NaN ones too
        model={"poll_s": 0.2},
        metrics={"port": 0},  # the session's stream workers hold its ports
    )
    reg = ModelRegistry(s.stack.models_dir)
    v1 = reg.add(lambda d: copy_models(source.path, d), source.meta)
    change_champion(reg, v1.version, "bootstrapped", "test")
    topics = Topics.from_settings(s.kafka)
    ensure_topics(s.kafka, topics.all())
    procs: dict[str, subprocess.Popen[bytes]] = {
        role: start_eddy(s, f"{run}-{role}", "worker", "--role", role) for role in STREAM_ROLES
    }
    producer = KafkaProducer(bootstrap_servers=s.kafka.servers, linger_ms=5)
    predictions = TopicReader(s.kafka, topics.predictions)
    reviews = TopicReader(s.kafka, topics.review)
    models = TopicReader(s.kafka, topics.models)
    events = spread([e.text for e in airline_tweets()[:600]], seed=3, run=run)
    sent: list[str] = []

    def send(n: int) -> None:
        for ch, ev in events[len(sent) : len(sent) + n]:
            producer.send(topics.channel(ch), value=json.dumps(ev).encode())
            sent.append(ev["event_id"])
        producer.flush()

    def by_version(v: int) -> list[dict[str, Any]]:
        return [p for p in predictions.poll() if p["model_version"] == v]

    try:
        wait("stream heartbeats", lambda: set(STREAM_ROLES) <= set(workers_alive(s.redis)), 120)
        send(20)
        wait("v1 predictions", lambda: len(by_version(v1.version)) >= 20, 90)

        v2 = reg.add(_nan_copy(source.path), source.meta)
        change_champion(reg, v2.version, "promoted", "a bad promotion, on purpose")
        deadline = time.monotonic() + 120
        # Keep traffic flowing until v2 has served some of it and v1 is back.
        while time.monotonic() < deadline and not (
            by_version(v2.version) and reg.champion_version() == v1.version
            and len(by_version(v1.version)) > 20
        ):  # fmt: skip
            send(10)
            time.sleep(0.5)
        send(20)
        wait(
            "every event predicted",
            lambda: {p["event_id"] for p in predictions.poll()} >= set(sent),
            90,
        )

        assert reg.champion_version() == v1.version
        nan_served = by_version(v2.version)
        assert nan_served, "the NaN champion never served"
        for p in nan_served:  # uniform, finite: maximally uncertain
            assert all(math.isfinite(x) for x in p["probs"].values()), p
        wait(
            "v2's events in review",
            lambda: {p["event_id"] for p in nan_served} <= {r["event_id"] for r in reviews.poll()},
            60,
        )
        last = history(reg)[-1]
        assert (last["type"], last["version"], last["previous_version"]) == (
            "rolled_back", v1.version, v2.version,
        )  # fmt: skip
        assert "non-finite" in last["reason"] and last["by"] == "classify worker (automatic)"
        wait("rolled_back on models.v1", lambda: any(
            m.get("type") == "rolled_back" and m.get("previous_version") == v2.version
            for m in models.poll()
        ), 30)  # fmt: skip
        # Nothing lost, and one prediction per event per model version at most.
        ids = [p["event_id"] for p in predictions.poll()]
        assert set(ids) == set(sent)
        log = (s.stack.logs_dir / f"{run}-classify.log").read_text()
        assert f"model v{v2.version} has non-finite weights; rolling it back" in log
        assert events[0][1]["text"] not in log
    finally:
        for proc in procs.values():
            stop_eddy(proc)
        for r in (predictions, reviews, models):
            r.close()
        producer.close()
