"""Is this checkout's environment the one `scripts/setup` built for it? After a `git pull`
that changed the dependencies, the old .venv still imports Eddy, and `eddy up` started every
server before a child died on the missing module (a 44-line traceback, everything torn down).
scripts/setup stamps each venv with a digest of pyproject.toml and constraints/; this reads
the same digest, so a stale environment is one line naming the command that fixes it."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

STAMP = ".eddy-setup"  # scripts/setup's file in each venv


def setup_digest(root: Path) -> str:
    """scripts/setup's `cat pyproject.toml constraints/*.txt | sha256sum`."""
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes())
    for part in sorted((root / "constraints").glob("*.txt")):
        digest.update(part.read_bytes())
    return digest.hexdigest()


def stale_install(root: Path | None = None, prefix: Path | None = None) -> str | None:
    """Why this environment does not match the checkout it runs from, or None. Only for a
    checkout set up by scripts/setup: an installed package (an image) has no stamp to read."""
    root = root or Path(__file__).resolve().parents[2]
    stamp = (prefix or Path(sys.prefix)) / STAMP
    if not (root / "pyproject.toml").is_file() or not stamp.is_file():
        return None
    if stamp.read_text().strip() == setup_digest(root):
        return None
    return (
        f"pyproject.toml or constraints/ changed since scripts/setup built {stamp.parent} "
        "(a git pull or checkout?); run scripts/setup, which reinstalls only then"
    )
