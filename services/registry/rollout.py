"""Changing the champion: promote, roll back, and tell everyone (models.v1).

The champion pointer is the truth classify workers follow (they re-read it between batches);
the registry's history records every change, so rollback knows where to go back to, and a
models.v1 event lets any other service react.
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from services.core.records import utc_now_iso
from services.core.settings import KafkaSettings
from services.registry.lineage import previous_champion
from services.registry.store import ModelRegistry, RegistryError

log = logging.getLogger("eddy.registry")
Publish = Callable[[dict[str, Any]], None]


def person(tool: str) -> str:
    """``by`` for a change a person made at a command: the tool, the login and the host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container's uid with no passwd entry and no $USER
        user = f"uid {os.getuid()}"
    return f"{tool} ({user}@{socket.gethostname()})"


def history(registry: ModelRegistry) -> list[dict[str, Any]]:
    return registry.history()


def change_champion(
    registry: ModelRegistry,
    version: int,
    kind: str,
    reason: str,
    publish: Publish | None = None,
    metrics: dict[str, Any] | None = None,
    *,
    by: str | None = None,
) -> dict[str, Any]:
    """Point the champion at ``version`` and record + announce it. ``kind`` is the models.v1
    type: bootstrapped, promoted or rolled_back; ``by`` who made the change."""
    with registry.pointer_lock():
        return _change(registry, version, kind, reason, publish, metrics, by=by)


def _change(
    registry: ModelRegistry,
    version: int,
    kind: str,
    reason: str,
    publish: Publish | None = None,
    metrics: dict[str, Any] | None = None,
    *,
    by: str | None = None,
) -> dict[str, Any]:
    previous = registry.champion_version()
    registry.servable(version)
    registry.set_champion(version)
    event: dict[str, Any] = {
        "type": kind,
        "version": version,
        "previous_version": previous,
        "at": utc_now_iso(),
        "reason": reason,
    }
    if by:  # an audit trail: the history says who, not only what and why
        event["by"] = by[:200]
    if metrics is not None:
        event["metrics"] = metrics
    registry.record(event)
    registry.update_meta(version, champion_since=event["at"])
    if publish:
        publish(event)
    log.info("champion %s -> v%s (%s)", f"v{previous}" if previous else "none", version, kind)
    return event


def check_promotable(registry: ModelRegistry, version: int) -> None:
    """Raise RegistryError when ``version`` does not exist, lost its weights or is the
    champion already."""
    registry.servable(version)
    if registry.champion_version() == version:
        raise RegistryError(f"v{version} is already the champion")


def promote(
    registry: ModelRegistry,
    version: int,
    reason: str,
    publish: Publish | None = None,
    expected: int | None = None,
    *,
    by: str | None = None,
) -> dict[str, Any]:
    """``expected``: the champion the operator saw when deciding (the console's dialog named
    it); another one by now refuses, rather than replace a version nobody looked at."""
    check_promotable(registry, version)
    with registry.pointer_lock():
        _expect(registry, expected)
        return _change(registry, version, "promoted", reason, publish, by=by)


def _expect(registry: ModelRegistry, expected: int | None) -> None:
    current = registry.champion_version()
    if expected is not None and current != expected:
        raise RegistryError(
            f"the champion is v{current} now, not v{expected} as the page showed: look again"
        )


def rollback_target(registry: ModelRegistry) -> int:
    """The version that was champion before the current one."""
    current = registry.champion_version()
    if current is None:
        raise RegistryError("no champion to roll back from")
    target = previous_champion(history(registry), current)
    if target is None:
        raise RegistryError(f"v{current} has no earlier champion to roll back to")
    registry.servable(target)
    return target


def rollback(
    registry: ModelRegistry,
    reason: str = "manual rollback",
    publish: Publish | None = None,
    expected: int | None = None,
    *,
    by: str | None = None,
) -> dict[str, Any]:
    with registry.pointer_lock():
        _expect(registry, expected)
        target = rollback_target(registry)
        return _change(registry, target, "rolled_back", reason, publish, by=by)


def rollback_from(
    registry: ModelRegistry,
    version: int,
    reason: str,
    publish: Publish | None = None,
    by: str | None = None,
) -> dict[str, Any] | None:
    """Roll back only if ``version`` is still the champion: several workers that see the same
    broken model roll it back once, not once each, and a promotion that lands meanwhile is
    not undone (check, target and change under the pointer lock every change takes)."""
    with registry.pointer_lock():
        if registry.champion_version() != version:
            return None
        target = rollback_target(registry)
        return _change(registry, target, "rolled_back", reason, publish, by=by)


class ModelEvents:
    """models.v1 producer (validated against schemas/model-event.v1.json)."""

    def __init__(self, settings: KafkaSettings) -> None:
        from services.core.kafka import make_producer
        from services.core.topics import Topics

        self.topic = Topics.from_settings(settings).models
        self.producer = make_producer(settings)

    def publish(self, event: dict[str, Any]) -> None:
        from services.core.records import dumps
        from services.core.schemas import validate

        errors = validate("model-event", event)
        if errors:
            raise ValueError(f"invalid models.v1 event: {errors}")
        self.producer.send(self.topic, key=b"champion", value=dumps(event)).get(timeout=15)

    def close(self) -> None:
        self.producer.close(5)
