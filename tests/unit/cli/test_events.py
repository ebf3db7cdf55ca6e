from pathlib import Path

from services.cli.events import _lines


def test_lines_keep_the_files_own_numbers(tmp_path: Path) -> None:
    f = tmp_path / "e.jsonl"
    f.write_bytes(b"\n\n{}\n  \n[1]\n")
    assert _lines(str(f)) == [(3, b"{}"), (5, b"[1]")]
