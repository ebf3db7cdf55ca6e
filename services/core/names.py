"""Names without a cue word, found by a list of known first and last names (pure logic).

A first name followed by a known surname ("Sarah Connor", "asked by John Smith"), and a
known first name after a greeting or a role ("Thanks David", "agent Miranda") or before a
self-introduction ("Sarah here"). The lists are Faker's person names for English, Spanish,
French, German, Italian and Portuguese locales (about 4,800 first names and 7,000 surnames):
on 14,425 airline tweets the pair rule fired on 40, every one a person but two (a beer, "Sam
Adams", and "Valentine Flowers"), so it costs the model nearly nothing. A lone capitalised
word is never taken on the list alone: "Charlotte", "Austin" and "Jackson" are also airports.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from functools import cache

LOCALES = ("en_US", "en_GB", "en_IE", "en_NZ", "en_IN", "es_ES", "es_MX", "fr_FR", "de_DE",
           "it_IT", "pt_BR")  # fmt: skip
# Never a name on a list's word alone: months and weekdays ("June", "April", "Monday").
_MONTHS = "January February March April May June July August September October November December"
CALENDAR = frozenset(
    f"{_MONTHS} Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(" ")
)
_CAP = r"[A-Z\u00c0-\u00d6\u00d8-\u00de][a-z\u00df-\u00f6\u00f8-\u00ff]+"
# A capitalised word where a name could stand: not inside a word, a handle or a hashtag.
_WORD = re.compile(rf"(?<![\w'\u2019@#-]){_CAP}(?![\w'\u2019-])")
_GREETING = re.compile(
    r"(?i:\b(?:hi|hello|hey|dear|thanks|thank\s++you|thx|agent|named|ask(?:ed)?\s++for))"
    rf"(?:[ \t]*+,)?[ \t]++({_CAP})(?![\w'\u2019-])"
)
_HERE = re.compile(rf"(?:^|[.!?,;:\n][ \t]*+)({_CAP})(?:[ \t]++({_CAP}))?[ \t]++here\b")


@cache
def known() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames), read once on first use (not at import)."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_female", "first_names_male"):
            first.update(getattr(provider, attr, ()))
        last.update(getattr(provider, "last_names", ()))
    return frozenset(first - CALENDAR), frozenset(last - CALENDAR)


def redact_known(text: str, count: Callable[[str], None], found: list[str]) -> str:
    """``text`` with known names replaced by [NAME]. A full name is collected in ``found``
    (its words are then looked for elsewhere in the event, as a name a cue gave away)."""
    first, last = known()
    out = _pairs(text, first, last, count, found)
    out = _HERE.sub(lambda m: _here(m, first, count), out)
    return _GREETING.sub(lambda m: _greeted(m, first, count), out)


def _pairs(
    text: str,
    first: frozenset[str],
    last: frozenset[str],
    count: Callable[[str], None],
    found: list[str],
) -> str:
    words = list(_WORD.finditer(text))
    out: list[str] = []
    at = i = 0
    while i + 1 < len(words):
        a, b = words[i], words[i + 1]
        gap = text[a.end() : b.start()]
        if a.group(0) in first and b.group(0) in last and gap and not gap.strip(" \t"):
            out += [text[at : a.start()], "[NAME]"]
            count("name")
            found.append(f"{a.group(0)} {b.group(0)}")
            at, i = b.end(), i + 2
        else:
            i += 1
    out.append(text[at:])
    return "".join(out)


def _here(m: re.Match[str], first: frozenset[str], count: Callable[[str], None]) -> str:
    if m.group(1) not in first:
        return m.group(0)
    count("name")
    start, end = m.start(1) - m.start(), (m.end(2) if m.group(2) else m.end(1)) - m.start()
    whole = m.group(0)
    return f"{whole[:start]}[NAME]{whole[end:]}"


def _greeted(m: re.Match[str], first: frozenset[str], count: Callable[[str], None]) -> str:
    if m.group(1) not in first:
        return m.group(0)
    count("name")
    whole = m.group(0)
    return f"{whole[: m.start(1) - m.start()]}[NAME]"
