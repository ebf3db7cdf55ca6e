"""Redact personal data from free text before anything else sees it.

Pure logic. Placeholders keep the sentence shape so the model still reads it naturally.
Order matters: emails and card numbers are matched before phone/account numbers because
their digit runs would otherwise be eaten by the broader patterns.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from services.core import pii

# The lookbehind makes a match start only where a run of address characters starts: without it
# a long run with no "@" was rescanned from every position (quadratic: 250 KB took 105 s).
# Full-width and small "@" too (U+FF20, U+FE6B): an address written with one passed whole.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+[@\uff20\ufe6b][A-Za-z0-9.-]+\.[A-Za-z]{2,}"
)
# Written in capitals as banks print it (groups apart by spaces or underscores), any such run
# is taken; in lower or mixed case ("gb82 west 1234 ..."), only one of its country's length,
# with 10 digits or more, whose check digits hold (ISO 13616, mod 97): "flight aa63 this
# time they ..." has the shape, and one such run in 97 passes the checksum alone.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ _]?[A-Z0-9]{4}){2,7}(?:[ _]?[A-Z0-9]{1,4})?\b")
_IBAN_ANY_CASE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ _-]?[A-Za-z0-9]{4}){2,7}(?:[ _-]?[A-Za-z0-9]{1,4})?"
    r"(?![A-Za-z0-9])"
)
# 13-19 digits, optionally grouped by spaces or dashes: card candidates, confirmed by Luhn.
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
# Groups of digits after an optional +country code and (area) code: "+33 1 23 45 67 89",
# "07911 123456", "+91 98765 43210", "+49 30 1234567" (a subscriber number of 7-8 digits
# after an area code, as German and Austrian numbers are written; never after a dot: "1.2345678"
# is a number); fewer than 7 digits in all is not a phone (see below).
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,5}(?:[ .-]\d{1,6}|[ -]\d{7,8}){1,5}"
    r"(?![\w])"
    r"|(?<![\w+])\+\d{8,15}(?!\w)"
)
# A US social security number as people write it: 3-2-4 digits, one separator throughout
# ("123-45-6789"). Matched before phone numbers, whose pattern would take it as [PHONE].
# An underscore may touch it ("ssn_123-45-6789"), and the dashes may be typographic ones.
_SSN = re.compile(
    r"(?<![A-Za-z0-9+\-\u2013\u2014])(?<!\d\.)\d{3}([- \u2013\u2014])\d{2}\1\d{4}"
    r"(?![A-Za-z0-9\-\u2013\u2014]|\.\d)"
)
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
# Long digit runs (account, member, booking numbers given as digits).
_ACCOUNT = re.compile(r"(?<![\w])\d{8,}(?![\w])")


@dataclass(frozen=True)
class Redacted:
    text: str
    counts: dict[str, int] = field(default_factory=dict)
    names: tuple[str, ...] = ()  # the names a cue found (to find them in the event's metadata)


# IBAN lengths by country (ISO 13616 registry). An id is refused as an IBAN only at its
# country's exact length: by shape and check digits alone, about one random UUID in 1,800
# would be (two hex letters, two digits, then groups of four pass 1 in 97 checksums).
_IBAN_TABLE = (
    "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 "
    "EE20 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IS26 IT27 "
    "JO30 KW30 KZ20 LB28 LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 "
    "PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SE24 SI19 SK24 SM27 TN24 TR26 UA29 VG24 XK20"
)
_IBAN_LENGTHS = {e[:2]: int(e[2:]) for e in _IBAN_TABLE.split()}
_IBAN_ID = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}[A-Z0-9]{11,30}(?![A-Za-z0-9])")


def _iban_ok(text: str) -> bool:
    """Its country's length, 10 digits or more, and check digits that hold."""
    compact = re.sub(r"[ _-]", "", text)
    if _IBAN_LENGTHS.get(compact[:2].upper()) != len(compact):
        return False
    if sum(c.isdigit() for c in compact) < 10:
        return False
    moved = (compact[4:] + compact[:4]).upper()
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def redact(text: str, shape: pii.Shape | None = None) -> Redacted:
    """``shape`` is for tests: ``pii.EVERYTHING`` runs every recogniser, where by default
    those the text cannot satisfy (too few digits for a card, no "@" for an email) are
    skipped; both give the same result."""
    counts: Counter[str] = Counter()
    sh = shape or pii.Shape.of(text)

    def sub(pattern: re.Pattern[str], kind: str, s: str) -> str:
        def repl(m: re.Match[str]) -> str:
            counts[kind] += 1
            return f"[{kind.upper()}]"

        return pattern.sub(repl, s)

    out = sub(_EMAIL, "email", text) if sh.at else text
    if sh.spelled:
        out = sub(pii.SPELLED_EMAIL, "email", out)

    def iban_repl(m: re.Match[str]) -> str:
        if not _iban_ok(m.group(0)):
            return m.group(0)
        counts["account"] += 1
        return "[ACCOUNT]"

    if sh.digits >= 2:
        out = sub(_IBAN, "account", out)
    if sh.digits >= 10:  # what _iban_ok asks of a match
        out = _IBAN_ANY_CASE.sub(iban_repl, out)
    names: list[str] = []
    out = pii.apply(out, lambda kind: counts.update([kind]), sh, names)

    def card_repl(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            counts["card"] += 1
            return "[CARD]"
        return m.group(0)

    def phone_repl(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        # Short groups like times (10:30), prices and years are not phone numbers.
        if len(digits) < 7 or _DATE.fullmatch(m.group(0).strip()):
            return m.group(0)
        counts["phone"] += 1
        return "[PHONE]"

    # The digit counts below are the least each kind can replace: a card has 13, an SSN 9,
    # a phone number 7 (fewer are left alone above), an account number 8.
    if sh.digits >= 13:
        out = _CARD.sub(card_repl, out)
    if sh.digits >= 9:
        out = sub(_SSN, "ssn", out)
    if sh.digits >= 7:
        out = _PHONE.sub(phone_repl, out)
    if sh.digits >= 8:
        out = sub(_ACCOUNT, "account", out)
    return Redacted(out, dict(counts), tuple(names))


def id_kinds(text: str) -> set[str]:
    """What makes an id personal data: "email" and "ip" as ``redact(text)`` would count them
    (the same order and checks), a dashed US social security number ("ssn") and an IBAN
    whose check digits hold ("account"). A few patterns instead of every recogniser:
    normalize checks four ids an event, and this was a tenth of its CPU. Digit runs stay
    allowed, even Luhn-valid ones (see services.ingest.plausible)."""
    found: set[str] = set()
    if ("-" in text or "\u2013" in text) and any(m.group(1) != " " for m in _SSN.finditer(text)):
        found.add("ssn")
    if any(_iban_ok(m.group(0)) for m in _IBAN_ID.finditer(text)):
        found.add("account")
    if _EMAIL.search(text):
        found.add("email")
        text = _EMAIL.sub("[EMAIL]", text)
    count = found.add
    out = pii.IPV4.sub(pii.whole("ip", "[IP]", count), text)
    pii.IPV6.sub(pii.ipv6(count), out)
    return found
