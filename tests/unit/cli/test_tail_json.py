"""`eddy tail --json` writes one record a line whatever the customer wrote: a tweet with a stray
U+0085 (NEL) was split in two by ``str.splitlines`` once the test stream's airline tweets were
on the topic, and a C1 control such as U+009B is an escape to some terminals."""

from __future__ import annotations

import json

from services.cli.tail import json_line


def test_control_and_line_breaking_characters_are_escaped_and_parse_back() -> None:
    text = "cold.\x85 next\u2028line\u2029para \x9b31m red \u202eevil\u202c \x1b[0m ok"
    line = json_line({"kind": "prediction", "record": {"text": text}})
    assert line.splitlines() == [line]
    assert all(ord(c) < 0x7F or c.isprintable() for c in line), line
    assert json.loads(line)["record"]["text"] == text


def test_readable_text_stays_as_it_is() -> None:
    text = "Zoë's flight to Zürich ✈️ was late 😡"
    line = json_line({"text": text})
    assert text in line
    assert json.loads(line) == {"text": text}
