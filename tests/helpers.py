"""Shared test helpers: free ports, child env from settings, topic readers, closing a Label
Studio client."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kafka import KafkaConsumer, TopicPartition

from services.annotation.client import LabelStudioClient
from services.core.settings import KafkaSettings, Settings
from services.stack.probes import free_port, free_port_run

__all__ = [
    "TopicReader",
    "Up",
    "artifacts_dir",
    "close_label_studio",
    "copy_models",
    "deadletter_original",
    "free_port",
    "free_port_run",
    "gone",
    "up_settings",
    "wait",
]
T = TypeVar("T")


def deadletter_original(record: dict[str, Any], known: Mapping[bytes, Any]) -> bytes:
    """Which of ``known`` a dead letter is about (dead letters carry a hash, not the bytes)."""
    by_hash = {hashlib.sha256(raw).hexdigest(): raw for raw in known}
    return by_hash.get(record["original"]["sha256"], b"")


def artifacts_dir() -> Path:
    """Where tests keep what a person may want to look at afterwards (screenshots): outside
    pytest's tmp dirs, which are removed when a test passes. EDDY_TEST_ARTIFACTS overrides."""
    default = Path(__file__).resolve().parent.parent / ".test-artifacts"
    out = Path(os.environ.get("EDDY_TEST_ARTIFACTS") or default)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _link_weights(src: str, dst: str) -> None:
    # Weights are written once and never changed in place (the registry writes a new
    # version); a hard link saves ~90 MB of disk per copy. Everything else is copied,
    # as the registry appends to its history and rewrites its pointer.
    if src.endswith(".safetensors"):
        try:
            os.link(src, dst)
            return
        except OSError:
            pass  # another filesystem: copy
    shutil.copy2(src, dst)


def copy_models(src: Path, dst: Path) -> None:
    """A registry directory (or one version's) copied for a test, weights hard-linked."""
    shutil.copytree(src, dst, copy_function=_link_weights, dirs_exist_ok=True)


def close_label_studio(client: LabelStudioClient) -> None:
    """Sockets left to the garbage collector raise ResourceWarning, an error in the test run."""
    client.close()


class TopicReader:
    """Reads a whole topic from the beginning (no consumer group), incrementally."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self.topic = topic
        self.consumer = KafkaConsumer(
            bootstrap_servers=kafka.servers,
            enable_auto_commit=False,
            consumer_timeout_ms=500,
            client_id=f"test-reader-{topic}",
        )
        parts = [TopicPartition(topic, p) for p in range(kafka.partitions)]
        self.consumer.assign(parts)
        self.consumer.seek_to_beginning(*parts)
        self.records: list[dict[str, Any]] = []
        self.keys: list[bytes | None] = []  # each record's Kafka key, in the same order

    def poll(self) -> list[dict[str, Any]]:
        batch = self.consumer.poll(timeout_ms=500, max_records=5000)
        for msgs in batch.values():
            for m in msgs:
                try:
                    record = json.loads(m.value)
                except ValueError:
                    continue  # poisoned records some tests inject on purpose
                self.records.append(record)
                self.keys.append(m.key)
        return self.records

    def wait_for(
        self, done: Callable[[list[dict[str, Any]]], bool], timeout_s: float
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if done(self.poll()):
                return self.records
        return self.records

    def close(self) -> None:
        self.consumer.close()


def wait(what: str, fn: Callable[[], T | None], timeout_s: float = 90) -> T:
    """Poll ``fn`` until it returns something truthy; fail the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


class Up:
    """`eddy up` as a user runs it, in its own process, output to a log file."""

    def __init__(self, s: Settings, log: Path, *args: str) -> None:
        self.log = log
        env = {**os.environ, **s.to_env()}
        with log.open("wb") as out:  # the child keeps its own fd
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "up", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = self.output()
            if text in out:
                return out
            if self.proc.poll() is not None:
                pytest.fail(f"eddy up exited ({self.proc.returncode}):\n{out[-4000:]}")
            time.sleep(0.5)
        pytest.fail(f"no {text!r} after {timeout_s}s:\n{self.output()[-4000:]}")

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(90)

    def pids(self) -> list[int]:
        return [int(p) for p in re.findall(r"\(pid (\d+)\)", self.output())]

    def pid_of(self, name: str) -> int:
        """The current pid of one child (its latest start or restart)."""
        found = re.findall(rf"(?:started|restarted) {re.escape(name)} \(pid (\d+)\)", self.output())
        assert found, f"{name} never started"
        return int(found[-1])


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0) until its parent reaps it.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def up_settings(tmp: Path, models_dir: Path, name: str) -> Settings:
    """Settings for an `eddy up` of a test's own: fresh ports, data dir and app id; short
    group timeouts, so rejoins after a restart take seconds."""
    run = uuid.uuid4().hex[:6]
    return Settings().override(
        stack={
            "data_dir": tmp / "data",
            "registry_dir": models_dir,
            "startup_timeout_s": 240,
            "s3_endpoint": f"http://127.0.0.2:{free_port('127.0.0.2')}",  # as eddy up
        },
        kafka={
            "bootstrap": f"127.0.0.1:{free_port()}",
            "app_id": f"eddy-{name}-{run}",
            "partitions": 2,
            "session_timeout_s": 6.0,
            "heartbeat_s": 2.0,
        },
        redis={"url": f"redis://127.0.0.1:{free_port()}/0"},
        label_studio={
            "url": f"http://127.0.0.1:{free_port()}",
            "webhook_port": free_port(),
            "project": f"Eddy {name} {run}",
        },
        gateway={"port": free_port()},
        annotation={"ml_backend_port": free_port()},
        console={"port": free_port()},
        metrics={"port": free_port_run(9)},
        model={"poll_s": 1.0, "torch_threads": 1},
        # No labelling budget, no near-duplicate suppression: these tests count routed cases
        # exactly (their texts differ only in digits).
        routing={
            "budget_per_hour": 0,
            "open_cap": 0,
            "random_share": 0.0,
            "near_duplicates": False,
        },
    )
