import json
import random

import pytest
from jsonschema import Draft202012Validator

from services.core.schemas import (
    SCHEMA_NAMES,
    _format_checker,
    fast_valid,
    inline_local_refs,
    schemas_dir,
    validate,
    validator,
)
from services.demo.simulator import make_event


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_is_valid_2020_12_with_id_and_version(name: str) -> None:
    schema = validator(name).schema
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["$id"].endswith(f"{name}.v1.json")
    assert schema["version"] == 1


@pytest.mark.parametrize("channel", ["chat", "crm", "ads"])
def test_simulated_events_are_valid(channel: str) -> None:
    event = make_event(channel, 1, "hello there", random.Random(0))
    assert validate(channel, event) == []


def test_missing_field_names_the_path() -> None:
    event = make_event("chat", 1, "hi", random.Random(0))
    del event["text"]
    errors = validate("chat", event)
    assert [(e.path, e.message) for e in errors] == [("$.text", "is required")]


def test_wrong_enum_and_type_and_date() -> None:
    event = make_event("crm", 1, "hi", random.Random(0))
    event.update(status="martian", body=42, created_at="yesterday")
    errors = {e.path: e.message for e in validate("crm", event)}
    assert errors["$.status"].startswith("must be one of")
    assert errors["$.body"] == "must be of type string"
    assert errors["$.created_at"] == "is not a valid date-time"


def test_a_metadata_value_too_long_says_what_is_allowed() -> None:
    # It said "violates anyOf".
    event = make_event("chat", 1, "hi", random.Random(0))
    event["metadata"] = {"note": "x" * 2001}
    (err,) = validate("chat", event)
    assert err.path == "$.metadata.note"
    assert err.message == "must be string (maxLength 2000) or number or boolean or null"


def test_naive_datetime_is_rejected() -> None:
    event = make_event("chat", 1, "hi", random.Random(0))
    event["sent_at"] = "2026-11-01T10:00:00"
    assert validate("chat", event)[0].path == "$.sent_at"


def test_unexpected_property_is_reported_without_value() -> None:
    event = make_event("ads", 1, "hi", random.Random(0))
    event["secret"] = "jane@example.com"
    (err,) = validate("ads", event)
    assert err.path == "$" and "secret" in err.message and "jane" not in err.message


def test_ads_reply_needs_parent_and_lead_form_needs_form() -> None:
    event = make_event("ads", 1, "hi", random.Random(0))
    event["kind"] = "reply"
    assert [e.path for e in validate("ads", event)] == ["$.parent_id"]
    event["kind"] = "lead_form"
    assert [e.path for e in validate("ads", event)] == ["$.form_id"]


def test_ids_must_be_opaque_not_emails() -> None:
    event = make_event("chat", 1, "hi", random.Random(0))
    event["customer_id"] = "jane@example.com"
    [error] = validate("chat", event)
    assert error.path == "$.customer_id"
    # In words, not only the regular expression; never the value.
    assert "an e-mail address is not an id" in error.message and "jane" not in error.message
    event["customer_id"] = "c1"
    event["text"] = " \u200b "  # the text's pattern is 400 characters of ranges: not quoted
    [error] = validate("chat", event)
    assert error.message.startswith("breaks its rule: At least one visible character"), error
    assert "\\u" not in error.message and "[^" not in error.message
    event["text"] = "hi"
    event["customer_id"] = "x" * 201  # a length rule: the pattern's words would mislead
    [error] = validate("chat", event)
    assert error.message == "violates maxLength 200"


BAD_VALUES: list[object] = [42, "", "a@b.example", "x" * 300, None, {"k": "v"}, "en-US\n", []]


def _as_written(name: str) -> Draft202012Validator:
    """The schema file as it is, without inlining: what the fast validator must agree with."""
    raw = json.loads((schemas_dir() / f"{name}.v1.json").read_text())
    return Draft202012Validator(raw, format_checker=_format_checker)


@pytest.mark.parametrize("channel", ["chat", "crm", "ads"])
def test_inlined_refs_give_the_same_errors_as_the_schema_as_written(channel: str) -> None:
    written = _as_written(channel)
    fast = validator(channel)
    assert "#/$defs/" not in json.dumps(fast.schema.get("properties"))  # it did inline them

    def errors(v: Draft202012Validator, record: object) -> list[tuple[str, str, str]]:
        found = [
            (str(list(e.absolute_path)), str(e.validator), e.message) for e in v.iter_errors(record)
        ]
        return sorted(found)

    event = make_event(channel, 1, "hi", random.Random(0))
    event["metadata"] = {"ok": 1}
    records: list[object] = [event, {}, [], "x"]
    for field in [*event, "unknown"]:
        for bad in BAD_VALUES:
            records.append({**event, field: bad})
    records.append({**event, "metadata": {"bad key!": 1, "ok": {"nested": 1}}})
    for record in records:
        assert errors(fast, record) == errors(written, record), record


def test_a_ref_with_a_check_beside_it_is_left_alone() -> None:
    schema = {
        "$defs": {"id": {"type": "string"}},
        "properties": {
            "a": {"$ref": "#/$defs/id", "description": "annotation only"},
            "b": {"$ref": "#/$defs/id", "maxLength": 3},
            "c": {"$ref": "#/$defs/missing"},
            "d": {"const": {"$ref": "#/$defs/id"}},  # data, not a schema
            "e": {"$id": "other.json", "properties": {"f": {"$ref": "#/$defs/id"}}},
        },
    }
    out = inline_local_refs(schema)["properties"]
    assert out["a"] == {"type": "string"}
    assert out["b"] == {"$ref": "#/$defs/id", "maxLength": 3}
    assert out["c"] == {"$ref": "#/$defs/missing"}
    assert out["d"] == schema["properties"]["d"]  # type: ignore[index]
    assert out["e"] == schema["properties"]["e"]  # type: ignore[index]


def test_inlined_interaction_schema_checks_its_source_the_same_way() -> None:
    written = _as_written("interaction")
    fast = validator("interaction")
    assert "#/$defs/source" not in json.dumps(fast.schema.get("properties"))
    for source in [*BAD_VALUES, {}, {"topic": 1}, {"topic": "t", "partition": "x"}]:
        record = {"source": source}
        got = sorted((str(list(e.absolute_path)), e.message) for e in fast.iter_errors(record))
        want = sorted((str(list(e.absolute_path)), e.message) for e in written.iter_errors(record))
        assert got == want, source


# Texts with no visible character, ids and locales with a trailing newline, odd dates: where
# a Rust and a Python regex or date parser could disagree.
EDGE_STRINGS: list[object] = [
    " ",
    "\u200b",
    "\x1c\x1d",
    "\u3000\u2028",
    "\ufeff",
    "\u00a0",
    "\u180e",
    "a\n",
    "en-US\n",
    "abc\n",
    "x:y/z",
    "2026-11-01T10:00:00",
    "2026-11-01 10:00:00Z",
    "2026-11-01T10:00:00+01:00",
    "2026-13-01T10:00:00Z",
    "2026-11-01t10:00:00z",
    "\u00e9t\u00e9",
    1.0,
    True,
    float("nan"),
    10**30,
]


@pytest.mark.parametrize("channel", ["chat", "crm", "ads"])
def test_the_fast_validator_never_passes_what_the_python_one_rejects(channel: str) -> None:
    """validate() trusts jsonschema-rs's "valid" and asks Python otherwise: a record Python
    rejects must never be passed by the fast path (the other way round only costs time)."""
    event = make_event(channel, 1, "hi", random.Random(0))
    event["metadata"] = {"ok": 1}
    records: list[object] = [event, {}, [], "x"]
    for field in [*event, "unknown"]:
        for bad in [*BAD_VALUES, *EDGE_STRINGS]:
            records.append({**event, field: bad})
            records.append({**event, "metadata": {"k": bad}})
    disagree = 0
    for record in records:
        python_ok = not any(True for _ in validator(channel).iter_errors(record))
        fast_ok = fast_valid(channel, record)
        assert python_ok or not fast_ok, record
        disagree += python_ok != fast_ok
    assert disagree <= len(records) // 20  # and it does pass nearly every valid one
    assert fast_valid(channel, event)


def test_an_unexpected_property_is_named_but_never_as_personal_data() -> None:
    # The 422 and the dead letter said "unexpected properties: jane.doe@example.com".
    event = make_event("chat", 1, "hi", random.Random(0))
    event["jane.doe@example.com"] = 1
    event["Kyle Reese"] = 1
    event["o'brien@x.io"] = 1  # a quote broke the parse of jsonschema's message
    event["colour"] = "red"
    [error] = validate("chat", event)
    assert error.path == "$" and error.message == "unexpected properties: colour and 3 more"
    for i in range(12):
        event[f"extra{i}"] = i
    [error] = validate("chat", event)
    assert error.message.endswith("extra8 and 6 more"), error.message
    del event["colour"]
    event = {k: v for k, v in event.items() if not k.startswith("extra")}
    [error] = validate("chat", event)
    assert error.message == "unexpected properties: 3 more"


def test_a_time_without_zone_and_a_bad_locale_say_why_in_words() -> None:
    event = make_event("chat", 1, "hi", random.Random(0))
    event["sent_at"] = "2026-11-01T10:00:00"
    event["locale"] = "english!"
    errors = {e.path: e.message for e in validate("chat", event)}
    assert errors["$.sent_at"].endswith("needs a time zone (e.g. Z or +01:00)")
    assert errors["$.locale"].startswith("breaks its rule: A language tag such as en")
    event["sent_at"] = "2026-13-01T10:00:00Z"  # the parser's own words would quote it
    errors = {e.path: e.message for e in validate("chat", event)}
    assert errors["$.sent_at"] == "is not a valid date-time"
