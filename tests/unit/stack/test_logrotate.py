"""The embedded stack's logs are kept to a size: copied to NAME.log.1 and truncated in place,
and a process that appends to the log goes on writing at the new end."""

from __future__ import annotations

from pathlib import Path

from services.stack.logrotate import LogRotation, rotate_if_large


def test_a_log_past_the_limit_is_rotated_and_its_writer_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "worker-route.log"
    with path.open("ab") as writer:  # as `eddy up` hands a child its stdout
        writer.write(b"old line\n" * 200_000)  # 1.8 MB
        writer.flush()
        assert not rotate_if_large(path, 4 * 1024**2)
        assert rotate_if_large(path, 1024**2)
        assert (tmp_path / "worker-route.log.1").stat().st_size == 1_800_000
        assert path.stat().st_size == 0
        writer.write(b"new line\n")
        writer.flush()
    assert path.read_bytes() == b"new line\n", "appended at the new end, no hole of zeros"


def test_rotation_checks_every_minute_and_says_what_it_did(tmp_path: Path) -> None:
    path = tmp_path / "label-studio.log"
    path.write_bytes(b"x" * (2 * 1024**2))
    said: list[str] = []
    rotation = LogRotation(lambda: [path, tmp_path / "gone.log"], 1, said.append)
    rotation.tick(100.0)
    assert len(said) == 1 and said[0].startswith(f"rotated {path} (over EDDY_LOG_MAX_MB)")
    path.write_bytes(b"x" * (2 * 1024**2))
    rotation.tick(130.0)  # within the minute: not checked
    assert len(said) == 1
    rotation.tick(161.0)
    assert len(said) == 2
    LogRotation(lambda: [path], 0, said.append).tick(1000.0)  # 0: never
    assert len(said) == 2
