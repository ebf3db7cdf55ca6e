"""The `eddy` command: one module per command group; each registers its commands on the app
when imported, here."""

from __future__ import annotations

import signal
import sys

from rich.markup import escape

from services.cli import (  # noqa: F401
    alive,
    bench,
    demo,
    events,
    loop,
    models,
    opsconsole,
    prune,
    simulate,
    stack,
    status,
    tail,
)
from services.cli.app import app, console


def main() -> None:
    # A shell starts a background job (`eddy trainer &` in a script) with SIGINT ignored, and
    # Python keeps that: `kill -INT` did nothing. Ctrl-C / SIGINT stops every command.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        app()
    except Exception as exc:
        # A dependency that is down gets one line naming its URL and setting, no traceback.
        from services.cli.errors import dependency_message
        from services.core.settings import load_settings

        line = dependency_message(exc, load_settings())
        if line is None:
            raise
        console.print(f"[red]error:[/red] {escape(line)}", highlight=False, soft_wrap=True)
        sys.exit(1)


__all__ = ["app", "main"]
