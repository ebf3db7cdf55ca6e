"""The ops console's HTTP side (FastAPI): a login with the console token, the page and its
static files (charts by uPlot, vendored: nothing is fetched from the internet), the read
model's state as JSON, and promote / rollback recorded exactly as the CLI records them."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

log = logging.getLogger("eddy.console")
STATIC = Path(__file__).parent / "static"
COOKIE = "eddy_console"
# Actions need this header too: a cross-site form cannot set it, so a logged-in browser
# cannot be made to promote or roll back from another site (with SameSite=Strict besides).
ACTION_HEADER = "x-eddy-console"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

State = Callable[[], dict[str, Any]]
# ([version,] reason, the champion the operator saw or None, who: `by` in the history)
Promote = Callable[[int, str, int | None, str], dict[str, Any]]
Rollback = Callable[[str, int | None, str], dict[str, Any]]


def _login_page(error: str = "") -> str:
    note = f'<p class="error" id="login-error">{error}</p>' if error else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Eddy console: sign in</title>"
        "<link rel='stylesheet' href='/static/console.css'></head><body class='login'>"
        "<form method='post' action='/login'><h1>Eddy ops console</h1>"
        "<label>Console token <input name='token' type='password' autocomplete='off' "
        "autofocus></label><button type='submit'>Sign in</button>"
        f"{note}<p class='hint'>The token is EDDY_CONSOLE_TOKEN (`eddy up` writes it to "
        "the data dir's secrets.env).</p></form></body></html>"
    )


def create_console(
    token: str, state: State, promote: Promote, rollback: Rollback, *, secure_cookie: bool
) -> FastAPI:
    app = FastAPI(title="Eddy ops console", docs_url=None, redoc_url=None, openapi_url=None)
    sessions: set[str] = set()

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        # Scripts only from the console itself, no framing (the promote and rollback buttons
        # must not be clickable through another site's frame), no MIME sniffing.
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def authed(request: Request) -> bool:
        cookie = request.cookies.get(COOKIE)
        if cookie and any(hmac.compare_digest(cookie, s) for s in sessions):
            return True
        auth = request.headers.get("authorization", "")
        scheme, _, bearer = auth.partition(" ")  # the scheme is case-insensitive (RFC 7235)
        bearer = bearer.strip() if scheme.lower() == "bearer" else ""
        return bool(bearer) and hmac.compare_digest(bearer.encode(), token.encode())

    def denied() -> JSONResponse:
        return JSONResponse({"detail": "sign in first (EDDY_CONSOLE_TOKEN)"}, status_code=401)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/favicon.ico", response_model=None)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/", response_model=None)
    def index(request: Request) -> Response:
        if not authed(request):
            return Response(_login_page(), media_type="text/html")
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.post("/login", response_model=None)
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        given = (form.get("token") or [""])[0]
        if not given:
            page = _login_page("Enter the token (EDDY_CONSOLE_TOKEN in DATA_DIR/secrets.env).")
            return Response(page, media_type="text/html", status_code=401)
        if not hmac.compare_digest(given.encode(), token.encode()):
            log.warning("console: a sign-in with a wrong token")
            return Response(_login_page("Wrong token."), media_type="text/html", status_code=401)
        session = secrets.token_urlsafe(32)
        sessions.add(session)
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(
            COOKIE, session, httponly=True, samesite="strict", secure=secure_cookie, path="/"
        )
        return resp

    @app.post("/logout", response_model=None)
    def logout(request: Request) -> Response:
        sessions.discard(request.cookies.get(COOKIE, ""))
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @app.get("/api/state", response_model=None)
    def api_state(request: Request) -> Response:
        if not authed(request):
            return denied()
        return JSONResponse(state())

    async def action(request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        if not authed(request):
            return None, denied()
        if request.headers.get(ACTION_HEADER) != "1":
            return None, JSONResponse(
                {"detail": f"actions need the {ACTION_HEADER}: 1 header"}, status_code=403
            )
        try:
            body = await request.json()
        except ValueError:
            return None, JSONResponse({"detail": "body must be JSON"}, status_code=400)
        if not isinstance(body, dict) or not str(body.get("reason") or "").strip():
            return None, JSONResponse({"detail": "say why: a reason is required"}, 400)
        return body, None

    @app.post("/api/promote", response_model=None)
    async def api_promote(request: Request) -> Response:
        body, refused = await action(request)
        if refused is not None or body is None:
            return refused or denied()
        version = body.get("version")
        if not _version(version):
            return JSONResponse({"detail": "version must be a positive integer"}, 400)
        seen = body.get("champion")
        if seen is not None and not _version(seen):
            return JSONResponse({"detail": "champion must be a positive integer"}, 400)
        return await _run(lambda: promote(version, str(body["reason"]).strip(), seen, _by(request)))

    @app.post("/api/rollback", response_model=None)
    async def api_rollback(request: Request) -> Response:
        body, refused = await action(request)
        if refused is not None or body is None:
            return refused or denied()
        seen = body.get("champion")
        if seen is not None and not _version(seen):
            return JSONResponse({"detail": "champion must be a positive integer"}, 400)
        return await _run(lambda: rollback(str(body["reason"]).strip(), seen, _by(request)))

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _by(request: Request) -> str:
    """Who made a change from the console, for the history: the client's address (one
    token signs everyone in, so the address is what tells two operators apart)."""
    return f"ops console ({request.client.host if request.client else 'unknown client'})"


def _version(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


async def _run(fn: Callable[[], dict[str, Any]]) -> JSONResponse:
    try:  # in a thread: publishing to a broker that is down takes up to 15 s, and /healthz
        # (which `eddy up` probes for a hung server) must answer meanwhile
        event = await run_in_threadpool(fn)
    except Exception as exc:  # RegistryError and friends: the operator reads why
        return JSONResponse({"detail": str(exc)}, status_code=409)
    log.info("console: champion v%s -> v%s", event.get("previous_version"), event["version"])
    return JSONResponse(event)
