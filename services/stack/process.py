"""A child server process: started with its log in the data dir, probed until ready, stopped
with SIGTERM (then SIGKILL) so nothing is left behind."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class StackError(RuntimeError):
    pass


def die_with_parent() -> None:
    # Linux: the child gets SIGTERM if its parent (`eddy up`, a test session) dies without
    # cleaning up (e.g. SIGKILL).
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path | None = None
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.name}\n".encode())
        log.flush()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        except FileNotFoundError:
            raise StackError(f"{self.name}: executable not found: {self.argv[0]}") from None
        finally:
            log.close()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 15) -> str:
        try:
            data = self.log_path.read_bytes()[-8000:].decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(data.splitlines()[-lines:])

    def wait_ready(self, probe: Callable[[], bool], timeout_s: float, what: str = "") -> float:
        """Poll ``probe`` until it is true; fail fast if the process dies. Returns seconds."""
        start = time.monotonic()
        while True:
            if not self.alive():
                code = self.proc.returncode if self.proc else None
                raise StackError(
                    f"{self.name} exited (code {code}) before it was ready; "
                    f"log {self.log_path}:\n{self.tail()}"
                )
            try:
                if probe():
                    return time.monotonic() - start
            except Exception:  # not ready yet; probes raise while the server boots
                pass
            if time.monotonic() - start > timeout_s:
                raise StackError(
                    f"{self.name} not ready after {timeout_s:.0f}s{what}; "
                    f"log {self.log_path}:\n{self.tail()}"
                )
            time.sleep(0.25)

    def stop(self, timeout_s: float = 20.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        # Children of the child (same session) must not outlive it either.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        return self.proc.returncode


def stop_note(code: int | None) -> str:
    """What a child's exit status says after our SIGTERM: nothing when it stopped as asked
    (0, or killed by that SIGTERM), else the status (-9: killed, by our SIGKILL after the
    grace period or by something else). Pure."""
    if code in (None, 0, -signal.SIGTERM):
        return ""
    return f" (exit {code})"
