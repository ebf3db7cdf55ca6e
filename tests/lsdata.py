"""Label Studio data dirs for tests: the session's migrated, user-less template, and a stack's
data dir made from it."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from services.core.settings import Settings
from services.stack import binaries
from services.stack.process import die_with_parent
from services.stack.secrets import FILE, write_private
from services.stack.servers import label_studio_env


class LabelStudioTemplate:
    """`label-studio version --data-dir D` applies every migration to a new database, prints
    its version and exits, creating nobody: a migrated, user-less data dir that each Label
    Studio a test boots copies. Started in the background (at collection), waited for when
    first needed; a failure to start is kept (``broken``) and raised there."""

    def __init__(
        self, top: Path | None, proc: subprocess.Popen[bytes] | None, error: str = ""
    ) -> None:
        self.top, self.proc, self.error = top, proc, error

    @classmethod
    def broken(cls, error: str) -> LabelStudioTemplate:
        return cls(None, None, error)

    @classmethod
    def start(cls, settings: Settings, top: Path) -> LabelStudioTemplate:
        """Migrate into TOP/label-studio, logging to TOP/version.log."""
        argv = [str(binaries.label_studio(settings.stack.label_studio_bin)), "version"]
        data = top / "label-studio"
        data.mkdir(parents=True)
        try:
            with (top / "version.log").open("wb") as out:  # not a pipe: migrations say a lot
                proc = subprocess.Popen(
                    [*argv, "--data-dir", str(data)],
                    env=label_studio_env(data, own=False),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    preexec_fn=die_with_parent,  # not left migrating when pytest is killed
                )
        except OSError:
            shutil.rmtree(top, ignore_errors=True)
            raise
        return cls(top, proc)

    def _said(self) -> str:
        log = self.top / "version.log" if self.top else None
        return log.read_text(errors="replace")[-3000:] if log and log.exists() else ""

    def ready(self) -> Path:
        if self.top is None or self.proc is None:
            pytest.fail(f"no Label Studio template: {self.error}")
        try:
            code = self.proc.wait(600)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # not left migrating beside the tests that follow
            self.proc.wait()
            pytest.fail(f"label-studio version ran over 600 s:\n{self._said()}")
        assert code == 0, f"label-studio version failed ({code}):\n{self._said()}"
        data = self.top / "label-studio"
        assert (data / "label_studio.sqlite3").exists(), self._said()
        return data

    def discard(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.top is not None:
            shutil.rmtree(self.top, ignore_errors=True)


def migrated_label_studio(data_dir: Path, template: Path) -> None:
    """Give a new data dir the session's migrated, user-less Label Studio database (the
    `label_studio_template` fixture), so its Label Studio boots in seconds instead of the
    minute its migrations take. Its admin is still created on the first start, from a password
    and token written the way `eddy up` writes them (a fresh data dir boots as users see it in
    tests/e2e/test_up.py)."""
    shutil.copytree(template, data_dir / "label-studio")
    admin = {
        "EDDY_LABEL_STUDIO_PASSWORD": secrets.token_hex(24),
        "EDDY_LABEL_STUDIO_TOKEN": secrets.token_hex(20),  # a legacy token: 40 hex characters
    }
    write_private(data_dir / FILE, "".join(f"{k}={v}\n" for k, v in admin.items()))
