"""JSON parsing that refuses what the standard library lets through. Pure logic.

``json.loads`` accepts NaN and Infinity (and turns 1e999 into inf), merges duplicate keys
silently, decodes ``"\\ud800"`` into a lone surrogate that later fails to encode, raises
ValueError (not JSONDecodeError) on integers over 4,300 digits, and recurses until
RecursionError on deep nesting. Each of those crashed a worker or answered 500. Here every one
is a ``StrictJSONError`` with a reason, and the work is linear in the input.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40


class StrictJSONError(ValueError):
    """The bytes are not acceptable JSON; the message says why (no content quoted)."""


def _check_depth(text: str, max_depth: int) -> None:
    """Nesting depth without recursion: brackets outside strings, one pass."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                raise StrictJSONError(f"nested deeper than {max_depth} levels")
        elif ch in "]}":
            depth -= 1


def _no_constants(name: str) -> Any:
    raise StrictJSONError(f"{name} is not a JSON number")


def _int(s: str) -> int:
    if len(s) > MAX_NUMBER_CHARS:
        raise StrictJSONError(f"a number of {len(s)} digits (limit {MAX_NUMBER_CHARS})")
    return int(s)


def _float(s: str) -> float:
    if len(s) > MAX_NUMBER_CHARS:
        raise StrictJSONError(f"a number of {len(s)} characters (limit {MAX_NUMBER_CHARS})")
    value = float(s)
    if not math.isfinite(value):
        raise StrictJSONError("a number too large to be finite")
    return value


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise StrictJSONError("duplicate key in an object")
        out[k] = v
    return out


def _surrogate_free(value: Any) -> None:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise StrictJSONError("a string holds a lone surrogate (\\ud800-\\udfff)") from None
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def strict_loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """The value ``data`` holds, or StrictJSONError."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StrictJSONError(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    else:
        text = data
    _check_depth(text, max_depth)
    try:
        value = json.loads(
            text,
            parse_constant=_no_constants,
            parse_int=_int,
            parse_float=_float,
            object_pairs_hook=_pairs,
        )
    except json.JSONDecodeError as exc:
        raise StrictJSONError(
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:  # belt and braces: _check_depth should have caught it
        raise StrictJSONError(f"nested deeper than {max_depth} levels") from None
    _surrogate_free(value)
    return value
