"""Redaction on adversarial input: seconds per input kind, to show the work is linear (the
e-mail pattern once took 105 s on 250 KB)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
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
    "credential cues": "pin ",
    "spelled-out emails": "a dot b at c dot ",
    # Names without a cue (services.core.names): known names, greetings, introductions.
    "known names": "John Smith ",
    "greetings": "thanks, ",
    "first names, then here": ". Sarah ",
}


def _repeated(unit: str, size: int) -> str:
    return unit * (size // len(unit))


def distinct_names(size: int) -> str:
    """ "Mr. Baaaaa Mr. Baaaab ...": every name a cue gives away is looked for again in the
    whole text (one pattern of every name was quadratic: 100 KB took 0.4 s, 10 KB 0.02 s)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: list[str] = []
    n = length = 0
    while length < size:
        word, k = "", n
        for _ in range(5):
            word, k = letters[k % 26] + word, k // 26
        words.append(f"Mr. B{word} ")
        length += len(words[-1])
        n += 1
    return "".join(words)[:size]


def adversarial(sizes: tuple[int, ...] = (100_000, 1_000_000)) -> list[dict[str, Any]]:
    """For each pattern and size: the seconds ``redact`` takes on that pattern repeated."""
    rows = []
    inputs: dict[str, Callable[[int], str]] = {
        name: partial(_repeated, unit) for name, unit in PATTERNS.items()
    }
    inputs["titled names, all different"] = distinct_names
    inputs["a sign-off, then spaces"] = lambda size: "thanks" + " " * (size - 7) + "x"
    # The gates that skip the spelled-out email pattern need "dot" and "at" somewhere.
    inputs["dashes, then dot and at"] = lambda size: _repeated("a-", size - 7) + " dot at"
    for name, make in inputs.items():
        for size in sizes:
            text = make(size)
            started = time.perf_counter()
            redact(text)
            rows.append(
                {"input": name, "chars": len(text), "seconds": time.perf_counter() - started}
            )
    return rows
