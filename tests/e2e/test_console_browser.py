"""The ops console in a real headless Chromium (Debian's, driven by Playwright), on the
embedded stack `eddy up` starts: sign in with the generated token; a burst of events (a few
of them malformed) shows as consumer lag that rises and returns to 0, a label backlog and the
dead-letter count; labels from Label Studio make the trainer promote v2, which the page shows;
rolling back from the page makes v1 champion again, recorded like `eddy rollback`.
Screenshots are kept in .test-artifacts/console/.

The gate is opened wide (EDDY_GATE_TOLERANCE=1): this test is about what ops see, not about
the gate's judgement (tests/unit/training, tests/integration/test_gate_rejects.py)."""

from __future__ import annotations

import copy
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from services.annotation.client import LabelStudioClient
from services.core.settings import Settings
from services.core.topics import Topics
from services.demo.simulator import make_event
from services.ingest.producer import EventProducer
from services.registry.rollout import history
from services.registry.store import ModelRegistry
from services.stack import secrets
from tests.e2e.test_annotator_browser import CHROMIUM, FLAGS
from tests.helpers import (
    TopicReader,
    Up,
    artifacts_dir,
    close_label_studio,
    copy_models,
    free_port,
    up_settings,
    wait,
)
from tests.lsdata import migrated_label_studio

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

pytestmark = pytest.mark.e2e
BURST = 400
MALFORMED = 5


def _burst(s: Settings, run: str) -> None:
    rng = random.Random(3)
    with EventProducer(s.kafka) as producer:
        for i in range(BURST):
            text = f"flight {i} was delayed and my bag is lost, what now? ({run})"
            producer.send("chat", make_event("chat", i, text, rng, run=run))
            if i % 100 == 0:
                producer.flush()
                time.sleep(0.5)  # a burst over a few seconds: the page samples every second
        for i in range(MALFORMED):
            producer.send_raw("chat", b'{"not": "an event"' + str(i).encode())
        producer.flush()


def _number(text: str) -> int:
    found = re.match(r"\s*(\d+)", text)
    return int(found.group(1)) if found else -1


def test_ops_console_shows_the_loop_and_rolls_back(
    settings: Settings, champion: int, tmp_path: Path, label_studio_template: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: scripts/setup installs it")
    from playwright.sync_api import Dialog, sync_playwright

    run = uuid.uuid4().hex[:6]
    models = tmp_path / "models"
    copy_models(settings.stack.models_dir, models)  # v1 from the session's bootstrap
    s = up_settings(tmp_path, models, "console").override(
        # Every prediction goes to review; the open queue holds at most 12 per channel.
        routing={
            "threshold": 0.0,
            "audit_share": 0.0,
            "audit_floor_per_hour": 0,
            "open_cap": 12,
        },
        trainer={"min_new_labels": 3, "interval_s": 5.0, "recipe": "warm"},
        gate={"tolerance": 1.0, "class_tolerance": 1.0, "min_holdout": 1},
        label_studio={"batch_wait_ms": 200},
        console={"port": free_port(), "sample_s": 1.0},
    )
    shots = artifacts_dir() / "console"
    shots.mkdir(parents=True, exist_ok=True)
    migrated_label_studio(s.stack.data_dir, label_studio_template)
    up = Up(s, tmp_path / "up.log")
    try:
        out = up.wait_for("Eddy is up.", 420)
        base = f"http://127.0.0.1:{s.console.port}"
        assert f"[ready] ops console on {base}/" in out
        # Annotators would see no meaning for any label: said before anything starts.
        assert "note: EDDY_LABEL_DEFINITIONS is empty" in out
        token = re.search(
            r"EDDY_CONSOLE_TOKEN=(\S+)", (s.stack.data_dir / "secrets.env").read_text()
        )
        assert token, "eddy up generates the console token"
        # Without signing in: no data; an action needs the header as well as the token.
        assert httpx.get(f"{base}/api/state").status_code == 401
        bearer = {"Authorization": f"Bearer {token.group(1)}"}
        r = httpx.post(f"{base}/api/rollback", json={"reason": "x"}, headers=bearer)
        assert r.status_code == 403

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            # The console's Content-Security-Policy forbids eval, which Playwright's
            # wait_for_function and evaluate use; _csp_holds checks the page under it.
            _csp_holds(browser, base, token.group(1))
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/")
            page.fill("input[name=token]", "wrong-token")
            page.click("button[type=submit]")
            page.locator("#login-error").wait_for(timeout=10_000)
            page.fill("input[name=token]", token.group(1))
            page.click("button[type=submit]")
            page.wait_for_function(
                "document.getElementById('champion')?.textContent === 'v1'", timeout=60_000
            )

            # A burst: lag rises while the workers catch up, then returns to 0.
            sender = threading.Thread(target=_burst, args=(s, run))
            sender.start()
            seen: list[int] = []
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                seen.append(_number(page.inner_text("#lag-total")))
                if not sender.is_alive() and max(seen) > 0 and seen[-1] == 0:
                    break
                page.wait_for_timeout(500)
            sender.join(60)
            assert max(seen) > 0, f"lag never showed above 0: {seen}"
            assert seen[-1] == 0, f"lag did not return to 0: {seen[-20:]}"
            page.wait_for_function(
                f"document.getElementById('deadletters-total')?.textContent === '{MALFORMED}'",
                timeout=60_000,
            )
            backlog = wait(
                "a label backlog on the page",
                lambda: _number(page.inner_text("#backlog-total")) > 0,
                120,
            )
            assert backlog
            page.screenshot(path=str(shots / f"{run}-after-burst.png"), full_page=True)

            # Labels in Label Studio (as annotators would) -> the trainer promotes v2.
            # eddy up generated Label Studio's token into the data dir, as for any command.
            generated = secrets.apply(s, secrets.read(s.stack.data_dir))
            ls = LabelStudioClient(generated.label_studio)
            try:
                project = wait("the project", lambda: ls.find_project(s.label_studio.project), 60)

                def four_tasks() -> list[dict[str, object]] | None:
                    found = list(ls.tasks_after(project, 0))
                    return found[:4] if len(found) >= 4 else None

                labels = ["negative", "negative", "neutral", "negative"]
                for t, label in zip(wait("4 tasks", four_tasks, 120), labels, strict=True):
                    ls.annotate(int(str(t["id"])), label)
            finally:
                close_label_studio(ls)
            # While it trains, the page says so and by whom (the lock's holder), not "next
            # check in 0 s"; then idle again.
            page.wait_for_function(
                "document.getElementById('cad-now')?.textContent?.startsWith('training, for')",
                timeout=420_000,
            )
            now, after = page.evaluate(  # one render's two lines
                "['cad-now', 'cad-next'].map((id) => document.getElementById(id).textContent)"
            )
            assert "(trainer on " in now or not now.startswith("training"), now
            assert after == "after the run in progress" or not now.startswith("training"), after
            page.wait_for_function(
                "document.getElementById('champion')?.textContent === 'v2'", timeout=420_000
            )
            page.wait_for_function(
                "document.getElementById('cad-now')?.textContent === 'idle'", timeout=60_000
            )
            row = page.locator('#versions tr[data-version="2"]')
            assert "champion (promoted)" in row.inner_text()
            # The four labels arrived within the hour (by webhook, or by the poll).
            hour = page.inner_text("#inflow-hour")
            assert sum(int(n) for n in re.findall(r"\d+", hour)) == 4, hour
            # The one who labelled them, by email: the trainer's poll (every 30 s) looked it up.
            page.wait_for_function(
                "document.querySelector('#annotators tbody').textContent.includes('@')",
                timeout=60_000,
            )
            page.wait_for_timeout(1500)  # one more refresh: charts with the new point
            page.screenshot(path=str(shots / f"{run}-promoted.png"), full_page=True)

            # Roll back from the page: without a reason it asks for one, before any dialog
            # (a dialog, auto-dismissed here, would leave the result empty).
            page.click("#rollback-btn")
            assert "say why first" in page.inner_text("#action-result")
            # With one, it asks first, naming the champion; "Cancel" changes nothing.
            page.fill("#rollback-reason", f"console test {run}")
            asked: list[str] = []

            def answer(accept: bool) -> Callable[[Dialog], None]:
                def on_dialog(d: Dialog) -> None:
                    asked.append(d.message)
                    if accept:
                        d.accept()
                    else:
                        d.dismiss()

                return on_dialog

            page.once("dialog", answer(False))
            page.click("#rollback-btn")
            page.wait_for_timeout(1000)
            assert page.inner_text("#action-result") == "", page.inner_text("#action-result")
            assert page.inner_text("#champion") == "v2"
            page.once("dialog", answer(True))
            page.click("#rollback-btn")
            page.wait_for_function(
                "document.getElementById('action-result')?.textContent?.includes('v2 -> v1')",
                timeout=30_000,
            )
            page.wait_for_function(
                "document.getElementById('champion')?.textContent === 'v1'", timeout=30_000
            )
            # It names both versions, as the registry will pick the target.
            assert len(asked) == 2 and asked[0].startswith("Roll back v2"), asked
            assert " to v1" in asked[0], asked
            # The same render that names v1 champion shows v2 rolled back, and the gate's word.
            v2 = page.locator('#versions tr[data-version="2"]').inner_text()
            assert "rolled back (gate: promoted)" in v2 and "champion" not in v2, v2
            # v1 replaced nothing: the page says so instead of asking, then being refused.
            page.click("#rollback-btn")
            assert "v1 has no earlier champion" in page.inner_text("#action-result")
            assert len(asked) == 2, asked
            page.screenshot(path=str(shots / f"{run}-rolled-back.png"), full_page=True)
            _phone_and_screen_reader(page, shots / f"{run}-phone.png")

            # v2's weights pruned (EDDY_REGISTRY_KEEP; the server's own answer, changed as
            # `eddy prune` changes the version's eddy.json): said, and no longer offered.
            state = page.evaluate("fetch('/api/state').then((r) => r.json())")
            gone = copy.deepcopy(state)
            for v in gone["models"]["versions"]:
                v["pruned_at"] = "2026-12-07T20:00:00Z" if v["version"] == 2 else None
            page.route("**/api/state", lambda route: route.fulfill(json=gone))
            page.wait_for_function(
                "document.querySelector('#versions tr[data-version=\"2\"]').textContent"
                ".includes('rolled back (gate: promoted), pruned')",
                timeout=30_000,
            )
            assert page.locator("#promote-version option").all_inner_texts() == []
            page.unroute("**/api/state")
            # Champion v2 whose rollback target v1 was pruned: said at once, not asked and
            # then refused by the registry.
            back = copy.deepcopy(gone)
            back["champion"], back["models"]["rollback_to"] = 2, 1
            for v in back["models"]["versions"]:
                v["pruned_at"] = "2026-12-07T20:00:00Z" if v["version"] == 1 else None
            page.route("**/api/state", lambda route: route.fulfill(json=back))
            page.wait_for_function(
                "document.getElementById('champion')?.textContent === 'v2'", timeout=30_000
            )
            page.click("#rollback-btn")
            said = page.inner_text("#action-result")
            assert said.startswith("v1's weights were pruned") and len(asked) == 2, said
            page.unroute("**/api/state")
            # Redis and the registry unreadable (the server's own answer, changed as the read
            # model changes it): unknown, not "none" and an empty table.
            state.update(champion=None, errors={"redis": "TimeoutError", "models": "OSError"})
            state["workers"] = {"replicas": [], "per_role": {}, "missing_roles": []}
            page.route("**/api/state", lambda route: route.fulfill(json=state))
            page.wait_for_function(
                "document.getElementById('champion')?.textContent?.startsWith('unknown')",
                timeout=30_000,
            )
            note = page.inner_text("#workers-note")
            assert note.startswith("unknown: the heartbeats could not be read"), note
            assert not errors, errors
            browser.close()

        registry = ModelRegistry(models)
        assert registry.champion_version() == 1
        last = history(registry)[-1]
        assert (last["type"], last["version"], last["previous_version"]) == ("rolled_back", 1, 2)
        assert last["reason"] == f"console test {run}"
        assert last["by"] == "ops console (127.0.0.1)", "who: the operator's address"
        events = TopicReader(s.kafka, Topics.from_settings(s.kafka).models)
        try:
            got = events.wait_for(
                lambda rs: any(r.get("reason") == f"console test {run}" for r in rs), 30
            )
        finally:
            events.close()
        assert any(r["type"] == "rolled_back" and r["version"] == 1 for r in got)
    finally:
        assert up.interrupt() == 0


def _phone_and_screen_reader(page: Page, shot: Path) -> None:
    """On call from a phone: one column, nothing wider than the screen, charts redrawn at
    the card's width. For a screen reader: the banner and an action's result are live
    regions, and every chart says what it shows and its latest values."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(1000)  # the resize redraw waits 200 ms for the window to settle
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widths = page.evaluate(
        "Array.from(document.querySelectorAll('.chart canvas')).map((c) => "
        "c.getBoundingClientRect().right)"
    )
    assert widths and max(widths) <= 390, widths
    page.screenshot(path=str(shot), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert page.get_attribute("#banner", "role") == "alert"
    assert page.get_attribute("#action-result", "role") == "status"
    label = page.get_attribute("#chart-versions", "aria-label") or ""
    assert label.startswith("Versions by the gate's decision"), label
    assert re.search(r"Latest: bootstrap 0\.\d+, promoted 0\.\d+, rejected none", label), label


def _csp_holds(browser: Browser, base: str, token: str) -> None:
    """Signed in under the console's own Content-Security-Policy (no eval from the test),
    the page fills in and draws its charts, and the browser refuses nothing."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    refused: list[str] = []
    errors: list[str] = []

    def console(m: ConsoleMessage) -> None:
        if "Content Security Policy" in m.text:
            refused.append(m.text)

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    deadline = time.monotonic() + 60
    while page.inner_text("#champion") != "v1" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert page.inner_text("#champion") == "v1"
    assert page.locator("canvas").count() > 0, "uPlot drew no chart"
    assert not refused and not errors, (refused, errors)
    page.close()
