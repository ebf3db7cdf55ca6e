"""`eddy simulate`: a label-efficiency report. Replays a labelled file as a stream, in one
process and without servers, through the router, audit policy, training run and gate the
services run, for several strategies and recipes at the same label budget, over several seeds.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.core.settings import Settings
from services.simulate.arm import ArmSpec, StreamSpec, run_arm, shuffled
from services.simulate.summary import summarise
from services.training.bootstrap import bootstrap
from services.training.examples import Example

Say = Callable[[str], None]


@dataclass(frozen=True)
class SimulateOptions:
    strategies: Sequence[str] = ("least_confidence", "margin", "random")
    recipes: Sequence[str] = ("auto",)
    seeds: int = 3
    first_seed: int = 1
    budget: int = 480
    step: int = 60
    window: int = 240
    seed_size: int = 100
    test_size: int = 1000
    audit_share: float = 0.1
    # Annotators' mistakes: this share of routed and audit answers is a wrong class (the seed
    # stays clean, as an operator's curated set would be). 0: the file's labels as they are.
    error_rate: float = 0.0
    # Small: a learning curve needs every step judged; the services' own gate waits for
    # EDDY_GATE_MIN_HOLDOUT (100) examples, which a 10% audit of 240-event windows reaches
    # only after four steps.
    min_holdout: int = 30
    # Where every arm's registry goes; kept when given (to study the models afterwards),
    # otherwise a temporary directory removed at the end: a run leaves ~600 MB of models.
    keep_models: Path | None = None


def split(
    data: list[Example], seed_size: int, test_size: int
) -> tuple[list[Example], list[Example]]:
    """(test, rest): the test set is a fixed share of the file, never streamed or seeded."""
    shuffled_all = list(data)
    random.Random(0).shuffle(shuffled_all)
    test_size = min(test_size, len(shuffled_all) // 5)
    if len(shuffled_all) - test_size < seed_size * 2:
        raise ValueError(
            f"{len(data)} examples are too few for a seed of {seed_size} and a test set "
            f"(it needs at least {seed_size * 2} besides the test set; lower --seed-size)"
        )
    return shuffled_all[:test_size], shuffled_all[test_size:]


def simulate(
    base: Settings, dataset: str, data: list[Example], opts: SimulateOptions, say: Say
) -> dict[str, Any]:
    if opts.keep_models is not None:
        opts.keep_models.mkdir(parents=True, exist_ok=True)
        return _simulate(base, dataset, data, opts, say, opts.keep_models)
    with tempfile.TemporaryDirectory(prefix="eddy-simulate-") as tmp:
        return _simulate(base, dataset, data, opts, say, Path(tmp))


def _simulate(
    base: Settings, dataset: str, data: list[Example], opts: SimulateOptions, say: Say, work: Path
) -> dict[str, Any]:
    started = time.monotonic()
    test, rest = split(data, opts.seed_size, opts.test_size)
    s = base.override(
        routing={"audit_share": opts.audit_share},
        gate={"min_holdout": opts.min_holdout},
        # The replay measures learning, not serving: no ONNX export of every version.
        trainer={"export_onnx": False},
    )
    capped = f" (--test-size {opts.test_size} is capped at a fifth of the file)"
    say(
        f"{dataset}: {len(test)} test examples, never streamed"
        f"{capped if len(test) < opts.test_size else ''}, {len(rest)} to seed and stream"
    )
    total = opts.seeds * len(opts.strategies) * len(opts.recipes)
    say(
        f"{total} arm(s) ({opts.seeds} seed(s) x {len(opts.strategies)} strateg(ies) x "
        f"{len(opts.recipes)} recipe(s)), each spending up to {opts.budget} routed labels, "
        f"{opts.step} a training run"
    )
    classes = tuple(sorted({e.label for e in data}))
    arms: list[dict[str, Any]] = []
    for seed in range(opts.first_seed, opts.first_seed + opts.seeds):
        order = shuffled(rest, seed)
        seed_set, stream = order[: opts.seed_size], order[opts.seed_size :]
        boot_dir = work / f"bootstrap-{seed}"
        say(f"seed {seed}: bootstrap from {len(seed_set)} examples")
        boot = bootstrap(
            s.override(stack={"registry_dir": boot_dir}, trainer={"seed": seed}),
            Path(dataset),
            examples=seed_set,
            force=True,  # a weak start is part of what is measured
        )
        for problem in boot.problems:
            say(f"seed {seed}: warning: the bootstrap model is weak: {problem}")
        spec = StreamSpec(
            stream, test, opts.budget, opts.step, opts.window, opts.audit_share,
            opts.error_rate, classes,
        )  # fmt: skip
        for strategy in opts.strategies:
            for recipe in opts.recipes:
                say(f"arm {len(arms) + 1}/{total}: {strategy}/{recipe}, seed {seed}")
                arm = run_arm(s, ArmSpec(strategy, recipe, seed), spec, boot_dir, work, say)
                arms.append(arm.as_dict())
                say(_eta(len(arms), total, time.monotonic() - started))
    return {
        "dataset": dataset,
        "test_size": len(test),
        "options": {
            "strategies": list(opts.strategies),
            "recipes": list(opts.recipes),
            "seeds": opts.seeds,
            "first_seed": opts.first_seed,
            "budget": opts.budget,
            "step": opts.step,
            "window": opts.window,
            "seed_size": opts.seed_size,
            "audit_share": opts.audit_share,
            "error_rate": opts.error_rate,
            "min_holdout": opts.min_holdout,
        },
        "arms": arms,
        "summary": summarise(arms),
        "duration_s": round(time.monotonic() - started, 1),
    }


def _eta(done: int, total: int, elapsed_s: float) -> str:
    """A run of several arms takes an hour or more on 2 cores: say when it should end (arms
    cost alike, bootstraps included, so the mean so far is a fair guess)."""
    line = f"{done}/{total} arm(s) done in {elapsed_s / 60:.0f} min"
    if done >= total:
        return line
    left = elapsed_s / done * (total - done)
    return f"{line}; about {max(1, round(left / 60))} min left"
