"""The long commands refuse an output path they could not write before they start, not after
minutes of work whose results would then be lost (`eddy demo --report` wrote only at the end)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app


@pytest.mark.parametrize(
    ("command", "option"),
    [("demo", "--report"), ("demo", "--png"), ("bench", "--json"), ("simulate", "--json")],
)
def test_an_output_path_that_cannot_be_written_is_refused_first(
    tmp_path: Path, command: str, option: str
) -> None:
    data = tmp_path / "data"
    blocked = tmp_path / "file"
    blocked.write_text("")
    # Were the check gone, a missing dataset (for bench, a bad backend) would stop the run at
    # once, with another message.
    rest = (
        ["--backend", "bogus"] if command == "bench" else ["--dataset", str(tmp_path / "none.csv")]
    )
    for bad, said in ((tmp_path, "is a folder"), (blocked / "out.x", "cannot make")):
        res = CliRunner().invoke(
            app,
            [command, option, str(bad), "--data-dir", str(data), *rest],
            catch_exceptions=False,
        )
        assert res.exit_code == 2, res.output
        assert said in res.output and option in res.output, res.output
    assert not data.exists(), "something ran before the check"
