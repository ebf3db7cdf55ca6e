"""`eddy prune` and what the listings say of a pruned version, on a directory registry of
small stand-in files (no model is loaded)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from services.cli import app
from services.registry.rollout import change_champion, promote
from services.registry.store import ModelRegistry

runner = CliRunner()
NO_BROKER = {"EDDY_KAFKA_BOOTSTRAP": "127.0.0.1:9", "EDDY_REGISTRY_KEEP": "10"}


def _registry(data: Path, n: int) -> ModelRegistry:
    reg = ModelRegistry(data / "models")
    for _ in range(n):
        reg.add(lambda d: (d / "model.safetensors").write_bytes(b"w" * 2000), {"labels": ["a"]})
    change_champion(reg, 1, "bootstrapped", "seed")
    promote(reg, 3, "gate passed")
    return reg


def test_prune_says_what_goes_then_removes_it(tmp_path: Path) -> None:
    reg = _registry(tmp_path, 5)
    args = ["prune", "--data-dir", str(tmp_path)]
    res = runner.invoke(app, [*args, "--keep", "1", "--dry-run", "--json"], env=NO_BROKER)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert (doc["pruned"], doc["kept"], doc["dry_run"]) == ([2, 4], [1, 3, 5], True)
    assert doc["rollback_chain"] == [1] and not reg.pruned_versions()
    res = runner.invoke(app, [*args, "--keep", "1"], env=NO_BROKER)
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [
        "pruned v2, v4, 3.9 kB freed; 3 kept (--keep=1)",
        "kept: newest v5; champion v3; rollback chain v1",
    ]
    assert reg.pruned_versions() == {2, 4}
    rows = json.loads(
        runner.invoke(app, ["versions", "--data-dir", str(tmp_path), "--json"]).stdout
    )
    assert [bool(r["pruned_at"]) for r in rows] == [False, True, False, True, False]
    table = runner.invoke(app, ["versions", "--data-dir", str(tmp_path)]).stdout
    assert "-, pruned" in table
    res = runner.invoke(app, ["promote", "v4", "--data-dir", str(tmp_path)], env=NO_BROKER)
    assert res.exit_code == 1 and res.output.startswith("promote failed: v4's weights were")
    assert "by `eddy prune --keep 1`, to bound" in res.output
    res = runner.invoke(app, args, env=NO_BROKER)  # the setting's 10: nothing more to do
    assert res.stdout.splitlines() == [
        "nothing to prune: 3 version(s) kept (EDDY_REGISTRY_KEEP=10)",
        "kept: newest v1, v3, v5; champion v3; rollback chain v1; pruned before: v2, v4",
    ]


def test_prune_refuses_with_nothing_to_do(tmp_path: Path) -> None:
    res = runner.invoke(app, ["prune", "--data-dir", str(tmp_path)], env=NO_BROKER)
    assert res.exit_code == 2
    assert (
        res.output.strip()
        == f"no model registry: {tmp_path / 'models'} (--data-dir, EDDY_REGISTRY_DIR)"
    )
    _registry(tmp_path, 3)
    off = {**NO_BROKER, "EDDY_REGISTRY_KEEP": "0"}
    res = runner.invoke(app, ["prune", "--data-dir", str(tmp_path)], env=off)
    assert res.exit_code == 2 and "pass --keep N to prune by hand" in res.output
    res = runner.invoke(app, ["prune", "--keep", "0", "--data-dir", str(tmp_path)], env=off)
    assert res.exit_code == 2 and "--keep" in res.output
