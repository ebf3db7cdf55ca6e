"""`eddy simulate` refuses what it can before any training (a bad --json path used to end a
run of minutes in a traceback, its results lost), and reports 0 as 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.simulate.report import tables


@pytest.mark.parametrize("option", ["--json", "--png"])
def test_an_output_path_that_cannot_be_written_is_refused_first(
    tmp_path: Path, option: str
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    missing = str(tmp_path / "none.csv")  # were the check gone, this would stop the run
    for bad, said in ((tmp_path, "is a folder"), (blocked / "out.x", "cannot make")):
        res = CliRunner().invoke(app, ["simulate", option, str(bad), "--dataset", missing])
        assert res.exit_code == 2, res.output
        assert said in res.output and option in res.output, res.output


def test_an_output_folder_that_does_not_exist_is_made(tmp_path: Path) -> None:
    # --png made its folder at the end, --json failed there: both make it up front now. The
    # missing dataset stops the run right after, before any training.
    out = tmp_path / "new" / "deeper" / "report.json"
    res = CliRunner().invoke(
        app, ["simulate", "--json", str(out), "--dataset", str(tmp_path / "none.csv")]
    )
    assert res.exit_code == 1 and "no such file" in res.output, res.output
    assert out.parent.is_dir()


def test_the_table_shows_zero_labels_to_match_random_as_zero() -> None:
    s = {
        "seeds": 1, "final_labels": 60, "final_accuracy": 0.8, "final_accuracy_sd": 0.0,
        "final_macro_f1": 0.7, "auc": 0.5, "gate_wrong": 0, "gate_decisions": 1,
    }  # fmt: skip
    result = {
        "dataset": "d",
        "test_size": 10,
        "arms": [],
        "summary": {
            "margin": {**s, "labels_to_match_random": 0},
            "x": {**s, "labels_to_match_random": None},
        },
    }
    summary, _ = tables(result)
    cells = summary.columns[6]._cells
    assert cells == ["0", "-"]


def test_the_curves_are_a_png_whatever_the_name_ends_in(tmp_path: Path) -> None:
    # matplotlib picks the format from the suffix: `--png curves.v2` raised after training.
    from services.simulate.report import plot

    points = [{"labels": n, "accuracy": 0.5 + n / 1000} for n in (0, 60, 120)]
    arms = [{"strategy": s, "recipe": "auto", "seed": 1, "points": points} for s in ("a", "b")]
    out = tmp_path / "curves.v2"
    plot({"dataset": "d", "test_size": 10, "arms": arms}, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_class_is_refused_before_any_training(tmp_path: Path) -> None:
    data = tmp_path / "one.csv"
    data.write_text("text,label\n" + "".join(f"t{i},pos\n" for i in range(50)))
    res = CliRunner().invoke(app, ["simulate", "--dataset", str(data)])
    assert res.exit_code == 1 and "one class only" in res.output, res.output
    assert "bootstrap" not in res.output


def test_ctrl_c_says_what_it_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import services.simulate.run as run

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "simulate", interrupted)
    data = tmp_path / "two.csv"
    data.write_text("text,label\n" + "".join(f"t{i},{'ab'[i % 2]}\n" for i in range(50)))
    res = CliRunner().invoke(app, ["simulate", "--dataset", str(data)])
    assert res.exit_code == 130 and "interrupted: no report written" in res.output, res.output


def test_each_finished_arm_says_how_long_is_left() -> None:
    from services.simulate.run import _eta

    assert _eta(1, 4, 600) == "1/4 arm(s) done in 10 min; about 30 min left"
    assert _eta(3, 3, 1800) == "3/3 arm(s) done in 30 min"
    assert _eta(5, 6, 50) == "5/6 arm(s) done in 1 min; about 1 min left"
