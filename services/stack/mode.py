"""What the running `eddy up` started, for commands that look at the stack from beside it.

`eddy up --no-label-studio` runs no annotate worker and no trainer; `eddy status` or a
separate `eddy console` in another terminal, reading only the environment, expected them and
reported them missing (exit 1). `eddy up` records its mode in DATA_DIR/up.json while it runs;
those commands follow it unless EDDY_WITH_LABEL_STUDIO is set where they run."""

from __future__ import annotations

import json
import os
from pathlib import Path

from services.core.settings import Settings

FILE = "up.json"
VARIABLE = "EDDY_WITH_LABEL_STUDIO"


def record(data_dir: Path, with_label_studio: bool) -> None:
    """Write the record, unless another live `eddy up` holds it: a second one on the same
    data dir fails its preflight (the ports are taken) and must not replace, then erase, the
    running one's."""
    other = running(data_dir)
    if other is not None and other.get("pid") != os.getpid():
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    body = {"pid": os.getpid(), "with_label_studio": with_label_studio}
    (data_dir / FILE).write_text(json.dumps(body) + "\n")


def clear(data_dir: Path) -> None:
    """Remove the record, if it is this process's (a second `eddy up` that failed to start
    must not erase the running one's)."""
    if (running(data_dir) or {}).get("pid") == os.getpid():
        (data_dir / FILE).unlink(missing_ok=True)


def running(data_dir: Path) -> dict[str, object] | None:
    """The record of an `eddy up` still alive on this machine, or None."""
    try:
        body = json.loads((data_dir / FILE).read_text())
        pid = int(body["pid"])
        mode = bool(body["with_label_studio"])
        os.kill(pid, 0)
    except PermissionError:
        pass  # alive, under another user
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no record, a damaged one, or its process is gone
    return {"pid": pid, "with_label_studio": mode}


def live_up(data_dir: Path) -> int | None:
    """The pid of the `eddy up` running on ``data_dir``, or None (no record, or a stale one)."""
    up = running(data_dir)
    pid = int(str(up["pid"])) if up is not None else None
    return pid if pid is not None and is_eddy_up(pid) else None


def is_eddy_up(pid: int) -> bool:
    """Whether ``pid`` runs `eddy up` (`eddy up` or `python -m services.cli up`), where
    /proc says; True where it cannot tell (no /proc, another user's process). A record left
    by a killed `eddy up` may name a pid another process has since been given."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True
    return b"up" in args and any(b"eddy" in a or a == b"services.cli" for a in args)


def follow_up(s: Settings, environ: dict[str, str] | None = None) -> Settings:
    """Settings that expect what the running `eddy up` started, unless the user said."""
    env = os.environ if environ is None else environ
    if any(name.upper() == VARIABLE for name in env):
        return s
    up = running(s.stack.data_dir)
    if up is None or up["with_label_studio"] == s.stack.with_label_studio:
        return s
    return s.override(stack={"with_label_studio": up["with_label_studio"]})
