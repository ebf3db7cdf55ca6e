"""Settings groups of training: the bootstrap, the trainer's runs and recipe, and the gate."""

from __future__ import annotations

from typing import Literal

from services.core.settings.base import Group, env


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
    new_label_min: int = env(
        "EDDY_TRAINER_NEW_LABEL_MIN",
        10,
        ge=1,
        description="A label EDDY_LABELS adds to the champion's set joins the loop's next "
        "run (a rebuild with a head for it) once annotators gave it this many labels "
        "(audit ones excluded).",
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
        description="Examples a class needs before it is gated on its own: for its paired F1, "
        "audit labels of the holdout (the seed holdout counts for accuracy only); for the "
        "never-predicted floor, the whole holdout; also the smallest forgetting sample.",
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
