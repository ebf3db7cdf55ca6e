"""The model registry in an S3-compatible object store (AWS S3, MinIO, Ceph, moto, s3rver).

Same layout as the directory registry, under ``s3://BUCKET/PREFIX/``: ``v<N>/`` (the model's
files, ``eddy.json`` written last, so a version exists only once it is complete), ``CHAMPION``
(one small object: replacing it is atomic, a reader sees the old or the new pointer, never
half of one), ``history/<time>-<id>.json`` (one object per champion change: nothing to append
to, so concurrent changes cannot lose each other) and the registry-wide documents.

Every pod reaches the same store; each keeps a local cache of the versions it loaded
(``root``), filled by download into a temp dir and a rename, like the directory registry.

s3rver, the embedded stack's S3 emulator, rewrites objects in place and ignores conditions: a
reader can catch a pointer half written. It is for development; use MinIO or S3 for real.
Where the server honours conditional writes (AWS S3, MinIO and moto do),
a version number is claimed with ``If-None-Match`` and the pointer replaced with ``If-Match``
on the ETag it was read with, so two writers on different machines cannot take the same
number or overwrite each other's promotion unseen.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from services.core.records import utc_now_iso
from services.registry.s3parts import error_code, parse_url
from services.registry.store import META_FILE, ModelRef, ModelRegistry, RegistryError

_VERSION_KEY = re.compile(r"^v(\d+)/(.+)$")
_VERSION_DIR = re.compile(r"^v(\d+)$")
CLAIM = ".claim"
_HINT = " (check EDDY_MODEL_STORE, EDDY_MODEL_STORE_ENDPOINT and the AWS_* credentials)"
POINTER = "CHAMPION"


class S3ModelRegistry(ModelRegistry):
    # The pointer lock is this machine's only: a promotion elsewhere may have checked a
    # version just before a prune marked it; its pointer write lands within this.
    settle_s = 3.0

    def __init__(self, client: Any, url: str, cache: Path) -> None:
        super().__init__(cache)
        self.client = client
        self.url = url
        self.bucket, self.prefix = parse_url(url)
        self._events: dict[str, dict[str, Any]] = {}  # history objects never change

    @property
    def where(self) -> str:
        return self.url

    # -- objects -------------------------------------------------------------------------

    def _key(self, name: str) -> str:
        return self.prefix + name

    def _get(self, name: str) -> tuple[bytes, str] | None:
        """The object's bytes and ETag, or None when it does not exist."""
        for attempt in range(3):
            try:
                obj = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
                # The body streams after the headers: a dropped connection surfaces here,
                # where botocore's own retries no longer apply.
                return obj["Body"].read(), str(obj.get("ETag", ""))
            except Exception as exc:
                if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                    return None
                if type(exc).__name__ == "ResponseStreamingError" and attempt < 2:
                    continue
                raise RegistryError(
                    f"model store {self.url}: cannot read {name}: {exc}{_HINT}"
                ) from exc
        raise AssertionError("unreachable")

    def _put(self, name: str, data: bytes, **conditions: str) -> bool:
        """Write an object; False when a condition (IfNoneMatch / IfMatch) did not hold."""
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data, **conditions)
        except Exception as exc:
            if error_code(exc) in (
                "PreconditionFailed",
                "412",
                "ConditionalRequestConflict",
                "409",
            ):
                return False
            raise RegistryError(
                f"model store {self.url}: cannot write {name}: {exc}{_HINT}"
            ) from exc
        return True

    def _keys(self, under: str = "") -> Iterator[str]:
        """Names (relative to the prefix) of every object under ``under``."""
        return (name for name, _size in self._objects(under))

    def _objects(self, under: str) -> Iterator[tuple[str, int]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(under)
        )
        try:
            for page in pages:
                for obj in page.get("Contents", []):
                    yield str(obj["Key"])[len(self.prefix) :], int(obj.get("Size") or 0)
        except Exception as exc:
            raise RegistryError(f"model store {self.url}: cannot list: {exc}{_HINT}") from exc

    def _delete(self, name: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except Exception as exc:
            raise RegistryError(
                f"model store {self.url}: cannot delete {name}: {exc}{_HINT}"
            ) from exc

    # -- versions ------------------------------------------------------------------------

    def _numbers(self, suffix: str) -> list[int]:
        out = []
        for name in self._keys("v"):
            m = _VERSION_KEY.match(name)
            if m and m.group(2) == suffix:
                out.append(int(m.group(1)))
        return sorted(out)

    def versions(self) -> list[int]:
        return self._numbers(META_FILE)

    def get(self, version: int) -> ModelRef:
        got = self._get(f"v{version}/{META_FILE}")
        if got is None:
            known = ", ".join(f"v{v}" for v in self.versions()) or "none"
            raise RegistryError(f"model version {version} not found in {self.url} (known: {known})")
        meta = json.loads(got[0])
        return ModelRef(version, self._vdir(version), meta, fetch=lambda: self._fetch(version))

    def weight_bytes(self, version: int) -> int:
        head = f"v{version}/"
        objects = self._objects(head)
        return sum(n for name, n in objects if name[len(head) :] not in (META_FILE, CLAIM))

    def prune(self, version: int, at: str, by: str = "") -> int:
        """As the directory registry: marked first, then every object but eddy.json and the
        number's claim deleted, and this machine's cached copy."""
        if not self.get(version).pruned:
            self.update_meta(version, pruned_at=at, pruning_at=None, pruned_by=by or None)
        head, freed = f"v{version}/", 0
        for name, size in list(self._objects(head)):
            if name[len(head) :] not in (META_FILE, CLAIM):
                self._delete(name)
                freed += size
        shutil.rmtree(self._vdir(version), ignore_errors=True)
        return freed

    def pruned_versions(self) -> set[int]:
        files: dict[int, set[str]] = {}
        for m in filter(None, map(_VERSION_KEY.match, self._keys("v"))):
            files.setdefault(int(m.group(1)), set()).add(m.group(2))
        return {v for v, f in files.items() if META_FILE in f and f <= {META_FILE, CLAIM}}

    def remove_text(self, name: str) -> None:
        self._delete(name)

    def _drop_pruned(self, but: int) -> None:
        """Each machine caches the versions it loaded: when it fetches a new one, the cached
        copies of versions pruned since go too (one small read each)."""
        for p in self.root.iterdir():
            m = _VERSION_DIR.match(p.name)
            if m and int(m.group(1)) != but and p.is_dir():
                got = self._get(f"v{m.group(1)}/{META_FILE}")
                if got is None or json.loads(got[0]).get("pruned_at"):
                    shutil.rmtree(p, ignore_errors=True)

    def _fetch(self, version: int) -> None:
        """Download v<N> into the local cache once; a cached version is complete (renamed into
        place after the download) and immutable apart from its metadata."""
        final = self._vdir(version)
        if final.is_dir():
            return
        with suppress(RegistryError, OSError):
            self._drop_pruned(but=version)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=self.root))
        try:
            head = f"v{version}/"
            for name in self._keys(head):
                rel = name[len(head) :]
                if rel == CLAIM or not rel or ".." in Path(rel).parts:
                    continue
                dest = tmp / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                self.client.download_file(self.bucket, self._key(name), str(dest))
            if all(p.name == META_FILE for p in tmp.iterdir()):  # never cache an empty model
                raise RegistryError(f"model store {self.url}: v{version} has no weights left")
            try:
                tmp.rename(final)
            except OSError:
                if not final.is_dir():  # not another process's finished download: a real error
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def add(self, write: Any, meta: dict[str, Any]) -> ModelRef:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
        try:
            write(tmp)
            version = self._claim()
            full_meta = {**meta, "version": version}
            for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
                rel = path.relative_to(tmp).as_posix()
                self.client.upload_file(str(path), self.bucket, self._key(f"v{version}/{rel}"))
            meta_text = json.dumps(full_meta, indent=2, sort_keys=True)
            # Last: until eddy.json exists the version is not listed, so no reader can pick
            # up a half-uploaded model.
            self._put(f"v{version}/{META_FILE}", meta_text.encode())
            (tmp / META_FILE).write_text(meta_text)
            final = self._vdir(version)
            if not final.exists():
                tmp.rename(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return ModelRef(version, final, full_meta, fetch=lambda: self._fetch(version))

    def _claim(self) -> int:
        """The next free version number, taken with a create-only write: a crashed upload
        keeps its number (its claim stays) and is never listed."""
        token = secrets.token_hex(8).encode()
        for _ in range(100):
            taken = set(self._numbers(CLAIM)) | set(self.versions())
            version = max(taken, default=0) + 1
            if self._put(f"v{version}/{CLAIM}", token, IfNoneMatch="*"):
                got = self._get(f"v{version}/{CLAIM}")
                if got is not None and got[0] == token:
                    return version
        raise RegistryError(f"model store {self.url}: cannot claim a version number")

    def update_meta(self, version: int, **fields: Any) -> ModelRef:
        ref = self.get(version)
        meta = {**ref.meta, **fields}
        self._put(f"v{version}/{META_FILE}", json.dumps(meta, indent=2, sort_keys=True).encode())
        return ModelRef(version, ref.local, meta, fetch=ref.fetch)

    # -- the pointer, history and documents ------------------------------------------------

    def champion_version(self) -> int | None:
        got = self._get(POINTER)
        text = got[0].decode().strip() if got else ""
        return int(text) if text.isdigit() else None

    def set_champion(self, version: int) -> None:
        self.servable(version)
        current = self._get(POINTER)
        condition = {"IfMatch": current[1]} if current and current[1] else {"IfNoneMatch": "*"}
        if not self._put(POINTER, f"{version}\n".encode(), **condition):
            raise RegistryError(
                f"the champion in {self.url} changed while v{version} was being set; "
                "look at `eddy versions` and try again"
            )

    def read_text(self, name: str) -> str | None:
        got = self._get(name)
        return got[0].decode("utf-8") if got else None

    def write_text(self, name: str, text: str) -> None:
        self._put(name, text.encode("utf-8"))

    def history(self) -> list[dict[str, Any]]:
        events = []
        for name in sorted(self._keys("history/")):
            if name not in self._events:
                got = self._get(name)
                if got is None:
                    continue
                self._events[name] = json.loads(got[0])
            events.append(self._events[name])
        return events

    def record(self, event: dict[str, Any]) -> None:
        stamp = str(event.get("at") or utc_now_iso()).replace(":", "")
        name = f"history/{stamp}-{secrets.token_hex(4)}.json"
        self._put(name, json.dumps(event, sort_keys=True).encode())

    @contextmanager
    def pointer_lock(self) -> Iterator[None]:
        # Processes on this machine still queue on the cache directory's lock; across
        # machines the conditional pointer write above refuses a lost update.
        with super().pointer_lock():
            yield
