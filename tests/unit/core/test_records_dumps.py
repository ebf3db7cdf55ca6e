"""records.dumps: orjson's bytes are the standard library's compact UTF-8 JSON, and what
orjson refuses still serialises."""

from __future__ import annotations

import json

from services.core.records import dumps


def test_same_json_as_the_standard_library() -> None:
    rec = {"text": 'café ✈️ "quoted"', "p": {"a": 0.1, "b": 0.87}, "n": [1, None, True]}
    assert dumps(rec) == json.dumps(rec, separators=(",", ":"), ensure_ascii=False).encode()
    tiny = {"p": 1e-7}  # exponents are spelt 1e-7, not 1e-07: the same number
    assert json.loads(dumps(tiny)) == tiny


def test_what_orjson_refuses_falls_back() -> None:
    rec: dict[str, object] = {"big": 2**70}
    assert json.loads(dumps(rec)) == {"big": 2**70}
    keyed: dict[object, object] = {3: "int key"}
    assert json.loads(dumps(keyed)) == {"3": "int key"}  # type: ignore[arg-type]
