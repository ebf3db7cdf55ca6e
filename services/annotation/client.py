"""Thin adapter over label-studio-sdk: the few calls Eddy makes, with Eddy's error type.
Blocking (httpx under the hood): call from a thread, never from an event loop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

from label_studio_sdk import LabelStudio

from services.annotation.lserrors import LabelStudioRefused, ls_call
from services.annotation.tasks import choice_result
from services.core.settings import LabelStudioSettings

WEBHOOK_ACTIONS = ["ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED"]
SECRET_HEADER = "X-Eddy-Webhook-Secret"


class LabelStudioClient:
    def __init__(self, settings: LabelStudioSettings, timeout_s: float = 30.0) -> None:
        self.settings = settings
        self.sdk = LabelStudio(
            base_url=settings.url.rstrip("/"),
            api_key=settings.token.get_secret_value(),
            timeout=timeout_s,
        )

    def close(self) -> None:
        """Close the HTTP connections (the SDK offers no close of its own)."""
        self.sdk._client_wrapper.httpx_client.httpx_client.close()

    # --- project --------------------------------------------------------------------------
    def find_project(self, title: str, page_size: int = 100) -> int | None:
        # Page by page while Label Studio says there is a next one: the SDK's own pager asked
        # for one page past the last (a 404 with a traceback in LS's log). The title filter
        # matches substrings, newest first, so the project may be on a later page.
        page, more = 1, True
        while more:
            pager = self._projects_page(title, page, page_size)
            for p in pager.items or []:
                if p.title == title and p.id is not None:
                    return int(p.id)
            page, more = page + 1, bool(getattr(pager.response, "next", None))
        return None

    def _projects_page(self, title: str, page: int, size: int) -> Any:
        return ls_call(
            "list projects", lambda: self.sdk.projects.list(title=title, page=page, page_size=size)
        )

    def add_prediction(
        self, task_id: int, model_version: str, score: float, result: list[dict[str, Any]]
    ) -> None:
        ls_call(
            "create prediction",
            lambda: self.sdk.predictions.create(
                task=task_id, model_version=model_version, score=score, result=result
            ),
        )

    def delete_prediction(self, prediction_id: int) -> None:
        ls_call("delete prediction", lambda: self.sdk.predictions.delete(id=prediction_id))

    def connect_ml_backend(self, project_id: int, url: str, password: str | None) -> str:
        """Connect (once) the ML backend at ``url`` to the project; its state as Label Studio
        reads it ("Connected" when its /health and /setup answered)."""
        found: list[Any] = ls_call(
            "list ML backends", lambda: list(self.sdk.ml.list(project=project_id))
        )
        auth: dict[str, Any] = (
            {"auth_method": "BASIC_AUTH", "basic_auth_user": "eddy", "basic_auth_pass": password}
            if password
            else {"auth_method": "NONE"}
        )
        mine = next((b for b in found if str(b.url).rstrip("/") == url.rstrip("/")), None)
        if mine is None:
            mine = ls_call(
                "connect ML backend",
                lambda: self.sdk.ml.create(
                    project=project_id, url=url, title="Eddy", is_interactive=True, **auth
                ),
            )
        return str(getattr(mine, "readable_state", None) or getattr(mine, "state", ""))

    def ml_backend_state(self, project_id: int) -> list[tuple[str, str]]:
        """(url, readable state) of every ML backend of the project."""
        found: list[Any] = ls_call(
            "list ML backends", lambda: list(self.sdk.ml.list(project=project_id))
        )
        return [(str(b.url), str(getattr(b, "readable_state", None) or b.state)) for b in found]

    def ensure_view(
        self, project_id: int, title: str, ordering: list[str], hidden: list[str]
    ) -> None:
        """A Data Manager tab with this title and ordering (created once), ``hidden`` columns
        hidden in its table and its side list until someone shows them (a tab saved before
        Eddy hid any gets them once)."""
        views: list[Any] = ls_call(
            "list views", lambda: list(self.sdk.views.list(project=project_id))
        )
        columns = {"explore": hidden, "labeling": hidden}
        mine = [v for v in views if (getattr(v, "data", None) or {}).get("title") == title]
        if mine:
            view_id, data = mine[0].id, dict(mine[0].data)
            if "hiddenColumns" not in data:
                data["hiddenColumns"] = columns
                ls_call("update view", lambda: self.sdk.views.update(id=view_id, data=data))
            return
        new = {"title": title, "ordering": ordering, "hiddenColumns": columns}
        ls_call(
            "create view",
            lambda: self.sdk.views.create(project=project_id, data=new),  # type: ignore[arg-type]
        )

    def model_versions(self, project_id: int) -> set[str]:
        """The model versions the project's tasks hold predictions of (not in the SDK)."""
        http = self.sdk._client_wrapper.httpx_client
        path = f"api/projects/{project_id}/model-versions/"
        got = ls_call("list model versions", lambda: http.request(path, method="GET"))
        if got.status_code >= 400:
            raise LabelStudioRefused(f"list model versions: {got.status_code}", got.status_code)
        return set(got.json())

    def update_project(self, project_id: int, **fields: Any) -> None:
        ls_call("update project", lambda: self.sdk.projects.update(id=project_id, **fields))

    def create_project(self, title: str, label_config: str) -> int:
        p: Any = ls_call(
            "create project",
            lambda: self.sdk.projects.create(
                title=title,
                label_config=label_config,
                description="Customer messages to label. Pick the label that fits; skip when "
                "none does.",
                show_skip_button=True,
            ),
        )
        return int(p.id)  # type: ignore[arg-type]

    def project_labels(self, project_id: int) -> list[str]:
        return self.project_config(project_id)[1]

    def project_config(self, project_id: int) -> tuple[str, list[str]]:
        """(the project's labeling config, the labels it offers)."""
        p: Any = ls_call("get project", lambda: self.sdk.projects.get(id=project_id))
        parsed = p.parsed_label_config or {}
        return str(p.label_config or ""), list((parsed.get("label") or {}).get("labels") or [])

    def ensure_webhook(self, project_id: int, url: str, secret: str) -> int:
        """One active webhook for our receiver on this project (updated if it drifted)."""
        existing = ls_call(
            "list webhooks", lambda: list(self.sdk.webhooks.list(project=str(project_id)))
        )
        headers = {SECRET_HEADER: secret}
        match = next((w for w in existing if w.url == url and w.project == project_id), None)
        if match is not None:
            wid = int(match.id)  # type: ignore[arg-type]
            if match.headers != headers or not match.is_active:
                ls_call(
                    "update webhook",
                    lambda: self.sdk.webhooks.update(
                        id=wid,
                        url=url,
                        headers=headers,
                        is_active=True,
                        actions=WEBHOOK_ACTIONS,  # type: ignore[arg-type]
                        send_payload=True,
                    ),
                )
            return wid
        w = ls_call(
            "create webhook",
            lambda: self.sdk.webhooks.create(
                url=url,
                project=project_id,
                headers=headers,
                actions=WEBHOOK_ACTIONS,  # type: ignore[arg-type]
                send_payload=True,
                send_for_all_actions=False,
                is_active=True,
            ),
        )
        return int(w.id)  # type: ignore[arg-type]

    # --- tasks ----------------------------------------------------------------------------
    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        r: Any = ls_call(
            "import tasks",
            lambda: self.sdk.projects.import_tasks(
                id=project_id,
                request=tasks,  # type: ignore[arg-type]
                return_task_ids=True,
            ),
        )
        return [int(i) for i in (getattr(r, "task_ids", None) or [])]

    def tasks_after(
        self, project_id: int, task_id: int, with_annotations: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Tasks with id > task_id (data only, or with their annotations), oldest first."""
        query = _filters([("filter:tasks:id", "greater", "Number", task_id)], ["tasks:id"])
        yield from self._tasks(project_id, query, "all" if with_annotations else "task_only")

    def tasks_updated_since(
        self, project_id: int, since: str, limit: int, page: int = 1
    ) -> tuple[list[dict[str, Any]], int]:
        """(a page of the tasks changed after ``since``, oldest first; how many in all)."""
        query = _filters(
            [("filter:tasks:updated_at", "greater", "Datetime", since)], ["tasks:updated_at"]
        )
        pager: Any = ls_call(
            "list tasks",
            lambda: self.sdk.tasks.list(
                project=project_id,
                query=query,
                fields="all",
                page=page,
                page_size=limit,  # type: ignore[arg-type]
            ),
        )
        items = [_plain(item) for item in pager.items or []]
        return items, int(getattr(pager.response, "total", None) or len(items))

    def _tasks(self, project_id: int, query: str, fields: str) -> Iterator[dict[str, Any]]:
        pager: Any = ls_call(
            "list tasks",
            lambda: self.sdk.tasks.list(
                project=project_id,
                query=query,
                fields=fields,
                page_size=100,  # type: ignore[arg-type]
            ),
        )
        it = iter(pager)
        while True:
            item = ls_call("list tasks", lambda: next(it, None))
            if item is None:
                return
            yield _plain(item)

    def get_task(self, task_id: int) -> dict[str, Any]:
        return _plain(ls_call("get task", lambda: self.sdk.tasks.get(id=str(task_id))))

    def update_task_data(self, task_id: int, data: dict[str, Any]) -> None:
        ls_call("update task", lambda: self.sdk.tasks.update(id=str(task_id), data=data))

    def delete_task(self, task_id: int) -> None:
        ls_call("delete task", lambda: self.sdk.tasks.delete(id=str(task_id)))

    # --- annotators and annotations (used by the simulated annotators and tests) ----------
    def user_emails(self) -> dict[str, str]:
        """Label Studio user id (as the annotations carry it, a string) -> email."""
        users: list[Any] = ls_call("list users", lambda: list(self.sdk.users.list()))
        return {str(u.id): str(u.email) for u in users if getattr(u, "email", None)}

    def ensure_user(self, email: str, first_name: str, last_name: str) -> int:
        """The id of the user with this email, created if missing (an annotator account)."""
        for user_id, known in self.user_emails().items():
            if known == email:
                return int(user_id)
        names = {"first_name": first_name, "last_name": last_name}
        created: Any = ls_call(
            "create user",
            lambda: self.sdk.users.create(email=email, username=email.split("@")[0], **names),
        )
        return int(created.id)

    def annotate(
        self, task_id: int, label: str | None, *, skip: bool = False, user_id: int | None = None
    ) -> int:
        """Create an annotation; ``user_id`` records who made it (an admin token may act for
        the annotators it manages)."""
        result = [] if skip or label is None else [choice_result(label)]
        extra: dict[str, Any] = {"completed_by": user_id} if user_id is not None else {}
        a = ls_call(
            "create annotation",
            lambda: self.sdk.annotations.create(
                id=task_id, result=result, was_cancelled=skip, **extra
            ),
        )
        return int(a.id)  # type: ignore[arg-type]


def _filters(items: list[tuple[str, str, str, Any]], ordering: list[str]) -> str:
    rows = [{"filter": f, "operator": op, "type": typ, "value": v} for f, op, typ, v in items]
    return json.dumps({"filters": {"conjunction": "and", "items": rows}, "ordering": ordering})


def _plain(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else cast(dict[str, Any], item.model_dump(mode="json"))
