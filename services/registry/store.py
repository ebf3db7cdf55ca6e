"""Versioned model store on disk.

Layout: ``<root>/v<N>/`` holds a Hugging Face ``save_pretrained`` directory plus ``eddy.json``
(version, parent, label set, data counts, metrics, timings), so any HF tool can load it.
``<root>/CHAMPION`` names the version serving traffic. Writes go to a temp dir / file and are
renamed into place, so a reader never sees half a model or half a pointer.

This is the embedded default and what a ReadWriteMany volume shared by every pod holds;
``services.registry.s3`` keeps the same layout in an S3-compatible object store.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_VERSION_DIR = re.compile(r"^v(\d+)$")
META_FILE = "eddy.json"
HISTORY_FILE = "HISTORY.jsonl"


class RegistryError(RuntimeError):
    pass


@dataclass(frozen=True)
class ModelRef:
    version: int
    local: Path
    meta: dict[str, Any]
    # A remote store fetches the weights into ``local`` on first use of ``path``: listing
    # versions or reading their metadata never downloads a model.
    fetch: Callable[[], None] | None = field(default=None, compare=False, repr=False)

    @property
    def pruned(self) -> bool:
        return bool(self.meta.get("pruned_at"))

    @property
    def path(self) -> Path:
        """The model's files, to load; a version whose weights were pruned says so."""
        if self.pruned:
            raise RegistryError(pruned_message(self.version, self.meta))
        if self.fetch is not None:
            self.fetch()
        return self.local

    @property
    def labels(self) -> list[str]:
        return list(self.meta["labels"])


def pruned_message(version: int, meta: Mapping[str, Any]) -> str:
    """Why the version cannot serve, from its eddy.json: pruned (by whom), or being pruned."""
    if meta.get("pruned_at"):
        what = f"were removed at {meta['pruned_at']}"
    else:
        what = f"are being removed (since {meta.get('pruning_at')})"
    by = meta.get("pruned_by") or "EDDY_REGISTRY_KEEP"
    return (
        f"v{version}'s weights {what} by {by}, to bound the registry's size: it can no longer "
        "be loaded or made champion (`eddy versions` lists those that can)"
    )


class ModelRegistry:
    # Seconds a prune waits between marking versions and removing them: 0 here, where the
    # pointer lock (flock) already keeps every promotion out (services.training.pruning).
    settle_s = 0.0

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def where(self) -> str:
        """Where the registry lives, for messages."""
        return str(self.root)

    def _vdir(self, version: int) -> Path:
        return self.root / f"v{version}"

    def versions(self) -> list[int]:
        if not self.root.is_dir():
            return []
        out = []
        for p in self.root.iterdir():
            m = _VERSION_DIR.match(p.name)
            if m and (p / META_FILE).is_file():
                out.append(int(m.group(1)))
        return sorted(out)

    def get(self, version: int) -> ModelRef:
        path = self._vdir(version)
        meta_path = path / META_FILE
        if not meta_path.is_file():
            known = ", ".join(f"v{v}" for v in self.versions()) or "none"
            raise RegistryError(
                f"model version {version} not found in {self.where} (known: {known})"
            )
        return ModelRef(version, path, json.loads(meta_path.read_text()))

    def servable(self, version: int) -> ModelRef:
        """The version, which must exist and keep its weights (not pruned, nor being)."""
        ref = self.get(version)
        if ref.pruned or ref.meta.get("pruning_at"):
            raise RegistryError(pruned_message(version, ref.meta))
        return ref

    def champion_version(self) -> int | None:
        pointer = self.root / "CHAMPION"
        if not pointer.is_file():
            return None
        text = pointer.read_text().strip()
        return int(text) if text.isdigit() else None

    def champion(self) -> ModelRef | None:
        v = self.champion_version()
        return self.get(v) if v is not None else None

    def check_writable(self) -> None:
        """Raise before minutes of training, not after: a new version is staged in ``root``
        (the registry, or an object store's local cache). A volume owned by another uid (NFS
        ignores fsGroup) failed only once the model was trained, with a traceback."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            Path(tempfile.mkdtemp(prefix=".incoming-check-", dir=self.root)).rmdir()
        except OSError as exc:
            raise RegistryError(
                f"cannot write the model registry at {self.root} ({exc.strerror or exc}) as "
                f"uid {os.getuid()}: give that uid the directory (chown, or a volume's fsGroup) "
                "or set EDDY_REGISTRY_DIR"
            ) from None

    def add(self, write: Any, meta: dict[str, Any]) -> ModelRef:
        """Store a new version. ``write(dir)`` saves the model files into ``dir``."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
        try:
            write(tmp)
            # Allocate the number at the last moment; mkdir is atomic, so two writers
            # racing for the same number cannot both win.
            while True:
                version = (max(self.versions(), default=0)) + 1
                final = self._vdir(version)
                try:
                    final.mkdir()
                    break
                except FileExistsError:
                    continue
            full_meta = {**meta, "version": version}
            (tmp / META_FILE).write_text(json.dumps(full_meta, indent=2, sort_keys=True))
            os.replace(tmp, final)  # rename(2) onto an empty directory replaces it
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return ModelRef(version, final, full_meta)

    def update_meta(self, version: int, **fields: Any) -> ModelRef:
        ref = self.get(version)
        meta = {**ref.meta, **fields}
        self._atomic_write(ref.local / META_FILE, json.dumps(meta, indent=2, sort_keys=True))
        return ModelRef(version, ref.local, meta)

    def weight_bytes(self, version: int) -> int:
        """What pruning the version would free."""
        files = (f for f in self._vdir(version).rglob("*") if f.is_file())
        return sum(f.stat().st_size for f in files if f.name != META_FILE)

    def prune(self, version: int, at: str, by: str = "") -> int:
        """Remove the version's weights, keep its eddy.json (lineage, scores); the bytes
        freed. Marked first, so a reader that finds files missing also finds why."""
        ref = self.get(version)
        if not ref.pruned:
            self.update_meta(version, pruned_at=at, pruning_at=None, pruned_by=by or None)
        freed = 0  # and what a run cut short left behind, when it was marked already
        for p in sorted(ref.local.iterdir()):
            if p.name == META_FILE:
                continue
            files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()]
            freed += sum(f.stat().st_size for f in files)
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
        return freed

    def set_champion(self, version: int) -> None:
        self.servable(version)
        self._atomic_write(self.root / "CHAMPION", f"{version}\n")

    def read_text(self, name: str) -> str | None:
        """A registry-wide document (the seed split, the evaluation scores), or None."""
        path = self.root / name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def write_text(self, name: str, text: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._atomic_write(self.root / name, text)

    def pruned_versions(self) -> set[int]:
        """Versions with nothing but their eddy.json left."""
        return {
            v for v in self.versions() if all(p.name == META_FILE for p in self._vdir(v).iterdir())
        }

    def remove_text(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)

    def read_json(self, name: str) -> dict[str, Any] | None:
        text = self.read_text(name)
        return dict(json.loads(text)) if text is not None else None

    def write_json(self, name: str, doc: dict[str, Any]) -> None:
        self.write_text(name, json.dumps(doc, indent=2, sort_keys=True))

    def history(self) -> list[dict[str, Any]]:
        """Every change of the champion, oldest first."""
        text = self.read_text(HISTORY_FILE) or ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def record(self, event: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / HISTORY_FILE).open("a", encoding="utf-8") as f:
            f.write(json.dumps(event, sort_keys=True) + "\n")

    @contextmanager
    def pointer_lock(self) -> Iterator[None]:
        """Serialises every change of the champion pointer across processes sharing this
        directory (on one machine, or on an NFS-backed RWX volume with lockd)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".champion.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _atomic_write(path: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
