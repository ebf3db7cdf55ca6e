"""Captured or piped output keeps the tables whole: 140 columns, not Rich's 80."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

# The module, not the Typer object that services.cli exports under the same name.
cli_app = importlib.import_module("services.cli.app")


@pytest.fixture
def consoles() -> Iterator[None]:
    saved = [(c, c._width) for c in (cli_app.out, cli_app.console)]
    yield
    for c, width in saved:
        c._width = width


def test_piped_output_is_140_columns(consoles: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert not cli_app.out.is_terminal  # pytest captures stdout
    cli_app._root(show_version=False)
    assert cli_app.out.width == 140 and cli_app.console.width == 140


def test_columns_still_decides(consoles: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    cli_app._root(show_version=False)
    assert cli_app.out.width == 100
