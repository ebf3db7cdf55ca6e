"""The champion model a classify worker serves, swapped in place when the champion changes.

The worker checks the registry's champion pointer between batches (cheap: one small file),
loads a new version off the event loop and swaps the reference; a batch in flight finishes on
the version it started with, and every prediction names the version that made it.

Prediction runs on two threads besides the event loop: the tokenizer thread tokenizes the
micro-batch in one call and pads each forward pass's group while the forward thread runs the
previous group, so the model is not kept waiting for the tokenizer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Executor, ThreadPoolExecutor

from services.core.memory import release_memory
from services.core.settings import ModelSettings
from services.inference.backends import Choice, choose_and_load
from services.model.batching import restore_order
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
        tokenizer_executor: Executor | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.placement = placement
        self.executor = executor
        self.tokenizer_executor = tokenizer_executor or executor
        # Its own thread: a new version loads (and its backends are timed) while the
        # forward thread keeps serving the current one.
        self.loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eddy-load")
        self._loading: tuple[int, asyncio.Future[tuple[TextClassifier, Choice]]] | None = None
        self.current: TextClassifier | None = None
        self.choice: Choice | None = None  # the backend serving ``current``, and why
        self._checked_at = 0.0
        self._failed_version: int | None = None
        self._release_due = False

    @property
    def version(self) -> int | None:
        return self.current.version if self.current else None

    def _load(self, version: int) -> tuple[TextClassifier, Choice]:
        ref = self.registry.get(version)
        s = self.settings
        clf, choice = choose_and_load(
            ref,
            s.backend,
            self.placement,
            int(ref.meta.get("max_length", s.max_length)),
            s.torch_threads or None,
            s.batch_max_size,
            s.batch_max_tokens or None,
            self.choice.speeds if self.choice else None,
        )
        return clf, choice

    async def refresh(self, force: bool = False) -> TextClassifier | None:
        """Swap to the champion if it changed (checked at most every model_poll_s). A new
        version loads on the loader thread while the current one keeps serving, and takes
        over at the first batch after it is ready; ``force`` and the first load wait for it."""
        if self._loading is not None and (force or self.current is None or self._loading[1].done()):
            await self._finish_loading()
        now = time.monotonic()
        if not force and self.current is not None and now - self._checked_at < self.settings.poll_s:
            return self.current
        if self._loading is not None:
            return self.current  # still loading: the pointer is checked again once it is in
        self._checked_at = now
        if self._release_due:
            self._release_due = False
            self.loader.submit(release_memory)
        loop = asyncio.get_running_loop()
        champion = await loop.run_in_executor(self.loader, self.registry.champion_version)
        if champion is None or champion in (self.version, self._failed_version):
            return self.current
        log.info("loading model v%s (serving v%s meanwhile)", champion, self.version)
        self._loading = (champion, loop.run_in_executor(self.loader, self._load, champion))
        if force or self.current is None:
            await self._finish_loading()
        return self.current

    async def _finish_loading(self) -> None:
        """Take over the version being loaded once it is in (every caller awaits the same
        load; the first to see it done swaps it in)."""
        loading = self._loading
        if loading is None:
            return
        champion, pending = loading
        try:
            clf, choice = await pending
        except Exception:
            if self._loading is loading:
                self._loading = None
                # A broken version must not stop the stream: keep serving what we have, and
                # do not retry this version until the champion pointer changes.
                log.exception("cannot load model v%s; still serving v%s", champion, self.version)
                self._failed_version = champion
            return
        if self._loading is not loading:
            return
        self._loading = None
        self.current, self.choice = clf, choice
        self._failed_version = None
        # The version it replaced is garbage once in-flight batches finish with it: its heap
        # is given back at the next poll.
        self._release_due = True
        log.info(
            "now serving model v%s on %s with backend %s: %s",
            champion,
            self.placement.device,
            choice.backend,
            choice.reason,
        )

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

    async def predict(self, clf: TextClassifier, texts: list[str]) -> list[list[float]]:
        """Probabilities per text, in order: tokenized once, then forward passes by token
        budget, each pass's padding done while the previous pass runs."""
        if not texts:
            return []
        loop = asyncio.get_running_loop()
        tok, fwd = self.tokenizer_executor, self.executor
        enc = await loop.run_in_executor(tok, clf.tokenize, texts)
        s = self.settings
        chunks = clf.plan(enc, s.batch_max_size, s.batch_max_tokens or None)
        results: list[list[list[float]]] = []
        ready = loop.run_in_executor(tok, clf.collate, enc, chunks[0])
        for k in range(len(chunks)):
            running = loop.run_in_executor(fwd, clf.forward, await ready)
            if k + 1 < len(chunks):
                ready = loop.run_in_executor(tok, clf.collate, enc, chunks[k + 1])
            results.append(await running)
        return restore_order(chunks, results)
