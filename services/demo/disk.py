"""The disk demo runs take. Each run keeps its registry for a later `eddy versions --data-dir`:
four to six versions, each its weights and their ONNX export (about 230 MB), so about 1 to
1.4 GB a run. A user who runs the demo a few times must see where the space went, and a
disk that fills mid-run must be found before the run, not as an error ten minutes in."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from services.demo.options import run_dir

# What one run needs free: the largest runs measured kept 1.2 GB, plus the stack's logs,
# Redis and Label Studio files, and room for the weights being written.
NEEDED_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Runs:
    """Demo run folders under a data dir, and the bytes they hold."""

    folder: Path
    paths: tuple[Path, ...]
    size: int

    @property
    def count(self) -> int:
        return len(self.paths)


def tree_size(path: Path) -> int:
    """Bytes of the files under ``path`` (links not followed; files gone meanwhile skipped)."""
    total = 0
    for f in path.rglob("*"):
        try:
            if f.is_file() and not f.is_symlink():
                total += f.stat().st_size
        except OSError:
            continue
    return total


def kept_runs(data_dir: Path, since: float = 0.0) -> Runs:
    """The run folders under ``data_dir`` (those changed at or after ``since``, when given)."""
    folder = run_dir(data_dir, "x").parent
    runs = sorted(
        p for p in (folder.iterdir() if folder.is_dir() else []) if p.is_dir()
        and p.stat().st_mtime >= since
    )  # fmt: skip
    return Runs(folder, tuple(runs), sum(tree_size(p) for p in runs))


def free_bytes(path: Path) -> int:
    """Free bytes on the file system that holds ``path`` (or would: its nearest parent)."""
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return shutil.disk_usage(p).free


def size_text(n: int) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def space_problem(data_dir: Path, free: int, needed: int = NEEDED_BYTES) -> str | None:
    """None when a run fits, else one line saying what to free or where to point the run."""
    if free >= needed:
        return None
    runs = kept_runs(data_dir)
    earlier = (
        f"; {runs.count} earlier run(s) in {runs.folder} hold {size_text(runs.size)}: delete "
        "those you no longer need"
        if runs.count
        else ""
    )
    return (
        f"{size_text(free)} free under {data_dir}, and a run keeps about 1.2 GB (its model "
        f"versions){earlier}, or give another --data-dir (EDDY_DATA_DIR)"
    )
