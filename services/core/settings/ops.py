"""Settings of the ops console (where it listens, its login token, how often it samples) and
of `eddy up`'s watch over the workers."""

from __future__ import annotations

from pydantic import SecretStr

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
