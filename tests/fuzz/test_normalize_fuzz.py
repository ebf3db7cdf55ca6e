"""Hostile input for the normaliser and the record codec: no exception escapes, and every input
ends as a valid interaction (within the size limit) or a valid, bounded dead letter."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core.records import DecodeError, SourcePosition, dead_letter, dumps, loads
from services.core.schemas import SchemaError, validate
from services.demo.simulator import make_event
from services.ingest.normalize import Normalized, Rejected, normalize_bounded

POS = SourcePosition("eddy.channel.chat.v1", 0, 1, 1)
LIMIT = 20_000
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# JSON-ish values, including what json.loads lets through and Eddy must refuse.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=20), inner, max_size=5)
    ),
    max_leaves=30,
)
hostile_bytes = st.one_of(
    st.binary(max_size=2000),
    st.sampled_from(
        [
            b"[" * 20000 + b"]" * 20000,
            b'{"a":' * 5000 + b"1" + b"}" * 5000,
            b'{"event_id": ' + b"9" * 5000 + b"}",
            b'{"text": "\\ud800"}',
            b'{"text": NaN}',
            b'{"text": 1e999}',
            b'{"event_id": "a", "event_id": "b"}',
            b"\xff\xfe\x00",
        ]
    ),
)


def _mutated_event(base: dict[str, Any], field: str, value: Any) -> bytes:
    event = dict(base)
    event[field] = value
    try:
        return json.dumps(event, allow_nan=True).encode("utf-8", errors="surrogatepass")
    except (TypeError, ValueError):
        return b"{}"


def _check(raw: bytes | None) -> None:
    result, out = normalize_bounded("chat", raw, b"k", POS, LIMIT)
    if isinstance(result, Normalized):
        assert 0 < len(out) <= LIMIT
        assert not validate("interaction", loads(out))
    else:
        assert isinstance(result, Rejected) and out == b""
        dl = result.dead_letter
        assert not validate("deadletter", dl), dl
        assert len(dumps(dl)) < 20_000, "a dead letter is bounded whatever the input"


@FUZZ
@given(hostile_bytes)
def test_any_bytes_end_as_an_interaction_or_a_dead_letter(raw: bytes) -> None:
    _check(raw)


BASE = make_event("chat", 1, "my flight was cancelled", random.Random(1))


@FUZZ
@given(st.sampled_from([*sorted(BASE), "metadata", "extra"]), values)
def test_any_field_value_ends_as_an_interaction_or_a_dead_letter(field: str, value: Any) -> None:
    _check(_mutated_event(BASE, field, value))


@FUZZ
@given(st.dictionaries(st.text(max_size=80), values, max_size=8))
def test_any_metadata_ends_as_an_interaction_or_a_dead_letter(meta: dict[str, Any]) -> None:
    _check(_mutated_event(BASE, "metadata", meta))


@FUZZ
@given(st.binary(max_size=3000))
def test_the_codec_only_raises_decode_error(raw: bytes) -> None:
    try:
        value = loads(raw)
    except DecodeError:
        return
    assert isinstance(value, dict)
    assert loads(dumps(value)) == value


@FUZZ
@given(st.binary(max_size=200_000), st.lists(st.text(max_size=2000), max_size=60))
def test_a_dead_letter_is_valid_and_bounded_whatever_it_carries(
    raw: bytes, messages: list[str]
) -> None:
    errors = [SchemaError("$." + m[:10], m) for m in messages]
    dl = dead_letter(
        stage="normalize", reason="x", errors=errors, source=POS, original=raw, key=raw[:50]
    )
    assert not validate("deadletter", dl)
    assert len(dumps(dl)) < 20_000


@FUZZ
@given(st.sampled_from(["event_id", "text", "sent_at", "locale", "metadata", "x"]), values)
def test_the_fast_schema_check_never_passes_what_python_rejects(field: str, value: Any) -> None:
    """validate() trusts jsonschema-rs when it says valid: it must never pass a record the
    Python validator (the contract's reference) rejects."""
    from services.core.schemas import fast_valid, validator

    event = make_event("chat", 1, "hello", random.Random(0))
    event[field] = value
    python_ok = not any(True for _ in validator("chat").iter_errors(event))
    assert python_ok or not fast_valid("chat", event)
