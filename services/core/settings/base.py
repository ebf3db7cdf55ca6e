"""What every settings group shares: the env-name helper, the group base class, and the
names (channels, routing strategies) settings validate against."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Channel = Literal["chat", "crm", "ads"]
CHANNELS: tuple[Channel, ...] = ("chat", "crm", "ads")
# The one list of routing strategy names (services.routing.strategies maps them to classes).
StrategyName = Literal["least_confidence", "margin", "entropy", "random"]
STRATEGY_NAMES: tuple[StrategyName, ...] = ("least_confidence", "margin", "entropy", "random")


def env(name: str, default: Any = ..., **kw: Any) -> Any:
    """A field read from the environment variable ``name``."""
    return Field(default, validation_alias=name, **kw)


PORT = {"ge": 1, "le": 65535}  # env(..., **PORT): a port out of range is a one-line error


def url_with(value: str | None, *schemes: str, optional: bool = False) -> str | None:
    """``value`` when it is a URL with one of ``schemes`` and a host (or, for an ``optional``
    setting, empty or None: its default applies); a ValueError naming the schemes otherwise,
    so a typo is a one-line configuration error, not a client library's traceback later."""
    if optional and not value:
        return value
    parts = urlsplit(value or "")
    try:
        host = parts.hostname
    except ValueError:  # "http://[::1" and such
        host = None
    if parts.scheme in schemes and (host or parts.scheme == "unix"):
        return value
    wanted = " or ".join(f"{s}://" for s in schemes)
    raise ValueError(f"must be a URL starting {wanted} with a host, e.g. {schemes[0]}://host:port")


class Group(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)
