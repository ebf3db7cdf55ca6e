from collections import Counter
from pathlib import Path

import pytest

from services.training.examples import (
    DatasetError,
    Example,
    label_set,
    read_examples,
    stratified_split,
)


def test_split_is_stratified_reproducible_and_disjoint() -> None:
    data = [Example(f"t{i}", "a" if i % 4 else "b") for i in range(100)]
    train, hold = stratified_split(data, 0.2, seed=3)
    assert stratified_split(data, 0.2, seed=3) == (train, hold)
    assert Counter(e.label for e in hold) == {"a": 15, "b": 5}
    assert not {e.text for e in train} & {e.text for e in hold}
    assert len(train) + len(hold) == 100


def test_rare_class_lands_in_both_parts() -> None:
    data = [Example(f"t{i}", "a") for i in range(20)] + [Example("x", "b"), Example("y", "b")]
    train, hold = stratified_split(data, 0.1, seed=0)
    assert "b" in {e.label for e in train} and "b" in {e.label for e in hold}


def test_read_csv_and_jsonl(tmp_path: Path) -> None:
    csv_file = tmp_path / "seed.csv"
    csv_file.write_text('text,label\n"hello, there",pos\n,neg\nbye,neg\n')
    assert read_examples(csv_file) == [Example("hello, there", "pos"), Example("bye", "neg")]
    jl = tmp_path / "seed.jsonl"
    jl.write_text('{"text": "a", "label": "x"}\n\n{"text": "b", "label": "y"}\n')
    assert [e.label for e in read_examples(jl)] == ["x", "y"]


def test_read_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        read_examples(tmp_path / "nope.csv")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a"}\n')
    with pytest.raises(DatasetError, match="lacks"):
        read_examples(bad)
    (tmp_path / "x.parquet").write_text("")
    with pytest.raises(DatasetError, match="unsupported"):
        read_examples(tmp_path / "x.parquet")


def test_label_set_from_data_or_settings() -> None:
    data = [Example("a", "pos"), Example("b", "neg")]
    assert label_set(data) == ["neg", "pos"]
    assert label_set(data, ["pos", "neg", "neutral"]) == ["pos", "neg", "neutral"]
    with pytest.raises(DatasetError, match="not in EDDY_LABELS"):
        label_set(data, ["pos"])
