"""Recognisers for the personal data that needs context or validation (Presidio-style: a
pattern proposes, a check or a nearby word confirms). Pure logic; ``redact`` applies them.

Names have no pattern of their own: without an NER model, names that follow a cue ("my name
is", a title, a sign-off) are found here, and known first names and surnames without one in
services.core.names. Every pattern is anchored at a run's start or on a fixed word, so the
work stays linear in the input.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from services.core.names import CALENDAR, redact_known

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
    spelled: bool = True  # "dot" and "at": an email spelled out may be there
    credential: bool = True  # a credential's name may be there

    @staticmethod
    def of(text: str) -> Shape:
        at = "@" in text or "\uff20" in text or "\ufe6b" in text
        # Substring tests on the lowered text cost a tenth of what the two patterns' scans
        # do (they made redaction 45% slower over the airline tweets).
        # As (?i) matches: the long s (U+017F) is an "s" to it, the Kelvin sign a "k", and
        # both Turkish i (U+0130, U+0131) are an "i" (casefold makes the dotted one "i" and
        # a combining dot).
        low = text.casefold().replace("\u0131", "i").replace("i\u0307", "i")
        spelled = "dot" in low and "at" in low
        credential = any(w in low for w in ("pass", "pwd", "pin", "login", "user"))
        return Shape(
            len(_DIGIT.findall(text)), text.count("."), text.count(":"), at, spelled, credential
        )


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
# A US ZIP code after "City, ST" ("Washington, DC 20500"): only after a comma and a state's
# code, so "OK 20000 miles" and flight numbers stay.
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|"
    "NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR"
)
ZIP = re.compile(
    rf"(,\s?(?:{_STATES})\s)(\d{{5}}(?:-\d{{4}})?)(?=\s*+(?:$|[,.;:)!?\n]))"
)  # ending the address ("NY 10154, ask ..."): not "Sorry, OK 20000 miles"
# An email spelled out against scrapers: "jane dot doe at example dot com", "j.doe85 at mail
# dot com", "jdoe [at] mail [dot] com". Its local part is two words joined by "dot", or holds
# a dot, an underscore or a digit, or the "at" is bracketed: "booked at delta dot com" stays.
# It ends in a common top-level domain. Every run is read possessively from its start (the
# lookbehind), so the work stays linear: a match starting inside "a-a-a-..." was quadratic.
_TLD = r"(?:com|net|org|edu|gov|io|co|uk|us|ca|au|de|fr|es|it|nl|in|info|biz|me)"
_AT, _DOT = r"(?:at|\(at\)|\[at\])", r"(?:dot|\(dot\)|\[dot\])"
SPELLED_EMAIL = re.compile(
    r"(?i)(?<![\w.%+-])"
    rf"(?:[\w%+-]++\s++{_DOT}\s++[\w.%+-]++\s++{_AT}"
    rf"|(?=[\w.%+-]*[._\d])[\w.%+-]++\s++{_AT}"
    r"|[\w.%+-]++\s++(?:\(at\)|\[at\]))"
    rf"\s++[\w-]++(?:\s+{_DOT}\s+[\w-]+){{0,2}}\s+{_DOT}\s+{_TLD}\b"
)
# A credential given away after its name: "password hunter2", "pin: 4321", "login jdoe1985":
# a word with a digit or a symbol, after the name, "is", ":" or "=" ("my password is wrong",
# "password reset", "Login: fails" stay; so does "password: sunshine", the price).
_CRED_WORD = (
    r"(?:password|passwd|pwd|passcode|pin(?:\s+code)?|login|username|user\s?name|user\s?id)"
)
CREDENTIAL = re.compile(
    rf"(?i)(\b{_CRED_WORD}(?:\s*+[:=]\s*+|\s++is\s++|\s++))"
    r"((?=[^\s,;]*\d|[^\s,;]*[_#$%&*@^~])[^\s,;]{4,})"
)
# One name word: "Anne-Marie", "O'Neil", "McDonald", "Pemberton-Smythe" (a hyphen or an
# apostrophe inside a name ended the match, and a sign-off's "Jonathan Pemberton-Smythe" was
# left whole). Not any CamelCase word: "thanks JetBlue" signs off with a brand. Each piece
# starts after a fixed separator, so matching stays linear.
_UP, _LOW = (
    "A-Z\u00c0-\u00d6\u00d8-\u00de",
    "a-z\u00df-\u00f6\u00f8-\u00ff",
)  # Latin-1: "José García"
_WORD = (
    rf"(?:Mc|Mac|[{_UP}]['\u2019])?[{_UP}][{_LOW}]+"
    rf"(?:-[{_UP}]?[{_LOW}]+|['\u2019][{_UP}][{_LOW}]+)*"
)
# Up to three words on one line: a name never runs into the next line (a CRM subject's
# "Ms. Eleanor Rigby" took the body's first word and left "Rigby"). "Smith--you" ends it.
_NAME = rf"{_WORD}(?:[ \t]+{_WORD}){{0,2}}(?!\w|-\w)"
_TITLES = "Mr|Mrs|Ms|Miss|Dr|Prof"
# Possessive whitespace (\s++): a cue followed by a long run of spaces and no name was
# rescanned three ways (quadratic: 1,600 spaces took 106 s).
NAME = re.compile(
    rf"((?i:\bmy\s++name\s++is|\bmy\s++name['\u2019]s|\bname\s*+:|\bthis\s++is|\bsigned|\bcontact\s++person\s*+:?)\s++"
    rf"|\b(?:{_TITLES})\.?\s++)({_NAME})"
)
SIGNOFF = re.compile(
    rf"((?i:\b(?:regards|thanks|thank\s++you|cheers|sincerely|best)),?\s*+(?:-\s*+)?)({_NAME})\s*+$"
)
_TITLE = re.compile(rf"(?:{_TITLES})\b")
_WEAK = re.compile(r"(?i)this\s")


def keep_cue(kind: str, count: Callable[[str], None]) -> Sub:
    """Replace group 2 by the placeholder, keep the cue in group 1."""

    def repl(m: re.Match[str]) -> str:
        count(kind)
        return f"{m.group(1)}[{kind.upper()}]"

    return repl


def name_cue(count: Callable[[str], None], found: list[str]) -> Sub:
    """``keep_cue`` for names, collecting in ``found`` the ones sure enough to look for
    elsewhere: after a title ("Ms. Rigby"), or two words or more after another cue. Never
    after "this is" ("this is Will", "this is Flight 123": too often not a name)."""

    def repl(m: re.Match[str]) -> str:
        count("name")
        cue, name = m.group(1), m.group(2)
        if not _WEAK.match(cue) and (_TITLE.match(cue) or len(name.split()) > 1):
            found.append(name)
        return f"{cue}[NAME]"

    return repl


# A person-name field of free-form metadata: "name", "customer_name", "passenger_name",
# "firstName", "username", "surname", "name_first", "agent_name_2" (not "campaign_name").
_PERSON = (
    r"first|last|full|given|family|middle|sur|display|profile|customer|contact|user|screen|"
    r"author|sender|caller|client|person|nick|real|maiden|passenger|agent|guest|recipient|"
    r"cardholder|holder|requester|billing|traveler|traveller|employee|member|patient|owner"
)
NAME_KEY = re.compile(
    rf"(?i)^(?:(?:.*[_.-])?(?:{_PERSON})[_.-]?)?name(?:[_.-]?(?:first|last|full|\d+))?$"
)


def name_words(names: list[str]) -> frozenset[str]:
    """Every word of names a cue found, for their other mentions in the same event ("my name
    is Eleanor Rigby ... Rigby, 12 Penny Lane"): one mention with a cue gives the rest away."""
    words = (w for n in names for w in re.split(r"[ \t]+", n.strip()))
    # A month or a weekday never: "Regards, May Lee ... we flew in May".
    return frozenset(w for w in words if len(w) > 1 and w not in CALENDAR)


# A capitalised word where a name could stand: not inside a word, a handle or a hashtag
# ("@Rigby" names an account, not the person here).
_CANDIDATE = re.compile(rf"(?<![\w'\u2019@#-]){_WORD}")
_JOINED = re.compile(r"\w|-\w")  # the word goes on: "Rigby2", "Rigby-Smith"


def forget(text: str, names: frozenset[str], count: Callable[[str], None]) -> str:
    """``text`` with every mention of a word in ``names`` replaced by [NAME], a run of them
    ("Eleanor Rigby") by one. A set lookup per capitalised word, not one pattern of every
    name: that was quadratic in the number of names a long text gave away."""
    if not names:
        return text
    out: list[str] = []
    at = 0  # end of what is copied so far: the last word replaced, once there is one
    for m in _CANDIDATE.finditer(text):
        end = m.end()
        if m.group(0) not in names or _JOINED.match(text, end):
            continue
        gap = text[at : m.start()]
        # Only blanks since the last word replaced: the same name, its [NAME] stands for both.
        if not (out and gap and not gap.strip(" \t")):
            out += [gap, "[NAME]"]
            count("name")
        at = end
    out.append(text[at:])
    return "".join(out)


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


def apply(
    text: str,
    count: Callable[[str], None],
    shape: Shape | None = None,
    names: list[str] | None = None,
) -> str:
    """The context recognisers, in an order where the specific go before the general. With
    ``shape`` (the original text's), a recogniser that needs more digits, dots or colons than
    the text holds is skipped: it could not match. The names a cue found are collected in
    ``names`` and their other mentions replaced too."""
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
        out = ZIP.sub(keep_cue("postcode", count), out)
    if sh.credential:
        out = CREDENTIAL.sub(keep_cue("secret", count), out)
    found = names if names is not None else []
    out = NAME.sub(name_cue(count, found), out)
    out = SIGNOFF.sub(name_cue(count, found), out)
    out = redact_known(out, count, found)  # no cue: a known first name and surname
    return forget(out, name_words(found), count)
