"""An annotator in a real headless Chromium (Debian's, driven by Playwright): they log in to
Label Studio, open Eddy's project, see the instructions and then the least sure task first,
with the conversation's earlier turns, and label it; the project's Model page shows Eddy's
ML backend connected. Screenshots are kept in .test-artifacts/annotator/."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from services.annotation.client import LabelStudioClient
from services.annotation.project import ensure_project
from services.annotation.submit import TaskIndex, TaskSubmitter
from services.core.settings import Settings
from services.registry.store import ModelRegistry
from tests.conftest import start_eddy, stop_eddy
from tests.helpers import artifacts_dir, close_label_studio, copy_models, free_port, wait

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _review(run: str, n: int, text: str, score: float) -> dict[str, Any]:
    return {
        "event_id": f"{run}-{n}",
        "channel": "chat",
        "key": "k",
        "text": text,
        "label": "neutral",
        "probs": {"negative": 0.3, "neutral": 0.4, "positive": 0.3},
        "confidence": 0.4,
        "model_version": 1,
        "conversation_id": f"conv-{run}",
        "strategy": "margin",
        "score": score,
        "threshold": 0.0,
        "routed_at": "2026-01-01T00:00:00Z",
        "sample": "routed",
    }


def test_an_annotator_sees_instructions_and_the_least_sure_task_first(
    settings: Settings,
    redis_server: str,
    label_studio: str,
    champion: int,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: scripts/setup installs it")
    from playwright.sync_api import sync_playwright

    run = uuid.uuid4().hex[:6]
    source = ModelRegistry(settings.stack.models_dir).get(champion)
    s = settings.override(
        label_studio={"project": f"Eddy browser {run}"},
        redis={"prefix": f"br{run}:"},
        stack={"registry_dir": tmp_path / "models"},
        annotation={
            "instructions": f"Read the whole message before you choose ({run}).",
            "label_definitions": {"negative": "a complaint or a problem"},
            "ml_backend_port": free_port(),
            "ml_backend_password": uuid.uuid4().hex * 2,
        },
    )
    reg = ModelRegistry(s.stack.models_dir)
    reg.add(lambda d: copy_models(source.path, d), source.meta)
    reg.set_champion(1)
    redis = Redis.from_url(s.redis.url, decode_responses=True)
    request.addfinalizer(redis.close)
    client = LabelStudioClient(s.label_studio)
    request.addfinalizer(lambda: close_label_studio(client))
    labels = source.labels
    project = ensure_project(
        s.label_studio, client, redis, s.redis.prefix, labels, s.annotation, champion=1
    )
    # The conversation's earlier turn (normalize keeps them; here given directly).
    submitter = TaskSubmitter(
        client,
        TaskIndex(redis, s.redis.prefix, project),
        project,
        lambda r: "customer: my bag did not arrive" if r["event_id"].endswith("-1") else "-",
    )
    least_sure = f"still no bag after three days ({run})"
    submitter.submit([
        _review(run, 0, "thanks, all good now", 0.3),
        _review(run, 1, least_sure, 0.95),
        _review(run, 2, "what time is boarding", 0.5),
    ])  # fmt: skip
    backend = start_eddy(s, f"browser-ml-{run}", "ml-backend")
    shots = artifacts_dir() / "annotator"
    shots.mkdir(parents=True, exist_ok=True)
    url = s.label_studio.url
    try:
        wait(
            "Eddy's ML backend connected",
            lambda: any(st == "Connected" for _, st in client.ml_backend_state(project)),
            120,
        )
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{url}/user/login/")
            page.fill("input[name=email]", s.label_studio.username)
            page.fill("input[name=password]", s.label_studio.password.get_secret_value())
            page.keyboard.press("Enter")
            page.wait_for_url(lambda u: "/login" not in u, timeout=60_000)

            # The task list: the text and the channel, not Label Studio's bookkeeping first.
            page.goto(f"{url}/projects/{project}/data")
            page.get_by_text(least_sure).first.wait_for(timeout=60_000)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(shots / f"{run}-task-list.png"))
            assert page.get_by_text("channel", exact=True).count() >= 1
            for hidden in ("Inner ID", "event_id", "model_label", "Created at"):
                assert page.get_by_text(hidden, exact=True).count() == 0, hidden

            # The labeling stream: instructions first, then the least sure task.
            page.goto(f"{url}/projects/{project}/data?labeling=1")
            page.get_by_text(f"({run})").first.wait_for(timeout=60_000)
            assert page.get_by_text("a complaint or a problem").count() >= 1
            page.screenshot(path=str(shots / f"{run}-instructions.png"))
            page.keyboard.press("Escape")
            page.wait_for_timeout(1000)
            page.screenshot(path=str(shots / f"{run}-after-instructions.png"))
            page.get_by_text(least_sure).first.wait_for(timeout=60_000)
            assert page.get_by_text("customer: my bag did not arrive").count() >= 1
            # Blind (the default): no guess to anchor on, nothing pre-selected, and never a
            # confidence (it would tell audit picks apart); the queue still least sure first.
            header = page.get_by_text("Channel: chat").first.inner_text()
            assert not re.search(r"\d\.\d", header), header
            assert page.get_by_text("model says").count() == 0
            page.screenshot(path=str(shots / f"{run}-task.png"))
            radios = page.locator('input[type="radio"]')
            assert radios.count() == len(labels)
            assert not any(radios.nth(i).is_checked() for i in range(len(labels)))
            page.locator('input[name="negative"]').first.check(force=True)
            page.get_by_role("button", name="Submit").first.click()

            tid = TaskIndex(redis, s.redis.prefix, project).task_of(f"chat:{run}-1")
            assert tid is not None

            def labelled() -> list[dict[str, Any]] | None:
                anns = client.get_task(tid).get("annotations") or []
                return anns or None

            ann = wait("the annotation in Label Studio", labelled, 60)[0]
            assert ann["result"][0]["value"]["choices"] == ["negative"]

            # Label Studio's Model page: Eddy's backend, connected.
            page.goto(f"{url}/projects/{project}/settings/ml")
            page.get_by_text("Eddy").first.wait_for(timeout=60_000)
            page.get_by_text("Connected").first.wait_for(timeout=60_000)
            page.screenshot(path=str(shots / f"{run}-model-page.png"))
            browser.close()
    finally:
        stop_eddy(backend)
