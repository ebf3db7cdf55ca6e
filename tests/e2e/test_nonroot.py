"""Every role started the way the container image starts it: a non-root uid with no passwd
entry (the image's `USER 10001`), the current directory root-owned and read-only (the image's
/app), and the environment the image's Dockerfile sets (its ENV lines, the declared VOLUME
mapped to a writable temporary directory). A role that writes into its working directory, as
Faust's state directory and the default data dir ./.eddy once did, dies here with
PermissionError instead of in a user's cluster."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.core import pulse
from services.core.settings import Settings
from services.ops.heartbeats import replicas
from tests.helpers import free_port, free_port_run

UID = 10001  # the image's USER; no account of that uid exists, as in the image
DOCKERFILES = [Path("deploy/Dockerfile"), Path("deploy/Dockerfile.cuda")]
REPO = Path(__file__).resolve().parents[2]

# Role -> the `eddy` arguments; the worker roles and the trainer are seen by their heartbeat,
# the HTTP servers by /healthz. annotate is left out: it needs Label Studio's project.
BEATING = {
    "normalize": ["worker", "--role", "normalize"],
    "classify": ["worker", "--role", "classify"],
    "route": ["worker", "--role", "route"],
    "trainer": ["trainer", "--no-label-studio"],
}
SERVING = {
    "gateway": ["gateway"],
    "webhook": ["webhook"],
    "ml-backend": ["ml-backend"],
    "console": ["console"],
}

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="switching to a non-root uid needs root and setpriv (util-linux)",
)


def _final_stage(dockerfile: Path) -> str:
    text = (REPO / dockerfile).read_text().replace("\\\n", " ")
    return text.split("\nFROM ")[-1]  # the runtime stage of a multi-stage build


def image_env(dockerfile: Path, volume: Path) -> dict[str, str]:
    """The variables the image's runtime stage sets, its VOLUME path moved to `volume`."""
    stage = _final_stage(dockerfile)
    declared = re.findall(r"^VOLUME\s+\[?\"?([^\"\]\s]+)", stage, re.M)
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV\s+(.*)$", stage, re.M):
        for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)", line):
            if "$" in value:
                continue  # PATH=/opt/eddy/bin:$PATH: the test runs the repo's venv instead
            for path in declared:
                if value == path or value.startswith(path + "/"):
                    value = str(volume) + value[len(path) :]
            env[key] = value
    return env


@dataclass
class ImageLike:
    settings: Settings
    env: dict[str, str]  # what the image sets; wins over the session's settings
    workdir: Path
    volume: Path
    logs: Path
    python: str  # the venv's python as the uid can reach it
    pythonpath: str | None  # the code, where the uid cannot reach the checkout itself


AS_UID = ["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups"]


def _link_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, symlinks=True, copy_function=os.link)


def _reachable_code(base: Path, workdir: Path) -> tuple[str, str | None]:
    """The checkout's venv and code as the uid can run them. CI clones into a directory only
    root may enter: there, hard links of the venv and the code under `base` (same file system,
    no copy of the venv's gigabytes) stand in for them."""
    probe = "import sys, services; assert sys.prefix != sys.base_prefix"
    cmd = [*AS_UID, sys.executable, "-c", probe]
    if subprocess.run(cmd, cwd=workdir, capture_output=True).returncode == 0:
        return sys.executable, None
    try:
        _link_tree(Path(sys.prefix), base / "venv")
        for name in ("services", "schemas"):
            _link_tree(REPO / name, base / "src" / name)
    except OSError as exc:  # another file system: hard links impossible
        pytest.skip(f"uid {UID} cannot reach the checkout, and linking it failed: {exc}")
    return str(base / "venv" / "bin" / Path(sys.executable).name), str(base / "src")


def _chown_tree(root: Path, uid: int) -> None:
    os.chown(root, uid, uid)
    for path in root.rglob("*"):
        os.chown(path, uid, uid, follow_symlinks=False)


@pytest.fixture(scope="module")
def image_like(
    settings: Settings, broker: str, redis_server: str, champion: int
) -> Iterator[ImageLike]:
    # Under /tmp itself: the session's tmp_path is root's alone (0700), the uid cannot enter.
    base = Path(tempfile.mkdtemp(prefix="eddy-nonroot-"))
    try:
        base.chmod(0o755)
        workdir, volume, logs = base / "app", base / "volume", base / "logs"
        workdir.mkdir()
        logs.mkdir()
        env = image_env(DOCKERFILES[0], volume)
        # A registry outside the volume would be a host path here: keep it on the volume.
        if not env.get("EDDY_REGISTRY_DIR", "").startswith(f"{volume}/"):
            env["EDDY_REGISTRY_DIR"] = str(volume / "models")
        # The champion where the image keeps its registry, as a copy (hard links would hand
        # the session's files to the uid); the whole volume is the uid's, as in the image.
        volume.mkdir()
        shutil.copytree(settings.stack.models_dir, env["EDDY_REGISTRY_DIR"])
        _chown_tree(volume, UID)
        workdir.chmod(0o555)
        python, pythonpath = _reachable_code(base, workdir)
        s = settings.override(
            # Own consumer groups and heartbeat keys: other tests' workers may share the session.
            kafka={"app_id": f"{settings.kafka.app_id}-nonroot"},
            redis={"prefix": f"{settings.redis.prefix}nonroot:"},
            metrics={"port": free_port_run(9)},
            gateway={"port": free_port()},
            label_studio={"webhook_port": free_port()},
            console={"port": free_port(), "token": "nonroot-console-token-0123456789"},
            annotation={"ml_backend_port": free_port()},
        )
        yield ImageLike(s, env, workdir, volume, logs, python, pythonpath)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _start(img: ImageLike, name: str, args: list[str]) -> subprocess.Popen[bytes]:
    own = img.settings.to_env()
    # Where state goes is the image's to say: without its EDDY_DATA_DIR a role falls back to
    # ./.eddy in the read-only working directory.
    for key in ("EDDY_DATA_DIR", "EDDY_REGISTRY_DIR"):
        own.pop(key, None)
    env = {**os.environ, **own, **img.env}
    if img.pythonpath:
        env["PYTHONPATH"] = img.pythonpath
    with (img.logs / f"{name}.log").open("wb") as log:  # the child keeps its own fd
        return subprocess.Popen(
            [*AS_UID, img.python, "-m", "services.cli", *args],
            cwd=img.workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def _alive(img: ImageLike) -> int:
    proc = _start(img, "alive", ["alive"])
    return proc.wait(60)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def test_every_role_starts_as_non_root_in_a_read_only_workdir(image_like: ImageLike) -> None:
    img, s = image_like, image_like.settings
    urls = {
        "gateway": f"http://127.0.0.1:{s.gateway.port}/healthz",
        "webhook": f"http://127.0.0.1:{s.label_studio.webhook_port}/healthz",
        "ml-backend": f"http://127.0.0.1:{s.annotation.ml_backend_port}/health",
        "console": f"http://127.0.0.1:{s.console.port}/healthz",
    }
    # The image's HEALTHCHECK says "not alive" while nothing of this host beats or answers.
    assert _alive(img) == 1
    procs = {name: _start(img, name, args) for name, args in {**BEATING, **SERVING}.items()}
    try:
        waiting = set(procs)
        deadline = time.monotonic() + 240
        while waiting and time.monotonic() < deadline:
            beating = {(b["role"], int(b["pid"])) for b in replicas(s.redis)}
            for name in sorted(waiting):
                proc = procs[name]
                if proc.poll() is not None:
                    log = (img.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                    pytest.fail(f"{name} exited with {proc.returncode} as uid {UID}:\n{log}")
                if (name, proc.pid) in beating or (name in urls and _healthy(urls[name])):
                    waiting.discard(name)
            time.sleep(0.5)
        assert not waiting, f"no heartbeat / health in 240 s from {sorted(waiting)}"
        assert _alive(img) == 0, "the HEALTHCHECK (eddy alive) disagrees"
        # Each process ran as the uid (setpriv execs, so the pid is the role's own).
        for name, proc in procs.items():
            status = Path(f"/proc/{proc.pid}/status").read_text()
            assert re.search(rf"^Uid:\s+{UID}\s", status, re.M), name
        # Faust's state went to the volume, one directory per worker.
        data = Path(img.env.get("EDDY_DATA_DIR", img.workdir / ".eddy"))
        state = {p.name for p in (data / "state").iterdir()}
        assert {f"{s.kafka.app_id}-{role}" for role in ("normalize", "classify", "route")} <= state
        # The workers' and the trainer's pulse (what `eddy alive` reads without Redis), renewed
        # by the uid on the volume.
        assert pulse.fresh(data), "no fresh pulse in the data dir"
        assert pulse.pulse_path(data).stat().st_uid == UID
        assert not any(img.workdir.iterdir())
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_the_image_runs_as_the_test_does(dockerfile: Path) -> None:
    """The image sets what the test above relies on: a non-root USER, a read-only /app as the
    working directory, and EDDY_DATA_DIR on a declared VOLUME with the registry inside it."""
    final = _final_stage(dockerfile)
    user = re.findall(r"^USER\s+(\S+)", final, re.M)
    assert user and user[-1].split(":")[0] not in ("0", "root"), "the image must not run as root"
    env = image_env(dockerfile, Path("/VOLUME"))
    assert env.get("EDDY_DATA_DIR") == "/VOLUME", "EDDY_DATA_DIR must be the declared VOLUME"
    assert env.get("EDDY_REGISTRY_DIR", "").startswith("/VOLUME/")
    assert env.get("HOME", "").startswith("/VOLUME"), "caches in ~ must not hit read-only /app"
    assert re.search(r"^WORKDIR\s+/app", final, re.M)
    assert "HEALTHCHECK" in final
