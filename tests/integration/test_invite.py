"""`eddy invite` on a real Label Studio: the link signs a new annotator up into the
organisation, and --reset makes a new link and retires the old one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import httpx
import pytest

from services.annotation.client import LabelStudioClient
from services.core.settings import Settings
from tests.helpers import close_label_studio


def _eddy(s: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **s.to_env()}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _sign_up(link: str, email: str) -> httpx.Response:
    with httpx.Client(follow_redirects=False, timeout=30) as http:
        page = http.get(link)
        assert page.status_code == 200, page.status_code
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert csrf, "the sign-up form"
        return http.post(
            link,
            data={
                "csrfmiddlewaretoken": csrf.group(1),
                "email": email,
                "password": uuid.uuid4().hex,
            },
            headers={"Referer": link},
        )


def test_invite_link_signs_an_annotator_up_and_reset_retires_it(
    settings: Settings, label_studio: str, request: pytest.FixtureRequest
) -> None:
    r = _eddy(settings, "invite", "--json")
    assert r.returncode == 0, r.stderr
    link = json.loads(r.stdout)["invite_url"]
    assert link.startswith(f"{settings.label_studio.url}/user/signup/?token="), link
    email = f"ann-{uuid.uuid4().hex[:6]}@example.com"
    assert _sign_up(link, email).status_code == 302, "signed up, sent on to the app"
    client = LabelStudioClient(settings.label_studio)
    request.addfinalizer(lambda: close_label_studio(client))
    assert email in {u.email for u in client.sdk.users.list()}, "a member of the organisation"

    r = _eddy(settings, "invite", "--reset")
    assert r.returncode == 0, r.stderr
    new = r.stderr.split("sign-up link for annotators: ")[1].strip()
    assert new != link and new.startswith(f"{settings.label_studio.url}/user/signup/?token=")
    late = f"late-{uuid.uuid4().hex[:6]}@example.com"
    _sign_up(link, late)  # the old link: the form is there, the sign-up is refused
    assert late not in {u.email for u in client.sdk.users.list()}
