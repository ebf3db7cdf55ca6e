"""`eddy up` and `eddy demo` refuse an environment scripts/setup built for other dependencies,
in one line, before anything starts (the old .venv started every server, then lost the
webhook to a missing module and tore the stack down with a 44-line traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.stack import install


@pytest.mark.parametrize("command", ["up", "demo"])
def test_a_stale_environment_is_refused_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    root, venv = tmp_path / "checkout", tmp_path / "checkout" / ".venv"
    (root / "constraints").mkdir(parents=True)
    venv.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'eddy'\n")
    (venv / install.STAMP).write_text("a digest of older dependencies\n")
    checkout = install.stale_install
    monkeypatch.setattr(install, "stale_install", lambda: checkout(root, venv))
    data = tmp_path / "data"
    res = CliRunner().invoke(app, [command, "--data-dir", str(data)], catch_exceptions=False)
    assert res.exit_code == 1, res.output
    said = " ".join(res.output.split())
    assert said.startswith(f"eddy {command} refused: pyproject.toml or constraints/ changed")
    assert said.endswith("run scripts/setup, which reinstalls only then")
    assert not data.exists(), "something ran before the check"
