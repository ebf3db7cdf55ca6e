"""The embedded Label Studio keeps its SSRF protection: a user's import from a URL on the
broker's S3 address (127.0.0.2, where s3rver serves the raw events to anyone) is refused and
never fetched, while Eddy's webhook on 127.0.0.1 is still delivered."""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.project import ensure_project
from services.annotation.tasks import task_for_review
from services.core.settings import Settings
from services.stack.probes import free_port
from tests.helpers import close_label_studio, wait

LABELS = ["negative", "positive"]


class _Recorder(ThreadingHTTPServer):
    def __init__(self, host: str) -> None:
        self.paths: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                recorder.paths.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.dumps([{"text": "raw: jane.doe@example.com"}]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *_: Any) -> None:
                pass

        super().__init__((host, free_port(host)), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.mark.skipif(
    bool(os.environ.get("EDDY_TEST_LABEL_STUDIO_URL")),
    reason="a Label Studio the tests did not start has its own SSRF settings",
)
def test_label_studio_may_post_the_webhook_but_not_fetch_from_the_s3_address(
    settings: Settings, redis_server: str, label_studio: str, request: pytest.FixtureRequest
) -> None:
    run = uuid.uuid4().hex[:6]
    hook = _Recorder("127.0.0.1")  # stands in for Eddy's webhook receiver
    s3 = _Recorder("127.0.0.2")  # stands in for s3rver
    for srv in (hook, s3):
        request.addfinalizer(srv.server_close)
        request.addfinalizer(srv.shutdown)  # finalizers run last-added first
    s = settings.override(
        label_studio={"project": f"Eddy ssrf {run}", "webhook_port": hook.server_address[1]},
        redis={"prefix": f"ssrf{run}:"},
    )
    redis = Redis.from_url(s.redis.url, decode_responses=True)
    request.addfinalizer(redis.close)
    client = LabelStudioClient(s.label_studio)
    request.addfinalizer(lambda: close_label_studio(client))
    project = ensure_project(s.label_studio, client, redis, s.redis.prefix, LABELS)

    url = f"http://127.0.0.2:{s3.server_address[1]}/tansu/raw.json"
    req = urllib.request.Request(
        f"{s.label_studio.url}/api/projects/{project}/import",
        data=urllib.parse.urlencode({"url": url}).encode(),
        headers={"Authorization": f"Token {s.label_studio.token.get_secret_value()}"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=60)
    assert refused.value.code == 400
    assert "reserved network" in refused.value.read().decode()
    assert s3.paths == [], "Label Studio fetched from the S3 address"

    review = {
        "event_id": f"{run}-1", "channel": "chat", "key": "k", "text": "a message",
        "label": "negative", "probs": {"negative": 0.6, "positive": 0.4}, "confidence": 0.6,
        "model_version": 1, "strategy": "least_confidence", "score": 0.4, "threshold": 0.5,
        "routed_at": "2026-01-01T00:00:00Z",
    }  # fmt: skip
    (task,) = client.import_tasks(project, [task_for_review(review)])
    client.annotate(task, "negative")
    wait("the webhook on 127.0.0.1", lambda: any("webhook" in p for p in hook.paths))
