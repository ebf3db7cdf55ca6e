"""Versioned model store on disk.

Layout: ``<root>/v<N>/`` holds a Hugging Face ``save_pretrained`` directory plus ``eddy.json``
(version, parent, label set, data counts, metrics, timings), so any HF tool can load it.
``<root>/CHAMPION`` names the version serving traffic. Writes go to a temp dir / file and are
renamed into place, so a reader never sees half a model or half a pointer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_VERSION_DIR = re.compile(r"^v(\d+)$")
META_FILE = "eddy.json"


class RegistryError(RuntimeError):
    pass


@dataclass(frozen=True)
class ModelRef:
    version: int
    path: Path
    meta: dict[str, Any]

    @property
    def labels(self) -> list[str]:
        return list(self.meta["labels"])


class ModelRegistry:
    def __init__(self, root: Path) -> None:
        self.root = root

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
                f"model version {version} not found in {self.root} (known: {known})"
            )
        return ModelRef(version, path, json.loads(meta_path.read_text()))

    def champion_version(self) -> int | None:
        pointer = self.root / "CHAMPION"
        if not pointer.is_file():
            return None
        text = pointer.read_text().strip()
        return int(text) if text.isdigit() else None

    def champion(self) -> ModelRef | None:
        v = self.champion_version()
        return self.get(v) if v is not None else None

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
        self._atomic_write(ref.path / META_FILE, json.dumps(meta, indent=2, sort_keys=True))
        return ModelRef(version, ref.path, meta)

    def set_champion(self, version: int) -> None:
        self.get(version)  # must exist
        self._atomic_write(self.root / "CHAMPION", f"{version}\n")

    def read_json(self, name: str) -> dict[str, Any] | None:
        """A registry-wide JSON document (e.g. the evaluation scores), or None."""
        path = self.root / name
        return dict(json.loads(path.read_text())) if path.is_file() else None

    def write_json(self, name: str, doc: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._atomic_write(self.root / name, json.dumps(doc, indent=2, sort_keys=True))

    def _atomic_write(self, path: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
