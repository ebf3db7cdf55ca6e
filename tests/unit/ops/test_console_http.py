"""The console's HTTP side: sign-in, what needs the token, what actions need besides."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from services.ops.console import create_console

TOKEN = "t" * 32


def _app(calls: list[tuple[str, Any]]) -> TestClient:
    def promote(version: int, reason: str, seen: int | None, by: str) -> dict[str, Any]:
        calls.append(("promote", (version, reason, seen, by)))
        if version == 9:
            raise ValueError("v9 does not exist")
        return {"type": "promoted", "version": version, "previous_version": 1, "reason": reason}

    def rollback(reason: str, seen: int | None, by: str) -> dict[str, Any]:
        calls.append(("rollback", (reason, seen, by)))
        return {"type": "rolled_back", "version": 1, "previous_version": 2, "reason": reason}

    app = create_console(TOKEN, lambda: {"champion": 2}, promote, rollback, secure_cookie=False)
    return TestClient(app)


def test_nothing_without_signing_in_and_the_page_after() -> None:
    with _app([]) as http:
        assert http.get("/healthz").status_code == 200
        assert http.get("/api/state").status_code == 401
        page = http.get("/")
        assert page.status_code == 200 and "Console token" in page.text
        r = http.post("/login", content="token=nope", follow_redirects=False)
        assert r.status_code == 401 and "Wrong token" in r.text
        r = http.post("/login", content="token=", follow_redirects=False)
        assert r.status_code == 401 and "Enter the token (EDDY_CONSOLE_TOKEN" in r.text
        r = http.post("/login", content=f"token={TOKEN}", follow_redirects=False)
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert http.get("/api/state").json() == {"champion": 2}
        assert 'id="champion"' in http.get("/").text
        http.post("/logout")
        assert http.get("/api/state").status_code == 401
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert http.get("/api/state", headers=bearer).status_code == 200
        lower = {"Authorization": f"bearer {TOKEN}"}  # the scheme is case-insensitive
        assert http.get("/api/state", headers=lower).status_code == 200
        assert (
            http.get("/api/state", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
        )
        js = http.get("/static/vendor/uPlot.iife.min.js")
        assert js.status_code == 200
        # Every answer, signed in or not: scripts only from the console, never in a frame.
        for r in (js, http.get("/"), http.get("/api/state")):
            assert "script-src 'self'" in r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["x-content-type-options"] == "nosniff"


def test_actions_need_token_header_and_reason() -> None:
    calls: list[tuple[str, Any]] = []
    ok = {"Authorization": f"Bearer {TOKEN}", "x-eddy-console": "1"}
    with _app(calls) as http:
        assert http.post("/api/rollback", json={"reason": "r"}).status_code == 401
        no_header = {"Authorization": f"Bearer {TOKEN}"}
        assert (
            http.post("/api/rollback", json={"reason": "r"}, headers=no_header).status_code == 403
        )
        assert http.post("/api/rollback", json={"reason": " "}, headers=ok).status_code == 400
        assert http.post("/api/rollback", content=b"{", headers=ok).status_code == 400
        r = http.post("/api/promote", json={"version": "2", "reason": "r"}, headers=ok)
        assert r.status_code == 400 and "positive integer" in r.json()["detail"]
        assert calls == []
        r = http.post("/api/promote", json={"version": 9, "reason": "r"}, headers=ok)
        assert r.status_code == 409 and "v9" in r.json()["detail"]
        r = http.post("/api/rollback", json={"reason": " bad model "}, headers=ok)
        assert r.status_code == 200 and r.json()["version"] == 1
        # The champion the page showed travels with the action (the dialog named it).
        r = http.post("/api/rollback", json={"reason": "r", "champion": True}, headers=ok)
        assert r.status_code == 400
        http.post("/api/rollback", json={"reason": "r", "champion": 2}, headers=ok)
        by = "ops console (testclient)"  # the client's address, in the champion history
        assert calls == [
            ("promote", (9, "r", None, by)),
            ("rollback", ("bad model", None, by)),
            ("rollback", ("r", 2, by)),
        ]
