"""A configuration error in one line that names the variable to change.

pydantic's own text is several lines with a documentation URL ("1 validation error for
GateSettings / EDDY_GATE_TOLERANCE / Input should be a valid number ... For further
information visit https://..."), and pydantic-settings names a JSON setting by its field
("error parsing value for field "labels" ..."), not by the variable a user set."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import ValidationError

_FIELD = re.compile(r'field "([^"]+)"')
# A value that may hold a credential is never echoed (a URL can carry a password).
_HIDDEN = re.compile(r"URL|TOKEN|SECRET|PASSWORD|KEY|API_KEY|CREDENTIAL")


def _shown(var: str, value: object) -> str:
    return "=<hidden>" if _HIDDEN.search(var) else f"={value!r}"


def describe(exc: ValueError, aliases: Mapping[str, str], environ: Mapping[str, str]) -> str:
    """``exc`` from building the settings, as ``EDDY_X='value': what is wrong``.

    ``aliases`` maps every field name (and every variable) to its variable; ``environ`` is
    where the value came from."""
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors(include_url=False):
            loc = str(err["loc"][-1]) if err["loc"] else ""
            var = aliases.get(loc, loc)
            msg = str(err["msg"])
            msg = msg[:1].lower() + msg[1:]
            parts.append(f"{var}{_shown(var, err.get('input'))}: {msg}")
        return "; ".join(parts)
    match = _FIELD.search(str(exc))
    if match and match.group(1) in aliases:
        var = aliases[match.group(1)]
        got = environ.get(var, "")
        return (
            f"{var}{_shown(var, got)}: not valid JSON (list and map settings are JSON: "
            """'["neg", "pos"]', '{"chat": 0.5}')"""
        )
    return str(exc)
