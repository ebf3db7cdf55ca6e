"""Load the JSON Schemas in ``schemas/`` and validate records against them.

Errors come back as plain :class:`SchemaError` values (JSON path + reason) so callers can put
them in a dead letter or an HTTP 422 body. No customer text is copied into messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from services.core.redact import redact

SCHEMA_NAMES = (
    "chat",
    "crm",
    "ads",
    "interaction",
    "prediction",
    "review",
    "label",
    "model-event",
    "deadletter",
)
_MAX_ERRORS = 20


@dataclass(frozen=True)
class SchemaError:
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def schemas_dir() -> Path:
    """Where the schema files are: inside an installed wheel, else the repository's schemas/."""
    packaged = Path(str(resources.files("services"))) / "_schemas"
    if packaged.is_dir():
        return packaged
    repo = Path(__file__).resolve().parents[2] / "schemas"
    if repo.is_dir():
        return repo
    raise FileNotFoundError(f"no schemas directory (looked in {packaged} and {repo})")


_format_checker = FormatChecker()


@_format_checker.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    # RFC 3339 needs a time zone; fromisoformat accepts 'Z' on 3.11+.
    if not isinstance(value, str):
        return True
    if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}", value):
        raise ValueError("not an RFC 3339 date-time")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("date-time needs a time zone (e.g. Z or +01:00)")
    return True


# Keywords a `$ref`'s siblings may carry without changing what validates (annotations).
_ANNOTATIONS = frozenset({"description", "title", "examples", "$comment", "default"})
_DATA = frozenset({"const", "enum", "default", "examples"})


def inline_local_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each ``{"$ref": "#/$defs/X"}`` (annotations beside it allowed) replaced
    by a copy of ``$defs/X``: the same checks and error paths, without jsonschema resolving
    the reference for every field of every event (half of normalize's validation time).
    Other references, and ones with checks beside them, stay as they are."""
    defs = schema.get("$defs", {})

    def walk(node: Any, seen: tuple[str, ...], root: bool = False) -> Any:
        if isinstance(node, list):
            return [walk(v, seen) for v in node]
        if not isinstance(node, dict) or ("$id" in node and not root):
            return node  # a nested $id starts another document: its "#" is not ours
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = ref.removeprefix("#/$defs/")
            if target in defs and target not in seen and set(node) - {"$ref"} <= _ANNOTATIONS:
                return walk(defs[target], (*seen, target))
        # Values of const, enum, default and examples are data, not schemas.
        return {k: v if k in _DATA else walk(v, seen) for k, v in node.items()}

    out: dict[str, Any] = walk(schema, (), root=True)
    return out


@cache
def validator(name: str) -> Draft202012Validator:
    if name not in SCHEMA_NAMES:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(SCHEMA_NAMES)}")
    schema = json.loads((schemas_dir() / f"{name}.v1.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(inline_local_refs(schema), format_checker=_format_checker)


def _rs_datetime(value: str) -> bool:
    try:
        return bool(_is_datetime(value))
    except ValueError:
        return False


@cache
def _fast(name: str) -> jsonschema_rs.Validator:
    """The same schema compiled by jsonschema-rs (Rust), asked only "valid or not": about 30
    times faster than the Python validator on a valid event, which is nearly every event.
    Formats are checked by the same function as the Python validator's."""
    return jsonschema_rs.validator_for(
        validator(name).schema, validate_formats=True, formats={"date-time": _rs_datetime}
    )


def fast_valid(name: str, record: object) -> bool:
    """jsonschema-rs's verdict; False for a value it cannot convert (an object that is not
    JSON), which leaves the decision to the Python validator."""
    try:
        return bool(_fast(name).is_valid(record))
    except (ValueError, TypeError, OverflowError, RecursionError):
        return False


def _json_path(parts: Iterable[Any]) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")


def _describe(err: ValidationError) -> SchemaError:
    path = list(err.absolute_path)
    if err.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", err.message)
        if missing:
            return SchemaError(_json_path([*path, missing.group(1)]), "is required")
    if err.validator == "additionalProperties":
        # A name the sender made up is the sender's data ("jane@x.io" or "Kyle Reese" as a
        # key was echoed in the 422 and the dead letter): only plain, redaction-clean names
        # are named, ten at most; the rest are counted.
        declared = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        keys = err.instance if isinstance(err.instance, dict) else {}
        extra = [str(k) for k in keys if k not in declared]
        plain = [k for k in extra if _PLAIN_KEY.match(k) and redact(k).text == k][:10]
        more = len(extra) - len(plain)
        named = ", ".join(plain) + (f"{' and ' if plain else ''}{more} more" if more else "")
        return SchemaError(_json_path(path), f"unexpected properties: {named}")
    if err.validator in ("enum", "const"):
        allowed = (
            err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        )
        return SchemaError(_json_path(path), f"must be one of {allowed}")
    if err.validator == "type":
        return SchemaError(_json_path(path), f"must be of type {err.validator_value}")
    if err.validator in ("minLength", "maxLength", "pattern", "maxProperties"):
        rule = f"violates {err.validator} {err.validator_value!r}"
        # A regular expression is hard to read: the rule's own description says it in words
        # ("no @: an e-mail address is not an id").
        about = err.schema.get("description") if isinstance(err.schema, dict) else None
        if about and err.validator == "pattern":  # the words only: a 400-character regex
            return SchemaError(_json_path(path), f"breaks its rule: {about}")
        return SchemaError(_json_path(path), rule)
    if err.validator == "format":
        # Our own checks say what is wrong in words that never hold the value; a parser's
        # message may quote it ("Invalid isoformat string: '...'").
        ours = str(err.cause) if str(err.cause).startswith("date-time needs") else ""
        why = f": {ours}" if ours else ""
        return SchemaError(_json_path(path), f"is not a valid {err.validator_value}{why}")
    if err.validator == "anyOf" and isinstance(err.validator_value, list):
        # "violates anyOf" told a sender nothing (a metadata value over 2,000 characters).
        return SchemaError(
            _json_path(path), f"must be {' or '.join(_alternative(a) for a in err.validator_value)}"
        )
    # Other validators: jsonschema's message may quote the value; keep only the rule.
    return SchemaError(_json_path(path), f"violates {err.validator}")


def _alternative(schema: Any) -> str:
    """One branch of an anyOf as a sender reads it: ``string (maxLength 2000)``."""
    if not isinstance(schema, dict):
        return "a valid value"
    rules = ", ".join(f"{k} {v!r}" for k, v in schema.items() if k != "type")
    kind = str(schema.get("type", "a value"))
    return f"{kind} ({rules})" if rules else kind


def validate(name: str, record: object) -> list[SchemaError]:
    """Validate ``record`` against schema ``name``; [] when valid. A record the fast validator
    passes is valid; any other (or one it cannot take, e.g. an integer past 64 bits) gets the
    Python validator's verdict and errors, so messages and paths stay the same."""
    if fast_valid(name, record):
        return []
    errors = sorted(validator(name).iter_errors(record), key=lambda e: list(e.absolute_path))
    return [_describe(e) for e in errors[:_MAX_ERRORS]]
