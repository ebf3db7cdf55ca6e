"""The classify worker's model holder with real model files: it follows the champion
pointer, and a broken version never stops it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from services.core.settings import Settings
from services.inference.holder import ModelHolder
from services.model.device import select_placement
from services.registry.store import ModelRegistry
from tests.helpers import copy_models

pytestmark = pytest.mark.integration


def _registry_of_copies(
    tmp: Path, settings: Settings, champion: int
) -> tuple[ModelRegistry, Callable[[Path], None], dict[str, Any]]:
    """An empty registry, a writer of the session champion's files, and their metadata."""
    source = ModelRegistry(settings.stack.models_dir).get(champion)

    def copy_model(d: Path) -> None:
        copy_models(source.path, d)

    return ModelRegistry(tmp / "models"), copy_model, {"labels": source.labels}


def test_holder_swaps_to_new_champion_and_survives_a_broken_one(
    tmp_path: Path, settings: Settings, champion: int
) -> None:
    reg, copy_model, meta = _registry_of_copies(tmp_path, settings, champion)

    def broken(d: Path) -> None:
        (d / "config.json").write_text("{ not a config")

    v1 = reg.add(copy_model, meta).version
    reg.set_champion(v1)
    s = settings.override(model={"poll_s": 0.0})
    holder = ModelHolder(s.model, reg, select_placement("cpu"), ThreadPoolExecutor(1))

    async def scenario() -> list[int | None]:
        seen: list[int | None] = [(await holder.wait_ready()).version]
        v2 = reg.add(broken, meta).version
        reg.set_champion(v2)
        seen.append(getattr(await holder.refresh(force=True), "version", None))
        seen.append(getattr(await holder.refresh(force=True), "version", None))
        v3 = reg.add(copy_model, meta).version
        reg.set_champion(v3)
        clf = await holder.refresh(force=True)
        assert clf is not None
        probs = await holder.predict(clf, ["@united thanks for nothing"])
        assert len(probs) == 1 and abs(sum(probs[0]) - 1) < 1e-4
        seen.append(clf.version)
        return seen

    assert asyncio.run(scenario()) == [1, 1, 1, 3]


def test_a_new_champion_loads_while_the_current_one_keeps_serving(
    tmp_path: Path, settings: Settings, champion: int
) -> None:
    reg, copy_model, meta = _registry_of_copies(tmp_path, settings, champion)
    reg.set_champion(reg.add(copy_model, meta).version)
    s = settings.override(model={"poll_s": 0.0, "backend": "torch"})
    holder = ModelHolder(s.model, reg, select_placement("cpu"), ThreadPoolExecutor(1))

    async def scenario() -> tuple[list[int | None], int]:
        await holder.wait_ready()
        reg.set_champion(reg.add(copy_model, meta).version)
        served: list[int | None] = []
        texts = ["@united late again", "@delta thanks!"] * 8
        while holder.version != 2:  # batches go on while v2 loads on the loader thread
            clf = await holder.refresh()
            assert clf is not None
            probs = await holder.predict(clf, texts)
            assert len(probs) == len(texts)
            served.append(clf.version)
        return served, len(served)

    served, batches = asyncio.run(scenario())
    assert served[0] == 1 and batches >= 2, served
    assert holder.choice is not None and holder.choice.backend == "torch"
