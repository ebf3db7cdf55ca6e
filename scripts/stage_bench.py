"""Throughput and CPU per event of one stream stage (normalize or route) on its own.

`eddy bench` measures the whole stream, which on a CPU is bound by the model. On a GPU the
stages around the model bind first (docs/measurements/gpu-2026-12-04: one normalize process
at 100% of a core at ~500 events/s). This starts a private broker and Redis, one worker of
the stage, fills its input topic with N records as fast as a producer can, and measures how
fast the worker drains it and how much CPU the worker process spends per event.

    .venv/bin/python scripts/stage_bench.py --stage normalize --events 20000
    .venv/bin/python scripts/stage_bench.py --stage route --events 20000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from services.bench.run import bench_settings
from services.core.kafka import ensure_topics
from services.core.records import SourcePosition, dumps, utc_now_iso
from services.core.settings import load_settings
from services.core.topics import Topics
from services.demo.airline import airline_tweets
from services.demo.simulator import spread
from services.inference.predictions import to_prediction
from services.ingest.channels import ADAPTERS
from services.ingest.normalize import Normalized, normalize
from services.stack import servers
from services.stack.liveness import wait_for_heartbeats
from services.stack.process import Child

LABELS = ["negative", "neutral", "positive"]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def raw_events(n: int, run: str) -> list[tuple[str, bytes, bytes]]:
    texts = [t.text for t in airline_tweets()]
    texts = (texts * (n // len(texts) + 1))[:n]
    return [
        (ch, ADAPTERS[ch].key(ev).encode(), json.dumps(ev).encode())
        for ch, ev in spread(texts, run=run)
    ]


def predictions(n: int, run: str, topics: Topics) -> list[tuple[str, bytes, bytes]]:
    """Prediction records as classify writes them, with a confidence spread like the demo's
    champion (most events sure, a few percent in the routed band)."""
    rng = random.Random(7)
    out = []
    for i, (ch, key, value) in enumerate(raw_events(n, run)):
        pos = SourcePosition(topics.channel(ch), 0, i, int(time.time() * 1000))
        got = normalize(ch, value, key, pos)
        assert isinstance(got, Normalized)
        top = 0.97 if rng.random() < 0.9 else rng.uniform(0.4, 0.9)
        rest = (1 - top) / 2
        probs = [top, rest, rest]
        rng.shuffle(probs)
        pred = to_prediction(
            got.interaction,
            probs,
            LABELS,
            1,
            now=utc_now_iso(),
            batch_size=32,
            inference_ms=5.0,
            device="cpu",
            precision="fp32",
        )
        out.append((topics.predictions, key, dumps(pred)))
    return out


def committed(admin: KafkaAdminClient, group: str, topic: str) -> int:
    offsets = admin.list_group_offsets({group: None}).get(group, {})
    return sum(o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset > 0)


def count_records(consumer: KafkaConsumer) -> int:
    return sum(len(msgs) for msgs in consumer.poll(timeout_ms=100).values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stage", choices=["normalize", "route"], required=True)
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--py-spy", help="py-spy binary: sample the worker while it drains")
    ap.add_argument("--profile", type=Path, default=Path("stage.speedscope.json"))
    args = ap.parse_args()

    run = uuid.uuid4().hex[:6]
    tmp = Path(tempfile.mkdtemp(prefix="eddy-stage-"))
    s = bench_settings(load_settings(), tmp, run, 1)
    topics = Topics.from_settings(s.kafka)
    s.stack.logs_dir.mkdir(parents=True, exist_ok=True)
    children: list[Child] = []
    try:
        for srv in (servers.broker(s), servers.redis(s)):
            srv.child.start()
            children.append(srv.child)
            srv.child.wait_ready(srv.probe, 60)
        ensure_topics(s.kafka, topics.all(), timeout_s=60)
        print(f"building {args.events} input records", flush=True)
        if args.stage == "normalize":
            records = [(topics.channel(ch), k, v) for ch, k, v in raw_events(args.events, run)]
            source, group = topics.channels, f"{s.kafka.app_id}-normalize"
        else:
            records = predictions(args.events, run, topics)
            source, group = [topics.predictions], f"{s.kafka.app_id}-route"

        env = {k: v for k, v in os.environ.items() if not k.startswith("EDDY_")}
        env.update(s.to_env())
        worker = servers.eddy_child(
            f"worker-{args.stage}", ["worker", "--role", args.stage], s, env
        )
        worker.start()
        children.append(worker)
        wait_for_heartbeats(s, [args.stage], children, lambda m: print(m, flush=True))
        time.sleep(2)  # let it settle into its group
        assert worker.pid is not None
        cpu0 = cpu_seconds(worker.pid)
        others0 = {c.name: cpu_seconds(c.pid) for c in children[:2] if c.pid}

        out = KafkaConsumer(bootstrap_servers=s.kafka.servers, enable_auto_commit=False)
        parts = [TopicPartition(topics.interactions, p) for p in range(s.kafka.partitions)]
        out.assign(parts)
        out.seek_to_beginning(*parts)
        admin = KafkaAdminClient(bootstrap_servers=s.kafka.servers)
        producer = KafkaProducer(
            bootstrap_servers=s.kafka.servers, linger_ms=5, batch_size=512 * 1024
        )
        spy = None
        if args.py_spy:
            spy = subprocess.Popen(
                [
                    *(args.py_spy, "record", "-p", str(worker.pid), "-r", "250"),
                    *("-f", "raw", "-o", str(args.profile), "--nonblocking"),
                ]
            )
        t0 = time.monotonic()
        for topic, key, value in records:
            producer.send(topic, key=key, value=value)
        producer.flush()
        produced_s = time.monotonic() - t0
        print(f"produced {len(records)} in {produced_s:.1f}s", flush=True)
        done, last_print = 0, t0
        deadline = t0 + max(300.0, len(records) / 50)
        while done < len(records) and time.monotonic() < deadline:
            if args.stage == "normalize":
                done += count_records(out)
            else:
                done = sum(committed(admin, group, t) for t in source)
                time.sleep(0.05)
            if time.monotonic() - last_print > 5:
                print(f"  {done}/{len(records)}", flush=True)
                last_print = time.monotonic()
        wall = time.monotonic() - t0
        cpu = cpu_seconds(worker.pid) - cpu0
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
        result: dict[str, Any] = {
            "stage": args.stage,
            "events": len(records),
            "drained": done,
            "wall_s": round(wall, 2),
            "events_per_s": round(done / wall, 1),
            "worker_cpu_s": round(cpu, 2),
            "worker_cpu_ms_per_event": round(1000 * cpu / max(done, 1), 3),
            "cpu_bound_events_per_s": round(done / cpu, 1) if cpu else None,
            # The broker's and Redis's CPU over the same span, per event.
            "server_cpu_ms_per_event": {
                c.name: round(1000 * (cpu_seconds(c.pid) - others0[c.name]) / max(done, 1), 3)
                for c in children[:2]
                if c.pid
            },
            "produce_s": round(produced_s, 2),
            "cpus": os.cpu_count(),
        }
        print(json.dumps(result, indent=2))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n")
        producer.close()
        out.close()
        admin.close()
        return 0 if done >= len(records) else 1
    finally:
        for child in reversed(children):
            child.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
