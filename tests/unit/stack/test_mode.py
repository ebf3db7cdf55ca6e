"""`eddy status` beside `eddy up --no-label-studio` expects what that stack started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from services.core.settings import Settings, load_settings
from services.stack import mode


def _settings(tmp_path: Path, with_label_studio: bool = True) -> Settings:
    return load_settings(stack={"data_dir": tmp_path, "with_label_studio": with_label_studio})


def test_status_follows_a_running_up_without_label_studio(tmp_path: Path) -> None:
    mode.record(tmp_path, with_label_studio=False)
    s = mode.follow_up(_settings(tmp_path), environ={})
    assert s.stack.with_label_studio is False


def test_the_users_own_setting_wins(tmp_path: Path) -> None:
    mode.record(tmp_path, with_label_studio=False)
    s = mode.follow_up(_settings(tmp_path), environ={"eddy_with_label_studio": "true"})
    assert s.stack.with_label_studio is True


def test_a_record_whose_process_is_gone_is_ignored(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    body = {"pid": int(done.stdout), "with_label_studio": False}
    (tmp_path / mode.FILE).write_text(json.dumps(body))
    assert mode.running(tmp_path) is None
    assert mode.follow_up(_settings(tmp_path), environ={}).stack.with_label_studio is True
    (tmp_path / mode.FILE).write_text("{not json")
    assert mode.running(tmp_path) is None


def test_clear_removes_only_its_own_record(tmp_path: Path) -> None:
    mode.record(tmp_path, with_label_studio=True)
    mode.clear(tmp_path)
    assert not (tmp_path / mode.FILE).exists()
    other = {"pid": 1, "with_label_studio": False}  # pid 1 is alive and not us
    (tmp_path / mode.FILE).write_text(json.dumps(other))
    mode.clear(tmp_path)
    assert (tmp_path / mode.FILE).exists()


def test_a_second_up_that_fails_leaves_the_running_ones_record(tmp_path: Path) -> None:
    # The second records (refused: the first is alive), fails its preflight, clears.
    first = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        body = {"pid": first.pid, "with_label_studio": False}
        (tmp_path / mode.FILE).write_text(json.dumps(body))
        mode.record(tmp_path, with_label_studio=True)
        mode.clear(tmp_path)
        assert mode.running(tmp_path) == body
    finally:
        first.kill()
        first.wait()


def test_only_an_eddy_up_process_counts_as_one() -> None:
    # A record left by a killed `eddy up` can name a pid another process now has: `eddy up`
    # refused to start, pointing at a stranger to kill -INT.
    assert not mode.is_eddy_up(os.getpid())  # pytest
    up = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "services.cli", "up"]
    )
    try:
        # Until the child has exec'd, /proc shows the parent's (pytest's) command line.
        cmdline = Path(f"/proc/{up.pid}/cmdline")
        for _ in range(100):
            if b"time.sleep" in cmdline.read_bytes():
                break
            time.sleep(0.05)
        assert mode.is_eddy_up(up.pid)
    finally:
        up.kill()
        up.wait()
