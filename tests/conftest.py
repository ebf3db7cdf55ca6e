"""Session fixtures: a real Tansu broker and a real Redis, started once per test session;
tests isolate themselves with a topic prefix, Redis key prefix and unique event ids.

Every test is marked with its tier from its directory (tests/unit -> ``unit``, tests/integration
-> ``integration``, tests/e2e -> ``e2e``), so ``pytest -m unit`` runs the fast tier alone."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.core.kafka import ensure_topics
from services.core.roles import STREAM_ROLES
from services.core.settings import Settings
from services.core.topics import Topics
from services.demo.airline import airline_tweets
from services.ops.heartbeats import workers_alive
from services.stack import servers
from services.training.bootstrap import bootstrap
from services.training.examples import Example
from tests.helpers import free_port, free_port_run
from tests.lsdata import LabelStudioTemplate

TESTS_DIR = Path(__file__).resolve().parent
TIERS = ("unit", "fuzz", "integration", "faults", "e2e")
TEMPLATE = pytest.StashKey["LabelStudioTemplate"]()


def _tier(item: pytest.Item) -> int:
    for rank, tier in enumerate(TIERS):
        if item.get_closest_marker(tier):
            return rank
    return len(TIERS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its tier directory unless it already carries a tier marker, and run
    the tiers fastest first: a broken unit fails in seconds, not after the end-to-end tests,
    and the Label Studio template's migrations (started below) run beside the unit tests."""
    for item in items:
        if any(item.get_closest_marker(tier) for tier in TIERS):
            continue
        try:
            tier = item.path.resolve().relative_to(TESTS_DIR).parts[0]
        except ValueError:
            continue  # not under tests/
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))
    items.sort(key=_tier)  # stable: each module's tests stay together and in order


def pytest_collection_finish(session: pytest.Session) -> None:
    """Here, not above: only the tests left after -m / -k selection count."""
    config, opt = session.config, session.config.option
    listing = opt.collectonly or opt.showfixtures or opt.show_fixtures_per_test
    if listing or os.environ.get("EDDY_TEST_LABEL_STUDIO_URL"):
        return
    wanted = {"label_studio", "label_studio_template"}
    if any(wanted & set(getattr(item, "fixturenames", ())) for item in session.items):
        config.stash[TEMPLATE] = _start_template(config, Settings)


def _start_template(config: pytest.Config, make: Callable[[], Settings]) -> LabelStudioTemplate:
    """Never raises: an error in a collection hook ends the whole session (INTERNALERROR),
    unit tests included; the tests that need Label Studio fail with it instead."""
    try:
        # Under pytest's own temporary root, which it rotates (a killed session leaves
        # nothing in /tmp for good).
        factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
        return LabelStudioTemplate.start(make(), factory.mktemp("label-studio-template"))
    except Exception as exc:  # kept, and raised by the fixture
        return LabelStudioTemplate.broken(f"{type(exc).__name__}: {exc}")


def pytest_unconfigure(config: pytest.Config) -> None:
    template = config.stash.get(TEMPLATE, None)
    if template is not None:
        template.discard()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    run = uuid.uuid4().hex[:8]
    return Settings().override(
        # Topics in memory: tests make their own, and a session never restarts its broker.
        stack={"data_dir": tmp_path_factory.mktemp("eddy"), "broker_storage": "memory://tansu/"},
        kafka={
            "bootstrap": f"127.0.0.1:{free_port()}",
            "topic_prefix": f"t{run}.",
            "app_id": f"eddy-test-{run}",
            "partitions": 3,
            "session_timeout_s": 6.0,
            "heartbeat_s": 2.0,
            # Opted in, so the stream test checks that dead letters' raw bytes are kept, sealed.
            "deadletter_keep_raw": True,
            "deadletter_raw_key": Fernet.generate_key().decode(),
        },
        redis={"url": f"redis://127.0.0.1:{free_port()}/0", "prefix": f"t{run}:"},
        # ONNX exports cost seconds per stored version; tests/integration/test_backends.py
        # turns them on where they are the subject.
        trainer={"export_onnx": False},
        model={
            "batch_max_size": 32,
            "batch_max_wait_ms": 50,
            "poll_s": 1.0,
            "torch_threads": 1,
        },
        # No labelling budget and no near-duplicate suppression: these tests check the
        # threshold's decisions exactly (both have their own tests).
        routing={
            "threshold": 0.5,
            "audit_share": 0.1,
            "audit_floor_per_hour": 0,
            "audit_max_per_hour": 0,
            "budget_per_hour": 0,
            "open_cap": 0,
            "random_share": 0.0,
            "near_duplicates": False,
        },
        # Every process's metrics port (EDDY_METRICS_PORT + 0..8) free for this session.
        metrics={"port": free_port_run(9)},
        label_studio={
            # A developer may point tests at a running Label Studio (same admin token) to
            # skip its boot; CI always starts one of its own.
            "url": os.environ.get("EDDY_TEST_LABEL_STUDIO_URL")
            or f"http://127.0.0.1:{free_port()}",
            "webhook_port": free_port(),
            "project": f"Eddy test {run}",
        },
    )


def _serve(srv: servers.Server) -> Iterator[None]:
    srv.child.start()
    try:
        srv.child.wait_ready(srv.probe, 30)
        yield
    finally:
        srv.child.stop()


@pytest.fixture(scope="session")
def broker(settings: Settings) -> Iterator[str]:
    for _ in _serve(servers.broker(settings)):
        ensure_topics(settings.kafka, Topics.from_settings(settings.kafka).all())
        yield settings.kafka.bootstrap


@pytest.fixture(scope="session")
def redis_server(settings: Settings) -> Iterator[str]:
    for _ in _serve(servers.redis(settings)):
        yield settings.redis.url


@pytest.fixture(scope="session")
def label_studio_template(settings: Settings, request: pytest.FixtureRequest) -> Path:
    """A Label Studio data dir with every migration applied and no user yet, made once per
    session (started at collection: see LabelStudioTemplate): each stack a test starts
    copies it (tests.lsdata.migrated_label_studio) and boots in seconds, where the
    migrations of a new database take a minute on two cores."""
    stash = request.config.stash
    if TEMPLATE not in stash:
        stash[TEMPLATE] = _start_template(request.config, lambda: settings)
    return stash[TEMPLATE].ready()


@pytest.fixture(scope="session")
def label_studio(settings: Settings, request: pytest.FixtureRequest) -> Iterator[str]:
    """A real Label Studio server (its own venv), one per test session."""
    if os.environ.get("EDDY_TEST_LABEL_STUDIO_URL"):
        yield settings.label_studio.url
        return
    data = settings.stack.data_dir / "label-studio"
    if not (data / "label_studio.sqlite3").exists():
        template = request.getfixturevalue("label_studio_template")
        shutil.copytree(template, data, dirs_exist_ok=True)
    srv = servers.label_studio(settings)
    srv.child.start()
    try:
        srv.child.wait_ready(srv.probe, 300)
        yield settings.label_studio.url
    finally:
        srv.child.stop()


def start_eddy(settings: Settings, name: str, *args: str) -> subprocess.Popen[bytes]:
    """An `eddy ...` sub-command as its own process, logging to DATA_DIR/logs/NAME.log."""
    env = {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}
    settings.stack.logs_dir.mkdir(parents=True, exist_ok=True)
    with (settings.stack.logs_dir / f"{name}.log").open("ab") as log:  # the child keeps its own fd
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_eddy(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def seed_examples(n: int = 150, seed: int = 5) -> list[Example]:
    data = airline_tweets()
    random.Random(seed).shuffle(data)
    return data[:n]


@pytest.fixture(scope="session")
def champion(settings: Settings) -> int:
    """A real (small) fine-tuned model version 1, champion in the session's registry."""
    # These tests are about plumbing; the model's quality (and the floors that refuse a
    # useless bootstrap) are tested on their own, so this one is champion whatever it scores.
    return bootstrap(settings, Path("seed"), examples=seed_examples(), force=True).ref.version


@pytest.fixture(scope="session")
def workers(
    settings: Settings, broker: str, redis_server: str, champion: int
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """The three stream workers as real `eddy worker` processes."""
    env = {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}
    logs = settings.stack.logs_dir
    logs.mkdir(parents=True, exist_ok=True)
    procs = {}
    for role in STREAM_ROLES:
        with (logs / f"worker-{role}.log").open("wb") as log:  # the child keeps its own fd
            procs[role] = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "worker", "--role", role],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    try:
        deadline = time.monotonic() + 120
        while not set(STREAM_ROLES) <= set(workers_alive(settings.redis)):
            for role, p in procs.items():
                if p.poll() is not None:
                    log_text = (logs / f"worker-{role}.log").read_text()[-3000:]
                    pytest.fail(f"worker {role} exited with {p.returncode}:\n{log_text}")
            if time.monotonic() > deadline:
                pytest.fail("workers sent no heartbeat in 120s")
            time.sleep(0.5)
        yield procs
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
