"""A checkout whose dependencies changed since scripts/setup ran is named, with the fix."""

from __future__ import annotations

import subprocess
from pathlib import Path

from services.stack.install import STAMP, setup_digest, stale_install

ROOT = Path(__file__).resolve().parents[3]


def _checkout(tmp_path: Path) -> tuple[Path, Path]:
    root, venv = tmp_path / "eddy", tmp_path / "eddy" / ".venv"
    (root / "constraints").mkdir(parents=True)
    venv.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'eddy'\n")
    (root / "constraints" / "eddy.txt").write_text("torch==2.13.0\n")
    (root / "constraints" / "label-studio.txt").write_text("django==5.1\n")
    return root, venv


def test_the_digest_is_scripts_setups_own() -> None:
    line = next(ln for ln in (ROOT / "scripts/setup").read_text().splitlines()
                if ln.startswith("stamp_of()"))  # fmt: skip
    shell = line.split("{", 1)[1].rsplit("}", 1)[0].rstrip("; ")
    out = subprocess.run(["bash", "-c", shell], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == setup_digest(ROOT)


def test_a_changed_constraint_is_named_with_the_fix(tmp_path: Path) -> None:
    root, venv = _checkout(tmp_path)
    (venv / STAMP).write_text(setup_digest(root) + "\n")
    assert stale_install(root, venv) is None
    (root / "constraints" / "eddy.txt").write_text("torch==2.13.0\njsonschema-rs==0.61.2\n")
    problem = stale_install(root, venv)
    assert problem is not None and problem.endswith("run scripts/setup, which reinstalls only then")
    assert str(venv) in problem


def test_no_stamp_or_no_checkout_is_not_judged(tmp_path: Path) -> None:
    root, venv = _checkout(tmp_path)
    assert stale_install(root, venv) is None  # a venv scripts/setup did not build
    (venv / STAMP).write_text("old\n")
    assert stale_install(tmp_path / "site-packages", venv) is None  # an installed package
