import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.redact import id_kinds, redact


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("mail me at jane.doe+x@example.co.uk please", "mail me at [EMAIL] please", "email"),
        ("call +1 415 555 0132 now", "call [PHONE] now", "phone"),
        ("call (415) 555-0132", "call [PHONE]", "phone"),
        ("card 4111 1111 1111 1111 was charged", "card [CARD] was charged", "card"),
        ("card 4111-1111-1111-1111", "card [CARD]", "card"),
        ("IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN [ACCOUNT] ok", "account"),
        ("member number 12345678901", "member number [ACCOUNT]", "account"),
    ],
)
def test_redacts(text: str, expected: str, kind: str) -> None:
    r = redact(text)
    assert r.text == expected
    assert r.counts == {kind: 1}


@pytest.mark.parametrize(
    "text",
    [
        "flight 1234 at 10:30 on 2026-11-01 cost $250",
        "@united thanks for nothing",
        "gate B12, seat 14C",
    ],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    r = redact(text)
    assert r.text == text
    assert r.counts == {}


def test_non_luhn_long_number_is_still_an_account() -> None:
    r = redact("ref 4111 1111 1111 1112")
    assert "4111" not in r.text


def test_multiple_kinds_counted() -> None:
    r = redact("a@b.io or c@d.io, phone 020 7946 0958")
    assert r.counts == {"email": 2, "phone": 1}


ID_CASES = [
    "cust-198",
    "10.0.0.1",
    "user-192.168.1.20",
    "fe80::1",
    "2001:db8::ff00:42:8329",
    "10:30:45",
    "a:b:c",
    "jane@example.com",
    "x-jane@example.com-10.0.0.1",
    "256.1.1.1",
    "1.2.3.4.5",
    "acct:4111111111111111",
    "DE89370400440532013000",
]


def _kinds_by_redact(text: str) -> set[str]:
    return {k for k in redact(text).counts if k in ("email", "ip")}


@pytest.mark.parametrize("text", ID_CASES)
def test_id_kinds_is_what_redact_counts_for_email_and_ip(text: str) -> None:
    assert id_kinds(text) == _kinds_by_redact(text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789abcdefABCDEF.:-_/@x ", max_size=40))
def test_id_kinds_agrees_with_redact_on_id_like_strings(text: str) -> None:
    assert id_kinds(text) == _kinds_by_redact(text)
