"""The model registry in a real S3-compatible server: moto's server (PyPI; honours conditional
writes, as AWS S3 and MinIO do) and s3rver (npm; the embedded stack's S3, which ignores them).
Two registries with separate caches stand for two machines sharing one store."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import pytest

from services.core.settings import Settings
from services.inference.holder import ModelHolder
from services.model.device import select_placement
from services.registry import rollout
from services.registry.open import open_registry, s3_client
from services.registry.s3 import CLAIM, S3ModelRegistry
from services.registry.store import ModelRegistry, RegistryError
from services.stack import binaries
from tests.helpers import copy_models, free_port_run, wait

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Store:
    kind: str
    endpoint: str
    env: dict[str, str]
    # The server honours If-None-Match / If-Match and replaces objects atomically, as AWS S3
    # and MinIO do; s3rver does neither (the embedded stack's development store).
    conditional: bool


def _start(kind: str, tmp: Path, port: int) -> subprocess.Popen[bytes]:
    if kind == "moto":
        argv = [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1"]
        argv += ["-p", str(port)]
    else:
        argv = [str(binaries.s3rver(None)), "-d", str(tmp / "s3"), "-a", "127.0.0.1"]
        argv += ["-p", str(port), "--configure-bucket", "models"]
        (tmp / "s3").mkdir()
    with (tmp / f"{kind}.log").open("wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module", params=["moto", "s3rver"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    kind = str(request.param)
    tmp = tmp_path_factory.mktemp(kind)
    port = free_port_run(1)
    proc = _start(kind, tmp, port)
    endpoint = f"http://127.0.0.1:{port}"

    def up() -> bool | None:
        try:
            httpx.get(endpoint, timeout=1)
            return True
        except httpx.HTTPError:
            return None

    try:
        wait(f"{kind} on {endpoint}", up, 30)
        key = "S3RVER" if kind == "s3rver" else "test"
        env = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": key, "AWS_REGION": "us-east-1"}
        if kind == "moto":
            boto3.client(
                "s3",
                endpoint_url=endpoint,
                aws_access_key_id=key,
                aws_secret_access_key=key,
                region_name="us-east-1",
            ).create_bucket(Bucket="models")
        yield Store(kind, endpoint, env, conditional=kind == "moto")
    finally:
        proc.terminate()
        proc.wait(10)


_run = iter(range(1_000_000))


@pytest.fixture
def s3(
    store: Store, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings of one machine using a fresh prefix of the store."""
    for k, v in store.env.items():
        monkeypatch.setenv(k, v)
    s3_client.cache_clear()
    return settings.override(
        stack={
            "model_store": f"s3://models/run{next(_run)}-{os.getpid()}",
            "model_store_endpoint": store.endpoint,
            "registry_dir": tmp_path / "cache-a",
        }
    )


def other_machine(s: Settings, tmp: Path) -> ModelRegistry:
    return open_registry(s.override(stack={"registry_dir": tmp / "cache-b"}).stack)


def model_writer(settings: Settings, champion: int) -> tuple[object, dict[str, object]]:
    source = ModelRegistry(settings.stack.models_dir).get(champion)
    return (lambda d: copy_models(source.path, d)), {"labels": source.labels}


def test_versions_pointer_history_and_documents_are_shared(
    s3: Settings, settings: Settings, champion: int, tmp_path: Path
) -> None:
    a = open_registry(s3.stack)
    assert isinstance(a, S3ModelRegistry)
    b = other_machine(s3, tmp_path)
    write, meta = model_writer(settings, champion)
    v1 = a.add(write, meta).version
    v2 = a.add(write, meta).version
    assert (v1, v2) == (1, 2) and b.versions() == [1, 2]
    rollout.change_champion(a, v1, "bootstrapped", "seed")
    rollout.promote(a, v2, "better")
    assert b.champion_version() == 2
    event = rollout.rollback(b, "ops")  # the other machine rolls back
    assert event["version"] == 1 and a.champion_version() == 1
    assert [e["type"] for e in a.history()] == ["bootstrapped", "promoted", "rolled_back"]
    assert a.get(1).meta["champion_since"] == event["at"]  # metadata updates are shared
    # Reading versions downloads nothing; loading one fills the machine's cache once.
    assert not (tmp_path / "cache-b" / "v2").exists()
    path = b.get(2).path
    assert path == tmp_path / "cache-b" / "v2" and (path / "config.json").is_file()
    assert sorted(p.name for p in path.iterdir()) == sorted(p.name for p in a.get(2).path.iterdir())
    b.write_json("evaluation.json", {"size": 3})
    assert a.read_json("evaluation.json") == {"size": 3}
    assert a.read_text("seed_holdout.jsonl") is None


def test_a_crashed_upload_is_never_listed_nor_its_number_reused(
    s3: Settings, settings: Settings, champion: int
) -> None:
    reg = open_registry(s3.stack)
    write, meta = model_writer(settings, champion)

    def crash(d: Path) -> None:
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        reg.add(crash, meta)  # fails before a number is claimed
    assert isinstance(reg, S3ModelRegistry)
    reg._put(f"v1/{CLAIM}", b"a writer that died after claiming")
    reg._put("v1/config.json", b"{}")
    assert reg.versions() == []
    assert reg.add(write, meta).version == 2
    with pytest.raises(RegistryError, match="not found"):
        reg.get(1)


def test_pointer_changes_are_atomic_for_readers(
    store: Store, s3: Settings, settings: Settings, champion: int, tmp_path: Path
) -> None:
    if not store.conditional:
        pytest.skip("s3rver rewrites an object in place: a reader can catch it half written")
    a = open_registry(s3.stack)
    write, meta = model_writer(settings, champion)
    for _ in range(2):
        a.add(write, meta)
    a.set_champion(1)
    b = other_machine(s3, tmp_path)
    seen: list[int | None] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append(b.champion_version())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(30):
            a.set_champion(2 if i % 2 == 0 else 1)
    finally:
        done.set()
        reader.join()
    assert seen and set(seen) <= {1, 2}


def test_two_machines_adding_at_once_get_distinct_numbers(
    store: Store, s3: Settings, settings: Settings, champion: int, tmp_path: Path
) -> None:
    if not store.conditional:
        pytest.skip("s3rver ignores If-None-Match; one trainer writes versions there")
    regs = [open_registry(s3.override(stack={"registry_dir": tmp_path / f"m{i}"}).stack)
            for i in range(4)]  # fmt: skip
    write, meta = model_writer(settings, champion)
    with ThreadPoolExecutor(4) as pool:
        versions = sorted(pool.map(lambda r: r.add(write, meta).version, regs))
    assert versions == [1, 2, 3, 4] and regs[0].versions() == versions


def test_a_classify_worker_follows_the_pointer_in_the_store(
    s3: Settings, settings: Settings, champion: int, tmp_path: Path
) -> None:
    trainer = other_machine(s3, tmp_path)
    write, meta = model_writer(settings, champion)
    v1 = trainer.add(write, meta).version
    trainer.set_champion(v1)
    worker = open_registry(s3.override(model={"poll_s": 0.0}).stack)
    holder = ModelHolder(
        s3.model.model_copy(update={"poll_s": 0.0}),
        worker,
        select_placement("cpu"),
        ThreadPoolExecutor(1),
    )

    async def scenario() -> list[int | None]:
        seen: list[int | None] = [(await holder.wait_ready()).version]
        v2 = trainer.add(write, meta).version
        rollout.promote(trainer, v2, "trained")
        clf = await holder.refresh(force=True)
        assert clf is not None
        probs = await holder.predict(clf, ["@united thanks for nothing"])
        assert abs(sum(probs[0]) - 1) < 1e-4
        seen.append(clf.version)
        return seen

    assert asyncio.run(scenario()) == [1, 2]


def test_the_cli_manages_versions_in_the_store(
    s3: Settings, settings: Settings, champion: int, tmp_path: Path, store: Store, broker: str
) -> None:
    reg = open_registry(s3.stack)
    write, meta = model_writer(settings, champion)
    for _ in range(2):
        reg.add(write, meta)
    rollout.change_champion(reg, 1, "bootstrapped", "seed")
    # Another machine: its own data dir and cache, the same store.
    other = s3.override(stack={"data_dir": tmp_path / "other", "registry_dir": None})
    env = {**os.environ, **other.to_env(), **store.env}

    def eddy(*args: str) -> str:
        """stdout, and stderr's progress lines after it."""
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    rows = json.loads(eddy("versions", "--json").split("\n]")[0] + "\n]")
    assert [(r["version"], r["status"]) for r in rows] == [(1, "champion"), (2, "-")]
    assert "v1 -> v2" in eddy("promote", "2", "--reason", "from the other machine")
    assert reg.champion_version() == 2
    assert "v2 -> v1" in eddy("rollback")
    assert reg.champion_version() == 1
    assert [e["reason"] for e in reg.history()][-2:] == [
        "from the other machine",
        "manual rollback",
    ]


def test_pruning_removes_weights_from_the_store_and_other_machines_caches(
    s3: Settings, settings: Settings, champion: int, tmp_path: Path
) -> None:
    from services.training.pruning import prune_registry

    a = open_registry(s3.stack)
    assert isinstance(a, S3ModelRegistry)
    write, meta = model_writer(settings, champion)
    for _ in range(4):
        a.add(write, meta)
    rollout.change_champion(a, 1, "bootstrapped", "seed")
    rollout.promote(a, 2, "better")
    rollout.promote(a, 3, "better")
    b = other_machine(s3, tmp_path)
    assert (b.get(1).path / "config.json").is_file()  # b served v1 once: in its cache
    done = prune_registry(a, 1)  # keeps v4 (newest), v3 (champion), v2 (rollback)
    assert done.retention.prune == [1] and done.freed_bytes > 1_000_000
    assert a.versions() == [1, 2, 3, 4] and b.pruned_versions() == {1}
    assert sorted(a._keys("v1/")) == [f"v1/{CLAIM}", "v1/eddy.json"]  # its number stays taken
    with pytest.raises(RegistryError, match="EDDY_REGISTRY_KEEP"):
        _ = b.get(1).path
    with pytest.raises(RegistryError, match="weights were removed"):
        rollout.promote(b, 1, "by hand")
    # b fetches another version: its copy of the pruned v1 goes.
    assert (b.get(2).path / "config.json").is_file()
    assert not (tmp_path / "cache-b" / "v1").exists()
    assert a.add(write, meta).version == 5
