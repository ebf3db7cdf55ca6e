"""Recognisers for the personal data that needs context or validation (Presidio-style: a
pattern proposes, a check or a nearby word confirms). Pure logic; ``redact`` applies them.

Names have no pattern of their own: without an NER model only names that follow a cue ("my
name is", a title, a sign-off) are found. Every pattern is anchored at a run's start or on a
fixed word, so the work stays linear in the input.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

Sub = Callable[[re.Match[str]], str]
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Shape:
    """What most recognisers need a text to hold: decimal digits (``\\d``, as the patterns
    count them), dots, colons, an "@". Skipping a recogniser the original text cannot satisfy
    changes nothing: earlier replacements only take these away (no placeholder holds one).
    About half of the airline tweets hold no digit; these counts cost a few of the scans saved."""

    digits: int
    dots: int
    colons: int
    at: bool

    @staticmethod
    def of(text: str) -> Shape:
        return Shape(len(_DIGIT.findall(text)), text.count("."), text.count(":"), "@" in text)


# Every recogniser runs: what the skipping is tested against.
EVERYTHING = Shape(digits=1 << 30, dots=1 << 30, colons=1 << 30, at=True)

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_ANY_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
DOB = re.compile(
    rf"(?i)(\b(?:born(?:\s+on)?|date\s+of\s+birth|d\.?o\.?b\.?|birthday(?:\s+is)?)\s*[:\-]?\s*)"
    rf"({_ANY_DATE})"
)
PASSPORT = re.compile(
    r"(?i)(\bpassport(?:\s+(?:no\.?|number|num|#))?\s*(?:is\s+)?[:\-#]?\s*)([A-Z0-9]{6,9})\b"
)
IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![\d.])"
)
# Candidates only; ipaddress decides (times such as 10:30:45 are not addresses).
IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_STREET = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Close|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Strasse|Straße|Rue)"
)
ADDRESS = re.compile(
    rf"(?<![\w])\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'.-]*\s+){{1,4}}{_STREET}\b\.?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|Flat)\.?\s*\w{1,6})?"
)
# Continental order: the street word first ("12 Rue de Rivoli", "3 Via Roma").
ADDRESS_EU = re.compile(
    r"(?<![\w])\d{1,5},?\s+(?:Rue|Via|Calle|Avenida|Rua|Piazza|Plaza)\s+(?:[a-z]{1,3}\s+){0,2}"
    r"[A-Z][\w'-]*"
)
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b")
_NAME = r"[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+){0,2}"
NAME = re.compile(
    rf"((?i:\bmy\s+name\s+is|\bname\s*:|\bthis\s+is|\bsigned|\bcontact\s+person\s*:?)\s+"
    rf"|\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+)({_NAME})"
)
SIGNOFF = re.compile(
    rf"((?i:\b(?:regards|thanks|thank\s+you|cheers|sincerely|best)),?\s*\n?\s*-?\s*)({_NAME})\s*$"
)


def keep_cue(kind: str, count: Callable[[str], None]) -> Sub:
    """Replace group 2 by the placeholder, keep the cue in group 1."""

    def repl(m: re.Match[str]) -> str:
        count(kind)
        return f"{m.group(1)}[{kind.upper()}]"

    return repl


def ipv6(count: Callable[[str], None]) -> Sub:
    def repl(m: re.Match[str]) -> str:
        try:
            ipaddress.IPv6Address(m.group(0))
        except ValueError:
            return m.group(0)
        count("ip")
        return "[IP]"

    return repl


def whole(kind: str, placeholder: str, count: Callable[[str], None]) -> Sub:
    """Replace the whole match."""

    def repl(_m: re.Match[str]) -> str:
        count(kind)
        return placeholder

    return repl


def apply(text: str, count: Callable[[str], None], shape: Shape | None = None) -> str:
    """The context recognisers, in an order where the specific go before the general. With
    ``shape`` (the original text's), a recogniser that needs more digits, dots or colons than
    the text holds is skipped: it could not match."""
    sh = shape or Shape.of(text)
    out = DOB.sub(keep_cue("dob", count), text) if sh.digits >= 4 else text
    out = PASSPORT.sub(keep_cue("passport", count), out)
    if sh.digits >= 4 and sh.dots >= 3:
        out = IPV4.sub(whole("ip", "[IP]", count), out)
    if sh.colons >= 2:
        out = IPV6.sub(ipv6(count), out)
    if sh.digits:
        out = ADDRESS.sub(whole("address", "[ADDRESS]", count), out)
        out = ADDRESS_EU.sub(whole("address", "[ADDRESS]", count), out)
        out = POSTCODE.sub(whole("address", "[POSTCODE]", count), out)
    out = NAME.sub(keep_cue("name", count), out)
    return SIGNOFF.sub(keep_cue("name", count), out)
