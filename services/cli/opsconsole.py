"""`eddy console`: the ops console (a web page for people who run Eddy)."""

from __future__ import annotations

from pathlib import Path

from services.cli.app import DataDir, app, fail, port_free, settings


@app.command("console", short_help="Serve the ops console (web UI).")
def console_command(data_dir: Path | None = DataDir) -> None:
    """Serve the ops console on EDDY_CONSOLE_HOST:EDDY_CONSOLE_PORT (default
    http://127.0.0.1:18002/): the model timeline and accuracy, the retraining cadence,
    labels and backlog, stream rates, consumer lag and latency, drift, a red banner when
    something needs a person, and promote / rollback. Sign in with EDDY_CONSOLE_TOKEN
    (`eddy up` generates it into DATA_DIR/secrets.env and starts the console itself).
    Its read model's figures are on /metrics at EDDY_METRICS_PORT + 8."""
    from services.app.console import run_console
    from services.core.settings import exposed_without_secret
    from services.stack.mode import follow_up

    s = follow_up(settings(data_dir))
    if s.console.token is None:
        raise fail(
            "no console token",
            "set EDDY_CONSOLE_TOKEN (`eddy up` generates one into DATA_DIR/secrets.env)",
            2,
        )
    refused = exposed_without_secret(s, "console")
    if refused:
        raise fail("refusing to start", refused, 2)
    port_free(s, "console")
    run_console(s)
