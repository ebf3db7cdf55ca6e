import hashlib
import json
import random

from services.core.records import SourcePosition
from services.core.schemas import validate
from services.demo.simulator import make_event, malform
from services.ingest.normalize import Normalized, Rejected, normalize

POS = SourcePosition("channel.chat.v1", 2, 17, 1_700_000_000_000)


def _norm(channel: str, event: dict[str, object]) -> Normalized | Rejected:
    return normalize(channel, json.dumps(event).encode(), b"k", POS, now="2026-11-01T00:00:01Z")


def test_chat_maps_to_canonical_and_redacts() -> None:
    event = make_event("chat", 1, "email me: a@b.io, card 4111 1111 1111 1111", random.Random(0))
    event["metadata"] = {"note": "call 020 7946 0958"}
    out = _norm("chat", event)
    assert isinstance(out, Normalized)
    rec = out.interaction
    assert rec["text"] == "email me: [EMAIL], card [CARD]"
    assert rec["metadata"]["note"] == "call [PHONE]"
    assert rec["redactions"] == {"email": 1, "card": 1, "phone": 1}
    assert rec["key"] == event["conversation_id"]
    assert rec["source"] == {
        "topic": "channel.chat.v1",
        "partition": 2,
        "offset": 17,
        "timestamp_ms": 1_700_000_000_000,
    }
    assert rec["metadata"]["author_role"] == "customer"


def test_crm_subject_is_part_of_text_and_key_is_account() -> None:
    event = make_event("crm", 2, "the body", random.Random(0))
    out = _norm("crm", event)
    assert isinstance(out, Normalized)
    assert out.interaction["text"] == "Customer feedback\nthe body"
    assert out.interaction["key"] == event["account_id"]
    assert out.interaction["metadata"]["case_id"] == event["case_id"]


def test_a_name_in_metadata_is_redacted_by_its_key_or_by_the_text() -> None:
    """Seen in Label Studio: "profile_name: Alex Jones" and "agent_note: caller Hannah
    Schmidt" beside a text whose cue had given the name away."""
    event = make_event("chat", 3, "my name is Hannah Schmidt, where is my bag", random.Random(0))
    event["metadata"] = {
        "profile_name": "Alex Jones",
        "firstName": "Alex",
        "campaign_name": "Spring Sale",
        "agent_note": "caller Hannah Schmidt, rang twice; Schmidt wants a refund",
    }
    out = _norm("chat", event)
    assert isinstance(out, Normalized)
    m = out.interaction["metadata"]
    assert m["profile_name"] == "[NAME]" and m["firstName"] == "[NAME]"
    assert m["campaign_name"] == "Spring Sale"
    assert m["agent_note"] == "caller [NAME], rang twice; [NAME] wants a refund"
    assert out.interaction["redactions"] == {"name": 5}


def test_a_person_field_names_them_in_the_text_too_and_keys_stay_keys() -> None:
    event = make_event(
        "chat", 4, "Alex Jones here, my bag is lost. Regards, United", random.Random(0)
    )
    event["metadata"] = {"passenger_name": "Alex Jones", "United": "yes"}
    out = _norm("chat", event)
    assert isinstance(out, Normalized)
    assert out.interaction["text"] == "[NAME] here, my bag is lost. Regards, [NAME]"
    assert out.interaction["metadata"] == {
        **out.interaction["metadata"],
        "passenger_name": "[NAME]",
        "United": "yes",
    }


def test_ads_key_is_author() -> None:
    event = make_event("ads", 3, "nice ad", random.Random(0))
    out = _norm("ads", event)
    assert isinstance(out, Normalized)
    assert out.interaction["key"] == event["author_id"]
    assert out.interaction["metadata"]["platform"] == event["platform"]


def test_free_form_metadata_never_replaces_a_validated_field() -> None:
    # metadata.kind "lead_form" on a comment replaced its kind, past the enum and the rule
    # that a lead form needs a form_id; metadata.case_id replaced a CRM case id.
    ad = make_event("ads", 4, "nice ad", random.Random(0))
    ad["metadata"] = {"kind": "lead_form", "campaign_tag": "x"}
    crm = make_event("crm", 5, "the body", random.Random(0))
    crm["metadata"] = {"case_id": "other-case", "priority": "low"}
    for channel, event, field in (("ads", ad, "kind"), ("crm", crm, "case_id")):
        out = _norm(channel, event)
        assert isinstance(out, Normalized)
        meta = out.interaction["metadata"]
        assert meta[field] == event[field], "the validated field stays"
        assert meta[f"metadata.{field}"] == event["metadata"][field], "the producer's is kept"
    assert _norm("ads", ad).interaction["metadata"]["campaign_tag"] == "x"  # type: ignore[union-attr]


def test_every_malformed_variant_is_dead_lettered_with_reason_and_bytes() -> None:
    rng = random.Random(1)
    reasons = set()
    for kind in range(7):
        for channel in ("chat", "crm", "ads"):
            raw = malform(channel, make_event(channel, kind, "x", rng), kind)
            out = normalize(channel, raw, None, POS)
            assert isinstance(out, Rejected), (channel, kind)
            dl = out.dead_letter
            assert dl["stage"] == "normalize" and dl["errors"]
            assert dl["original"]["sha256"] == hashlib.sha256(raw).hexdigest()
            assert dl["original"]["bytes"] == len(raw) and not validate("deadletter", dl)
            assert dl["source"] == {"topic": POS.topic, "partition": 2, "offset": 17}
            reasons.add(dl["reason"])
    assert reasons == {"invalid_json", "schema_violation"}


def test_unknown_topic_and_empty_value() -> None:
    out = normalize(None, b"{}", None, POS)
    assert isinstance(out, Rejected) and out.dead_letter["reason"] == "unknown_channel"
    out = normalize("chat", None, None, POS)
    assert isinstance(out, Rejected) and out.dead_letter["reason"] == "invalid_json"


def test_pii_in_ids_numeric_metadata_and_keys() -> None:
    event = make_event("chat", 9, "hello", random.Random(0))
    out = normalize("chat", json.dumps({**event, "customer_id": "10.1.2.3"}).encode(),
                    None, POS)  # fmt: skip
    assert isinstance(out, Rejected) and out.dead_letter["reason"] == "pii_in_id"
    assert "10.1.2.3" not in json.dumps(out.dead_letter["errors"])
    assert [e["path"] for e in out.dead_letter["errors"]] == ["$.customer_id"]
    # A dashed SSN or an IBAN (a security reviewer's trial: they became Kafka keys and Redis
    # keys); a plain digit run or an id with dashes that only looks like one stays allowed.
    for field, value, kind in (
        ("customer_id", "123-45-6789", "ssn"),
        ("conversation_id", "DE89370400440532013000", "account"),
    ):
        out = normalize("chat", json.dumps({**event, field: value}).encode(), None, POS)
        assert isinstance(out, Rejected) and out.dead_letter["reason"] == "pii_in_id"
        assert out.dead_letter["errors"] == [
            {"path": f"$.{field}", "message": f"holds {kind}: use an opaque id"}
        ]
    for value in ("cust-123-45-6789", "4111111111111111", "ord-2026-11-30-0001"):
        ok_id = normalize("chat", json.dumps({**event, "customer_id": value}).encode(), None, POS)
        assert isinstance(ok_id, Normalized), value
    timestamped = {**event, "event_id": "demo20261130-212528-19b9-chat-0"}  # Luhn-valid digits
    assert isinstance(normalize("chat", json.dumps(timestamped).encode(), None, POS), Normalized)
    meta = {"phone": 447911123456, "4111111111111111": "x", "seats": 2, "vip": True}
    ok = normalize("chat", json.dumps({**event, "metadata": meta}).encode(), None, POS)
    assert isinstance(ok, Normalized)
    m = ok.interaction["metadata"]
    assert m["phone"] == "[ACCOUNT]" and "[CARD]" in m and m["seats"] == 2 and m["vip"] is True


def test_an_implausible_time_names_the_channels_own_field() -> None:
    # It named $.occurred_at, a canonical field no producer sends.
    for channel, field in (("chat", "sent_at"), ("crm", "created_at"), ("ads", "created_at")):
        event = {**make_event(channel, 3, "hello", random.Random(0)), field: "2099-01-01T00:00:00Z"}
        out = normalize(channel, json.dumps(event).encode(), None, POS)
        assert isinstance(out, Rejected) and out.dead_letter["reason"] == "implausible_timestamp"
        assert [e["path"] for e in out.dead_letter["errors"]] == [f"$.{field}"]


def test_a_dead_letter_names_the_event_when_its_id_is_safe_to_carry() -> None:
    # An integrator had no way to find their event's dead letter but the redacted excerpt.
    event = make_event("chat", 4, "hello", random.Random(0))
    bad = {**event, "author_role": "martian"}
    out = normalize("chat", json.dumps(bad).encode(), None, POS)
    assert isinstance(out, Rejected) and out.dead_letter["event_id"] == event["event_id"]
    assert not validate("deadletter", out.dead_letter)
    for unsafe in ("10.1.2.3", "has space", 7):
        out = normalize("chat", json.dumps({**bad, "event_id": unsafe}).encode(), None, POS)
        assert isinstance(out, Rejected) and out.dead_letter["event_id"] is None, unsafe
    out = normalize("chat", b"[1, 2]", None, POS)
    assert isinstance(out, Rejected) and out.dead_letter["event_id"] is None


def test_every_refusal_of_an_event_at_once_and_every_id_checked() -> None:
    event = {
        **make_event("ads", 5, "hello", random.Random(0)),
        "created_at": "2099-01-01T00:00:00Z",
        "campaign_id": "10.1.2.3",
    }
    out = normalize("ads", json.dumps(event).encode(), None, POS)
    assert isinstance(out, Rejected) and out.dead_letter["reason"] == "implausible_timestamp"
    assert [e["path"] for e in out.dead_letter["errors"]] == ["$.created_at", "$.campaign_id"]


def test_a_space_between_date_and_time_is_written_as_t() -> None:
    # Accepted (RFC 3339 allows it), but a record carrying it failed JSON Schema's strict
    # date-time format in a consumer that checks formats.
    from jsonschema import Draft202012Validator

    strict = Draft202012Validator.FORMAT_CHECKER
    for sent in ("2026-10-31 23:59:00Z", "2026-10-31t23:59:00+01:00", "2026-10-31T23:59:00Z"):
        event = {**make_event("chat", 4, "hello", random.Random(0)), "sent_at": sent}
        out = _norm("chat", event)
        assert isinstance(out, Normalized), out
        at = out.interaction["occurred_at"]
        assert at == sent[:10] + "T" + sent[11:] and strict.conforms(at, "date-time"), at


def test_the_digest_is_what_the_event_says_not_how_it_travelled() -> None:
    event = make_event("chat", 5, "where is my bag", random.Random(0))
    first = normalize("chat", json.dumps(event).encode(), b"k", POS, now="2026-11-01T00:00:01Z")
    later = SourcePosition("channel.chat.v1", 0, 99, 1_700_000_009_000)
    retry = normalize("chat", json.dumps(event).encode(), b"k", later, now="2026-11-01T00:05:00Z")
    edited = _norm("chat", {**event, "text": "where is my other bag"})
    assert isinstance(first, Normalized) and isinstance(retry, Normalized)
    assert isinstance(edited, Normalized)
    assert first.digest() == retry.digest() != edited.digest()
