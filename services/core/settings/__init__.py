"""Eddy's settings in typed groups, read from the environment (``EDDY_*``) once, at the entry
point: ``load_settings()`` in the CLI. Each component takes its group (``settings.kafka``,
``settings.redis``, ...), not the whole object. Every variable is documented in README.md §
Configuration; the env name of a field is its ``validation_alias``.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from services.core.settings.annotation import AnnotationSettings
from services.core.settings.base import (
    CHANNELS,
    STRATEGY_NAMES,
    Channel,
    Group,
    StrategyName,
)
from services.core.settings.errors import describe
from services.core.settings.exposure import exposed_without_secret, public_secrets
from services.core.settings.infra import (
    GatewaySettings,
    LabelStudioSettings,
    RedisSettings,
    StackSettings,
)
from services.core.settings.kafka import KafkaSettings
from services.core.settings.learning import ModelSettings, RoutingSettings
from services.core.settings.ops import ConsoleSettings, MetricsSettings
from services.core.settings.training import GateSettings, TrainerSettings

# Old variables: each is reported with what replaced it.
RENAMED = {
    "EDDY_TRAIN_EPOCHS": "was renamed EDDY_BOOTSTRAP_EPOCHS",
    "EDDY_TRAIN_LR": "was renamed EDDY_BOOTSTRAP_LR",
    "EDDY_HOLDOUT_FRACTION": "was renamed EDDY_BOOTSTRAP_HOLDOUT_FRACTION",
    "EDDY_TRAIN_BATCH_SIZE": "was renamed EDDY_TRAINER_BATCH_SIZE",
    "EDDY_TRAIN_SEED": "was renamed EDDY_TRAINER_SEED",
    "EDDY_LABEL_HOLDOUT_PERCENT": "is gone: the audit sample (EDDY_AUDIT_SHARE) is the holdout",
}
# EDDY_* variables that are not settings (read by tests or tools, never by Eddy's processes).
NOT_SETTINGS = frozenset(
    {
        "EDDY_TEST_LABEL_STUDIO_URL",
        "EDDY_TEST_ARTIFACTS",
        # docker-compose.yml's own secrets (deploy/compose.env.example): its .env is often
        # sourced into a shell, where they are not typos.
        "EDDY_POSTGRES_PASSWORD",
        "EDDY_MINIO_PASSWORD",
        "EDDY_GRAFANA_PASSWORD",
    }
)


GROUPS: dict[str, type[Group]] = {
    "stack": StackSettings,
    "kafka": KafkaSettings,
    "redis": RedisSettings,
    "label_studio": LabelStudioSettings,
    "model": ModelSettings,
    "routing": RoutingSettings,
    "trainer": TrainerSettings,
    "gate": GateSettings,
    "gateway": GatewaySettings,
    "metrics": MetricsSettings,
    "annotation": AnnotationSettings,
    "console": ConsoleSettings,
}


class Settings(BaseModel):
    """All of Eddy's configuration, one typed group per concern."""

    model_config = ConfigDict(frozen=True)

    stack: StackSettings = Field(default_factory=StackSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    label_studio: LabelStudioSettings = Field(default_factory=LabelStudioSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    trainer: TrainerSettings = Field(default_factory=TrainerSettings)
    gate: GateSettings = Field(default_factory=GateSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    annotation: AnnotationSettings = Field(default_factory=AnnotationSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

    def override(self, **groups: Mapping[str, Any]) -> Settings:
        """A copy with some fields changed, by group: ``s.override(gate={"tolerance": 1})``.
        Values are validated like the environment's."""
        update: dict[str, Any] = {}
        for name, fields in groups.items():
            if name not in GROUPS:
                raise ValueError(f"unknown settings group {name!r}; known: {sorted(GROUPS)}")
            current = getattr(self, name).model_dump()
            update[name] = GROUPS[name](**{**current, **fields})
        return self.model_copy(update=update)

    def to_env(self) -> dict[str, str]:
        """The EDDY_* variables that rebuild these settings in a child process."""
        out: dict[str, str] = {}
        for group_name in GROUPS:
            group = getattr(self, group_name)
            for name, info in type(group).model_fields.items():
                value = getattr(group, name)
                if value is None:
                    continue
                if isinstance(value, SecretStr):
                    value = value.get_secret_value()
                elif isinstance(value, dict | list):
                    value = json.dumps(value)
                elif isinstance(value, Path):
                    value = value.resolve()
                out[str(info.validation_alias)] = str(value)
        return out


def env_names() -> dict[str, str]:
    """Every setting's environment variable -> "group.field"."""
    return {
        str(info.validation_alias): f"{group}.{name}"
        for group, cls in GROUPS.items()
        for name, info in cls.model_fields.items()
    }


def config_error(exc: ValueError, environ: Mapping[str, str] | None = None) -> str:
    """A settings error in one line naming the variable (``EDDY_X='value': what is wrong``)."""
    environ = os.environ if environ is None else environ
    # pydantic names the failing group's class (ValidationError.title): its fields, first.
    title = getattr(exc, "title", None)
    failing = [cls for cls in GROUPS.values() if cls.__name__ == title]
    aliases: dict[str, str] = {}
    for cls in [*failing, *GROUPS.values()]:
        for field, info in cls.model_fields.items():
            var = str(info.validation_alias)
            aliases.setdefault(field, var)
            aliases[var] = var
    return describe(exc, aliases, environ)


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """One line per ``EDDY_*`` variable that is not a setting (a typo or an old name)."""
    environ = os.environ if environ is None else environ
    known = env_names()
    out = []
    for var in sorted(environ):
        upper = var.upper()
        if not upper.startswith("EDDY_") or upper in known or upper in NOT_SETTINGS:
            continue
        if upper in RENAMED:
            out.append(f"{var} {RENAMED[upper]}; it is ignored")
            continue
        close = difflib.get_close_matches(upper, known, n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else ""
        out.append(f"{var} is not an Eddy setting{hint}; it is ignored")
    return out


def load_settings(**overrides: Mapping[str, Any]) -> Settings:
    """Build the process's settings from the environment, plus overrides by group."""
    base = Settings()
    return base.override(**overrides) if overrides else base


__all__ = [
    "CHANNELS",
    "GROUPS",
    "STRATEGY_NAMES",
    "AnnotationSettings",
    "Channel",
    "GateSettings",
    "GatewaySettings",
    "Group",
    "KafkaSettings",
    "LabelStudioSettings",
    "MetricsSettings",
    "ModelSettings",
    "RedisSettings",
    "RoutingSettings",
    "Settings",
    "StackSettings",
    "StrategyName",
    "TrainerSettings",
    "config_error",
    "env_names",
    "exposed_without_secret",
    "load_settings",
    "public_secrets",
    "unknown_variables",
]
