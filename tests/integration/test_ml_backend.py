"""Eddy as Label Studio's ML backend, on a real Label Studio: `eddy ml-backend` connects itself
to Eddy's project (Label Studio calls its /health and /setup and shows it Connected), and
"Retrieve predictions" on a task imported by hand stores the champion's prediction."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.annotation.client import LabelStudioClient
from services.core.settings import Settings
from tests.conftest import start_eddy, stop_eddy
from tests.helpers import close_label_studio, free_port, wait


def test_label_studio_retrieves_predictions_from_eddy(
    settings: Settings,
    redis_server: str,
    label_studio: str,
    champion: int,
    request: pytest.FixtureRequest,
) -> None:
    run = uuid.uuid4().hex[:6]
    password = uuid.uuid4().hex + uuid.uuid4().hex
    s = settings.override(
        label_studio={"project": f"Eddy ml {run}"},
        redis={"prefix": f"ml{run}:"},
        annotation={"ml_backend_port": free_port(), "ml_backend_password": password},
    )
    base = s.annotation.ml_backend_target
    client = LabelStudioClient(s.label_studio)
    request.addfinalizer(lambda: close_label_studio(client))
    proc = start_eddy(s, f"ml-{run}", "ml-backend")
    try:
        project = wait("the project", lambda: client.find_project(s.label_studio.project), 120)
        states = wait(
            "Label Studio connected to Eddy",
            lambda: [
                st
                for url, st in client.ml_backend_state(project)
                if url == base and st == "Connected"
            ],
            120,
        )
        assert states == ["Connected"]
        health = httpx.get(f"{base}/health").json()
        assert health["status"] == "UP" and health["model_version"] == f"v{champion}"
        assert httpx.post(f"{base}/predict", json={"tasks": []}).status_code == 401

        # A task a user imports by hand, then "Retrieve predictions" in the Data Manager.
        (task_id,) = client.import_tasks(
            project,
            [{"data": {"text": "@united lost my bag, furious", "meta": "-", "context": "-"}}],
        )
        headers = {"Authorization": f"Token {s.label_studio.token.get_secret_value()}"}
        r = httpx.post(
            f"{s.label_studio.url}/api/dm/actions",
            params={"id": "retrieve_tasks_predictions", "project": project},
            json={"selectedItems": {"all": False, "included": [task_id]}},
            headers=headers,
            timeout=60,
        )
        assert r.status_code == 200, r.text
        preds = httpx.get(
            f"{s.label_studio.url}/api/predictions", params={"task": task_id}, headers=headers
        ).json()
        assert [p["model_version"] for p in preds] == [f"v{champion}"]
        assert 0 < preds[0]["score"] <= 1
        choice = preds[0]["result"][0]["value"]["choices"][0]
        assert choice in {"negative", "neutral", "positive"}
    finally:
        stop_eddy(proc)
