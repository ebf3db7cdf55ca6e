"""`eddy ml-backend`: Eddy's champion as Label Studio's ML backend, and its connection to
Eddy's project (annotation.ml_backend is the protocol)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import httpx
import uvicorn
from prometheus_client import Counter

from services.annotation.client import LabelStudioClient
from services.annotation.ml_backend import Predicted, create_ml_backend_app
from services.annotation.project import ensure_project, label_set_for_project
from services.core import redis_sync
from services.core.settings import Settings
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.registry.open import open_registry
from services.runtime.metrics import process_registry
from services.runtime.metrics_server import serve_metrics

log = logging.getLogger("eddy.ml_backend")


class Champion:
    """The champion, loaded on first use and again whenever the pointer moves."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = open_registry(settings.stack)
        self._clf: TextClassifier | None = None
        self._lock = threading.Lock()

    def version(self) -> int | None:
        return self.registry.champion_version()

    def predict(self, texts: Sequence[str]) -> Predicted | None:
        with self._lock:  # one forward pass at a time; the model may be swapped meanwhile
            champ = self.registry.champion()
            if champ is None:
                return None
            if self._clf is None or self._clf.version != champ.version:
                s = self.settings.model
                self._clf = TextClassifier.load(
                    champ.path,
                    select_placement(s.device, s.precision),
                    version=champ.version,
                    max_length=int(champ.meta.get("max_length", s.max_length)),
                )
            clf = self._clf
            return Predicted(clf.version, list(clf.labels), clf.predict_proba(list(texts)))


def connect_when_ready(settings: Settings, stop: threading.Event) -> None:
    """Connect the backend to Eddy's project once Label Studio, a champion and this server
    are up; Label Studio then calls /health and /setup. Retries until it works."""
    a, ls = settings.annotation, settings.label_studio
    password = a.ml_backend_password.get_secret_value() if a.ml_backend_password else None
    while not stop.wait(3.0):
        try:
            httpx.get(f"{a.ml_backend_target}/health", timeout=3).raise_for_status()
            client, redis = LabelStudioClient(ls), redis_sync.connect(settings.redis)
            try:
                registry = open_registry(settings.stack)
                labels = label_set_for_project(settings.model.labels, registry)
                champion = registry.champion_version()
                project = ensure_project(ls, client, redis, settings.redis.prefix, labels,
                                         a, champion)  # fmt: skip
                state = client.connect_ml_backend(project, a.ml_backend_target, password)
            finally:
                client.close()
                redis.close()
            log.info("connected to Label Studio project %d (%s)", project, state)
            return
        except Exception as exc:  # not ready yet: Label Studio, Redis or a champion
            log.info("not connected yet: %s", type(exc).__name__)


def serve_ml_backend(settings: Settings) -> None:
    a = settings.annotation
    champion = Champion(settings)
    password = a.ml_backend_password.get_secret_value() if a.ml_backend_password else None
    registry = process_registry()
    predicted = Counter("eddy_ml_backend_predictions", "Texts pre-annotated for Label Studio",
                        registry=registry)  # fmt: skip

    def predict(texts: Sequence[str]) -> Predicted | None:
        out = champion.predict(texts)
        if out is not None:
            predicted.inc(len(texts))
        return out

    serve_metrics(registry, "ml-backend", settings.metrics)
    app = create_ml_backend_app(predict, champion.version, password)
    stop = threading.Event()
    if settings.stack.with_label_studio:
        threading.Thread(target=connect_when_ready, args=(settings, stop), daemon=True).start()
    try:
        uvicorn.run(app, host=a.ml_backend_host, port=a.ml_backend_port,
                    log_level=settings.stack.log_level.lower(), access_log=False)  # fmt: skip
    finally:
        stop.set()
