from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

cli_app = importlib.import_module("services.cli.app")


@pytest.fixture(autouse=True)
def _keep_console_widths() -> Iterator[None]:
    # Each invocation sets the shared consoles to 140 columns (output is not a terminal).
    saved = [(c, c._width) for c in (cli_app.out, cli_app.console)]
    yield
    for c, width in saved:
        c._width = width
