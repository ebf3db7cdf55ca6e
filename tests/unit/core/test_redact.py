import pytest

from services.core.redact import redact


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
