import json
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
    with pytest.raises(DatasetError, match=r"bad.jsonl:1: no .text. or .label. column"):
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


# What a data scientist's own files look like (found trying `eddy simulate` on them).


def test_a_label_0_is_a_class_not_a_missing_label(tmp_path: Path) -> None:
    # `str(0 or "")` dropped every row of class 0: a whole class gone without a word.
    path = tmp_path / "ints.jsonl"
    rows = [{"text": f"t{i}", "label": i % 3} for i in range(9)]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert sorted({e.label for e in read_examples(path)}) == ["0", "1", "2"]
    assert len(read_examples(path)) == 9


def test_a_label_that_is_a_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lists.jsonl"
    path.write_text(json.dumps({"text": "hi", "label": ["negative"]}))
    with pytest.raises(DatasetError, match="'label' must be a string or a number, not list"):
        read_examples(path)


def test_a_utf8_bom_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefftext,label\nhello,positive\n".encode())
    assert read_examples(path) == [Example("hello", "positive")]


def test_latin1_is_one_line_with_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("text,label\ncaf\u00e9 ok,positive\n".encode("latin-1"))
    with pytest.raises(
        DatasetError, match=r"latin1.csv:2: not UTF-8 \(byte 0xe9\).*iconv -f windows-1252"
    ):
        read_examples(path)
    # Far into a large file (the decoder's chunk offset was reported): the file's own line.
    big = tmp_path / "big.csv"
    big.write_bytes(b"text,label\n" + b"fine,positive\n" * 5000 + "caf\u00e9,x\n".encode("latin-1"))
    with pytest.raises(DatasetError, match=r"big.csv:5002: not UTF-8"):
        read_examples(big)


def test_a_semicolon_file_says_so(tmp_path: Path) -> None:
    # A row with more fields than the header raised a TypeError from sorted().
    path = tmp_path / "semi.csv"
    path.write_text("text;label\nhello world;positive\n")
    with pytest.raises(DatasetError, match=r"no .text. or .label. column.*semicolon-separated"):
        read_examples(path)
    path.write_text("text;label\nhello, world;positive\n")
    with pytest.raises(DatasetError, match=r"semi.csv:2: more fields.*semicolon-separated"):
        read_examples(path)
    # A comma file with one unquoted comma in a text: the line, and the way to fix it.
    path.write_text('text,label\nfine,pos\n"two\nlines",neg\nhello, world,neg\n')
    with pytest.raises(DatasetError, match=r"semi.csv:5: more fields.*must be in double quotes"):
        read_examples(path)


def test_empty_rows_are_counted_by_reason(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("text,label\nhello,positive\n   ,negative\nbye,\n,\n")
    skipped: Counter[str] = Counter()
    assert read_examples(path, skipped=skipped) == [Example("hello", "positive")]
    assert skipped == {"empty text": 2, "empty label": 1}
