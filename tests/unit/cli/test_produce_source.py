"""Where `eddy produce` reads events: a regular file (its lines counted for the progress
bar), or a pipe read as it comes. `eddy produce <(cat x)` said "/dev/fd/63: no such file"."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import typer

from services.cli.events import _lines, _source


def test_a_file_is_counted_and_its_line_numbers_kept(tmp_path: Path) -> None:
    f = tmp_path / "e.jsonl"
    f.write_bytes(b'{"a": 1}\n\n{"b": 2}\r\n  \n[1]')
    source, total = _source(str(f))
    with source:
        assert total == 3, "the lines it yields: the progress bar ends at 100%"
        assert list(_lines(source)) == [(1, b'{"a": 1}'), (3, b'{"b": 2}'), (5, b"[1]")]


def test_a_named_pipe_is_read_as_it_comes(tmp_path: Path) -> None:
    fifo = tmp_path / "events"
    os.mkfifo(fifo)

    def write() -> None:
        with fifo.open("wb") as w:
            w.write(b'{"a": 1}\n{"b": 2}')

    writer = threading.Thread(target=write)
    writer.start()
    source, total = _source(str(fifo))
    with source:
        assert total is None
        assert [n for n, _ in _lines(source)] == [1, 2]
    writer.join(10)


@pytest.mark.parametrize(("name", "said"), [("missing.jsonl", "no such file"), (".", "folder")])
def test_what_cannot_be_read_is_one_line(
    tmp_path: Path, name: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as exit_:
        _source(str(tmp_path / name))
    assert exit_.value.exit_code == 2 and said in capsys.readouterr().err
