"""The disk demo runs keep (about 1 GB each) is said, and a disk too full for a run is found
before the run starts, not ten minutes into it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.demo.disk import free_bytes, kept_runs, size_text, space_problem


def _run(data: Path, name: str, size: int) -> Path:
    root = data / "demo-runs" / name
    (root / "models" / "v1").mkdir(parents=True)
    (root / "models" / "v1" / "model.safetensors").write_bytes(b"x" * size)
    return root


def test_kept_runs_count_and_sizes(tmp_path: Path) -> None:
    assert kept_runs(tmp_path).count == 0
    _run(tmp_path, "a", 1000)
    _run(tmp_path, "b", 500)
    runs = kept_runs(tmp_path)
    assert (runs.count, runs.size) == (2, 1500)
    assert runs.folder == tmp_path / "demo-runs"
    assert kept_runs(tmp_path, since=time.time() + 60).count == 0


def test_enough_space_is_no_problem() -> None:
    assert space_problem(Path("/nowhere"), free=3 * 1024**3) is None


def test_a_full_disk_names_the_earlier_runs_and_the_setting(tmp_path: Path) -> None:
    _run(tmp_path, "old", 2 * 1024**2)
    said = space_problem(tmp_path, free=300 * 1024**2)
    assert said is not None
    assert "300 MB free" in said and "1 earlier run(s)" in said and "2 MB" in said, said
    assert "--data-dir (EDDY_DATA_DIR)" in said, said
    empty = space_problem(tmp_path / "fresh", free=0)
    assert empty is not None and "earlier" not in empty


def test_free_bytes_of_a_folder_not_made_yet(tmp_path: Path) -> None:
    assert free_bytes(tmp_path / "not" / "yet") == free_bytes(tmp_path) > 0


def test_sizes_read_as_people_write_them() -> None:
    assert size_text(919 * 1024**2) == "919 MB" and size_text(7 * 1024**3) == "7.0 GB"


def test_the_demo_refuses_a_full_disk_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.cli.demo as cli
    import services.demo.run as run

    def never(*_args: object) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(cli, "free_bytes", lambda _p: 100 * 1024**2)
    monkeypatch.setattr(run, "run_demo", never)
    res = CliRunner().invoke(app, ["demo", "--data-dir", str(tmp_path)])
    assert res.exit_code == 2, res.output
    assert "not enough disk for a demo run: 100 MB free" in " ".join(res.output.split())


def test_ctrl_c_says_where_the_runs_versions_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.demo.run as run

    _run(tmp_path, "earlier", 10)
    old = time.time() - 3600
    for p in (tmp_path / "demo-runs" / "earlier", tmp_path / "demo-runs"):
        os.utime(p, (old, old))

    def interrupted(*_args: object) -> None:
        _run(tmp_path, "now", 3 * 1024**2)
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "run_demo", interrupted)
    res = CliRunner().invoke(app, ["demo", "--data-dir", str(tmp_path)])
    assert res.exit_code == 130, res.output
    said = " ".join(res.output.split())
    assert "interrupted; everything stopped" in said, said
    assert f"stay in {tmp_path / 'demo-runs' / 'now'} (3 MB)" in said, said
    assert "earlier" not in said, "only this run's folder"
