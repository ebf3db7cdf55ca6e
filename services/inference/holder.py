"""The champion model a classify worker serves, swapped in place when the champion changes.

The worker checks the registry's champion pointer between batches (cheap: one small file),
loads a new version off the event loop and swaps the reference; a batch in flight finishes on
the version it started with, and every prediction names the version that made it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Executor
from typing import Any

from services.core.settings import ModelSettings
from services.model.classifier import TextClassifier
from services.model.device import Placement
from services.registry.store import ModelRegistry

log = logging.getLogger("eddy.inference.holder")


class ModelHolder:
    def __init__(
        self,
        settings: ModelSettings,
        registry: ModelRegistry,
        placement: Placement,
        executor: Executor,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.placement = placement
        self.executor = executor
        self.current: TextClassifier | None = None
        self._checked_at = 0.0
        self._failed_version: int | None = None

    @property
    def version(self) -> int | None:
        return self.current.version if self.current else None

    def _load(self, version: int) -> TextClassifier:
        ref = self.registry.get(version)
        return TextClassifier.load(
            ref.path,
            self.placement,
            version=version,
            max_length=int(ref.meta.get("max_length", self.settings.max_length)),
        )

    async def refresh(self, force: bool = False) -> TextClassifier | None:
        """Swap to the champion if it changed (checked at most every model_poll_s)."""
        now = time.monotonic()
        if (
            not force
            and self.current is not None
            and (now - self._checked_at < self.settings.poll_s)
        ):
            return self.current
        self._checked_at = now
        loop = asyncio.get_running_loop()
        champion = await loop.run_in_executor(self.executor, self.registry.champion_version)
        if champion is None or champion == self.version:
            return self.current
        if champion == self._failed_version:
            return self.current
        log.info("loading model v%s (serving v%s)", champion, self.version)
        try:
            clf = await loop.run_in_executor(self.executor, self._load, champion)
        except Exception:
            # A broken version must not stop the stream: keep serving what we have, and do
            # not retry this version until the champion pointer changes.
            log.exception("cannot load model v%s; still serving v%s", champion, self.version)
            self._failed_version = champion
            return self.current
        self.current = clf
        self._failed_version = None
        log.info(
            "now serving model v%s on %s/%s",
            champion,
            self.placement.device,
            self.placement.precision,
        )
        return clf

    async def wait_ready(self) -> TextClassifier:
        """Block until a champion exists; events wait in Kafka meanwhile."""
        warned = False
        while True:
            clf = await self.refresh(force=True)
            if clf is not None:
                return clf
            if not warned:
                log.warning(
                    "no champion model in %s yet; waiting (run `eddy bootstrap --seed FILE`)",
                    self.registry.where,
                )
                warned = True
            await asyncio.sleep(self.settings.poll_s)

    async def predict(self, clf: TextClassifier, texts: list[str]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, clf.predict_proba, texts, self.settings.batch_max_size
        )
