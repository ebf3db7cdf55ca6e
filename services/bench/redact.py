"""Redaction on adversarial input: seconds per input kind, to show the work is linear (the
e-mail pattern once took 105 s on 250 KB)."""

from __future__ import annotations

import time
from typing import Any

from services.core.redact import redact

PATTERNS = {
    "letters": "a",
    "digits and spaces": "1 ",
    "plus and digits": "+1",
    "at signs": "a@",
    "digits and dashes": "1-",
    "house numbers and capitals": "1 Aaaa ",
    "colons": "a:",
    "digits and dots": "1.",
    "name cues": "my name is ",
    "titles": "Mr ",
    "birth cues": "born ",
}


def adversarial(sizes: tuple[int, ...] = (100_000, 1_000_000)) -> list[dict[str, Any]]:
    """For each pattern and size: the seconds ``redact`` takes on that pattern repeated."""
    rows = []
    for name, unit in PATTERNS.items():
        for size in sizes:
            text = unit * (size // len(unit))
            started = time.perf_counter()
            redact(text)
            rows.append(
                {"input": name, "chars": len(text), "seconds": time.perf_counter() - started}
            )
    return rows
