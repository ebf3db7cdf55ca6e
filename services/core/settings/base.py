"""What every settings group shares: the env-name helper, the group base class, and the
names (channels, routing strategies) settings validate against."""

from __future__ import annotations

from typing import Any, Literal

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


class Group(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)
