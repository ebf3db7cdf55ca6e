"""Near-duplicate cases in the review queue: "my flight is late!!" forty times costs one
human answer, not forty. Pure logic: a fingerprint of the text with what rarely changes its
meaning taken out (case, @handles, links, digits, punctuation, repeated letters), and an
exact fingerprint for the label propagation, which only ever copies a label to a text that
matches the labelled one exactly."""

from __future__ import annotations

import hashlib
import re

from services.labels.records import exact_fingerprint

__all__ = ["exact_fingerprint", "near_fingerprint", "normalised"]

_LINK = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")
_NOT_WORD = re.compile(r"[\W\d_]+")
_REPEAT = re.compile(r"(\w)\1{2,}")


def normalised(text: str) -> str:
    t = _HANDLE.sub(" ", _LINK.sub(" ", text.lower()))
    t = _REPEAT.sub(r"\1\1", t)
    return " ".join(_NOT_WORD.sub(" ", t).split())


def near_fingerprint(text: str) -> str | None:
    """None when nothing is left to compare (an emoji-only text is not everyone's duplicate)."""
    n = normalised(text)
    return hashlib.sha256(n.encode()).hexdigest()[:20] if n else None
