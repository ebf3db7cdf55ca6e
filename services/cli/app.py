"""The `eddy` Typer app, its shared options, and how settings reach a command: read from the
environment once, here, at the entry point, with the command's overrides by group."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from services.core.logs import configure_logging
from services.core.settings import (
    KafkaSettings,
    Settings,
    config_error,
    load_settings,
    unknown_variables,
)
from services.stack import secrets

app = typer.Typer(
    help="Eddy: classify every channel interaction, route doubtful ones to "
    "annotators, improve the model from their labels.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: the rich renderer of typer 0.29 shows every flag as taking a
    # value (`--json <bool>`).
    rich_markup_mode=None,
    context_settings={"max_content_width": 120},
)
console = Console(stderr=True)  # progress, warnings and errors
out = Console()  # results (tables), on stdout

DataDir = typer.Option(
    None, "--data-dir", help="Data directory (default EDDY_DATA_DIR or ./.eddy)."
)
JsonFlag = typer.Option(False, "--json", help="Print JSON on stdout instead of a table.")


def eddy_version() -> str:
    try:
        return version("eddy")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def _version(value: bool) -> None:
    if value:
        print(f"eddy {eddy_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    # Captured or piped output (`| tee`, CI logs) is 80 columns by default, which cut the
    # tables' headers ("held-o…"); 140 keeps them whole. COLUMNS, when set, still decides.
    if "COLUMNS" not in os.environ:
        for c in (out, console):
            if not c.is_terminal:
                c.width = 140
    # A typo in an EDDY_* variable must not pass silently.
    for line in unknown_variables():
        console.print(f"[yellow]warning:[/yellow] {line}", highlight=False, soft_wrap=True)


def invoked_as() -> str:
    """How to type `eddy` again: `eddy` when it is on PATH, else the path this run used
    (`.venv/bin/eddy` after `scripts/setup`, which puts nothing on PATH)."""
    argv0 = sys.argv[0] if sys.argv else ""
    if shutil.which("eddy") or Path(argv0).name != "eddy":
        return "eddy"
    path = Path(argv0)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def say(message: str) -> None:
    console.print(message, highlight=False, markup=False, soft_wrap=True)


def settings(
    data_dir: Path | None = None, log_level: str | None = None, **groups: Mapping[str, Any]
) -> Settings:
    """The command's settings (env + overrides by group), with logging set up once."""
    overrides: dict[str, dict[str, Any]] = {
        name: {k: v for k, v in fields.items() if v is not None} for name, fields in groups.items()
    }
    if data_dir is not None:
        overrides.setdefault("stack", {})["data_dir"] = data_dir
    try:
        s = load_settings(**{k: v for k, v in overrides.items() if v})
    except ValueError as exc:  # pydantic's ValidationError: a configuration error
        console.print(
            f"[red]configuration error:[/red] {escape(config_error(exc))}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    configure_logging(log_level or s.stack.log_level)
    where = s.stack.data_dir
    if where.exists() and not where.is_dir():
        source = "--data-dir" if data_dir is not None else "EDDY_DATA_DIR"
        raise fail("data dir is not a folder", f"{where} ({source})", 2)
    # The embedded stack's generated secrets, for every command run against its data dir.
    return secrets.apply(s, secrets.read(s.stack.data_dir))


def quiet_kafka() -> None:
    """For a command that reports a broker failure itself, in one line: kafka-python logs
    each failed connection attempt at WARNING and ERROR, tracebacks included. Called after
    settings(), which sets the level for long-running processes, whose logs want them."""
    logging.getLogger("kafka").setLevel(logging.CRITICAL)


def with_generated_secrets(s: Settings) -> Settings:
    """For commands that start the embedded stack: generate what the data dir lacks."""
    return secrets.ensure(s, say)


def fail(what: str, exc: BaseException | str, code: int = 1) -> typer.Exit:
    """Print one red line and return the Exit to raise."""
    # Text, not markup: a message may hold brackets (s3://BUCKET[/PREFIX]).
    console.print(f"[red]{what}:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def current_install(what: str) -> None:
    """Refuse ``what`` on an environment scripts/setup built for other dependencies: it would
    start servers and then lose a child to a missing module."""
    from services.stack.install import stale_install

    problem = stale_install()
    if problem:
        raise fail(f"{what} refused", problem)


def port_free(s: Settings, process: str) -> None:
    """Before a server starts: a taken port is one line naming the setting, not uvicorn's
    errno 98 after a line that says the server is up."""
    from services.core.settings.exposure import listen_address
    from services.stack.probes import PortInUse, ensure_port_free

    host, port, variable = listen_address(s, process)
    try:
        ensure_port_free(host, port, process, variable)
    except PortInUse as exc:
        raise fail("cannot start", exc, 2) from None
    except OSError as exc:  # a host this machine has no address for
        where = variable.replace("_PORT", "_HOST")
        line = f"{process} cannot bind {host}:{port}: {exc} ({where})"
        raise fail("cannot start", line, 2) from None


def writable_file(path: Path | None, option: str) -> None:
    """Refuse an output path before a long run, not after it (its results would be lost)."""
    if path is None:
        return
    if path.is_dir():
        raise fail(option, f"{path} is a folder; give a file name", 2)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise fail(option, f"cannot make {path.parent} ({exc.strerror or exc})", 2) from None
    if path.is_symlink() and not path.exists():
        raise fail(option, f"{path} is a link to nothing", 2)
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        raise fail(option, f"{path} cannot be written", 2)


@contextmanager
def model_events(kafka: KafkaSettings) -> Iterator[Callable[[dict[str, Any]], None] | None]:
    """A models.v1 publisher, or None (with a warning) when the broker is unreachable: the
    registry pointer is the truth workers follow; the event is the announcement."""
    from services.core.kafka import BrokerUnavailable
    from services.registry.rollout import ModelEvents

    try:
        events = ModelEvents(kafka)
    except BrokerUnavailable as exc:
        console.print(
            f"[yellow]warning:[/yellow] no models.v1 event will be sent: {exc} (the change "
            "itself is made: classify workers follow the registry's champion pointer)",
            soft_wrap=True,
        )
        yield None
        return
    try:
        yield events.publish
    finally:
        events.close()
