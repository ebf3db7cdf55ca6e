"""Settings of the ops console (where it listens, its login token, how often it samples), of
`eddy up`'s watch over the workers and of the Prometheus /metrics endpoints."""

from __future__ import annotations

from pydantic import SecretStr, model_validator

from services.core.settings.base import Group, env


class ConsoleSettings(Group):
    host: str = env("EDDY_CONSOLE_HOST", "127.0.0.1", description="Address the console binds.")
    port: int = env("EDDY_CONSOLE_PORT", 18002, ge=1, le=65535, description="Console port.")
    token: SecretStr | None = env(
        "EDDY_CONSOLE_TOKEN",
        None,
        description="Login token for the ops console (its login page asks for it; API calls "
        "may send `Authorization: Bearer <token>`). `eddy up` generates one into the secrets "
        "file; the console refuses to start without one.",
    )
    sample_s: float = env(
        "EDDY_CONSOLE_SAMPLE_S",
        2.0,
        gt=0,
        le=60,
        description="How often the console samples lag, throughput and the rest of its read "
        "model (its charts refresh at this pace).",
    )
    history: int = env(
        "EDDY_CONSOLE_HISTORY",
        900,
        ge=10,
        description="Samples the console keeps for its live charts (900 at 2 s = 30 minutes).",
    )
    window: int = env(
        "EDDY_OPS_WINDOW",
        500,
        ge=20,
        description="Predictions per channel in the drift and confidence window (the "
        "previous window is the same number before it).",
    )
    drift_threshold: float = env(
        "EDDY_OPS_DRIFT_THRESHOLD",
        0.1,
        gt=0,
        le=1,
        description="Jensen-Shannon divergence (base 2, 0..1) of the predicted-label mix at "
        "or above which a channel is flagged as drifting.",
    )
    route_alarm_share: float = env(
        "EDDY_OPS_ROUTE_ALARM_SHARE",
        0.9,
        gt=0,
        le=1,
        description="A channel whose routed share reaches this (over at least 50 recent "
        "predictions) raises the console's banner: the model sends nearly everything to people.",
    )
    trainer_stale_s: float = env(
        "EDDY_OPS_TRAINER_STALE_S",
        0,
        ge=0,
        description="The banner says the trainer is stale when its last check is older than "
        "this; 0 = three trigger intervals (EDDY_TRAINER_INTERVAL_S).",
    )
    stall_restart_s: float = env(
        "EDDY_OPS_STALL_RESTART_S",
        180.0,
        ge=0,
        description="`eddy up` restarts a worker whose input has had records waiting this "
        "long with nothing committed (wedged, e.g. after a broker restart); 0 = never. A "
        "worker held up by a server it needs (Label Studio, Redis) restarts too, harmlessly.",
    )


# Offsets from EDDY_METRICS_PORT, fixed per process so that a scrape config written once
# stays right: one port per process, the same on every host.
METRICS_OFFSETS = {
    "normalize": 0,
    "classify": 1,
    "route": 2,
    "annotate": 3,
    "trainer": 4,
    "gateway": 5,
    "webhook": 6,
    "ml-backend": 7,
    "console": 8,
}


class MetricsSettings(Group):
    host: str = env("EDDY_METRICS_HOST", "127.0.0.1", description="Address /metrics binds.")
    allow_remote: bool = env(
        "EDDY_METRICS_ALLOW_REMOTE",
        False,
        description="/metrics has no authentication: a host other than loopback is refused "
        "unless this is true (inside a private network, e.g. a pod scraped by Prometheus).",
    )

    @model_validator(mode="after")
    def _loopback_unless_allowed(self) -> MetricsSettings:
        loopback = self.host in ("127.0.0.1", "::1", "localhost")
        if not loopback and not self.allow_remote:
            raise ValueError(
                f"EDDY_METRICS_HOST={self.host} would serve /metrics, unauthenticated, beyond "
                "this machine; set EDDY_METRICS_ALLOW_REMOTE=true if its network is private"
            )
        return self

    port: int = env(
        "EDDY_METRICS_PORT",
        18010,
        ge=0,
        le=65535 - max(METRICS_OFFSETS.values()),
        description="Base port of every process's Prometheus /metrics: normalize on this "
        "port, classify +1, route +2, annotate +3, trainer +4, gateway +5, webhook +6, "
        "ml-backend +7, console +8. 0 = off.",
    )

    def port_for(self, process: str) -> int | None:
        """The /metrics port of ``process`` (a worker role, "trainer", "gateway", ...), or
        None when metrics are off."""
        if process not in METRICS_OFFSETS:
            raise ValueError(f"no metrics port for {process!r}; known: {sorted(METRICS_OFFSETS)}")
        return self.port + METRICS_OFFSETS[process] if self.port else None

    def url_for(self, process: str) -> str | None:
        port = self.port_for(process)
        if port is None:
            return None
        # A wildcard bind is reachable on loopback; that is the address to print locally.
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/metrics"
