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
# A value that may hold a credential is never echoed (a URL or an endpoint can carry a
# password, a bootstrap list a SASL user).
_HIDDEN = re.compile(r"URL|TOKEN|SECRET|PASSWORD|KEY|CREDENTIAL|ENDPOINT|STORE|BOOTSTRAP")


def _shown(var: str, value: object) -> str:
    return "=<hidden>" if _HIDDEN.search(var) else f"={value!r}"


def _message(msg: str) -> str:
    # A validator's own ValueError reads "Value error, <our text>": keep our text.
    msg = msg.removeprefix("Value error, ")
    # "Input should be ..." reads on after the variable in lower case; "EDDY_X ..." keeps its.
    return msg[:1].lower() + msg[1:] if msg[1:2].islower() else msg


def _lookup(environ: Mapping[str, str], var: str) -> str:
    # pydantic-settings matches names case-insensitively, so a user may have set it lower-case.
    for key, value in environ.items():
        if key.upper() == var:
            return value
    return ""


def describe(exc: ValueError, aliases: Mapping[str, str], environ: Mapping[str, str]) -> str:
    """``exc`` from building the settings, as ``EDDY_X='value': what is wrong``.

    ``aliases`` maps the failing group's field names (and every variable) to variables;
    ``environ`` is where the value came from."""
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors(include_url=False):
            msg = _message(str(err["msg"]))
            if not err["loc"]:  # the group's own check: its message names the variable
                parts.append(msg)
                continue
            var = aliases.get(str(err["loc"][0]), str(err["loc"][0]))
            # An entry of a list or map setting: EDDY_ROUTING_THRESHOLDS[chat].
            where = var + "".join(f"[{p}]" for p in err["loc"][1:])
            parts.append(f"{where}{_shown(var, err.get('input'))}: {msg}")
        return "; ".join(parts)
    match = _FIELD.search(str(exc))
    if match and match.group(1) in aliases:
        var = aliases[match.group(1)]
        got = _lookup(environ, var)
        return (
            f"{var}{_shown(var, got)}: not valid JSON (list and map settings are JSON: "
            """'["neg", "pos"]', '{"chat": 0.5}')"""
        )
    return str(exc)
