"""Topic names. Versioned (``.v1``); an optional prefix isolates tenants and tests."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.settings import CHANNELS, KafkaSettings


@dataclass(frozen=True)
class Topics:
    prefix: str = ""

    def channel(self, channel: str) -> str:
        return f"{self.prefix}channel.{channel}.v1"

    @property
    def channels(self) -> list[str]:
        return [self.channel(c) for c in CHANNELS]

    @property
    def interactions(self) -> str:
        return f"{self.prefix}interactions.v1"

    @property
    def predictions(self) -> str:
        return f"{self.prefix}predictions.v1"

    @property
    def review(self) -> str:
        return f"{self.prefix}review.v1"

    @property
    def labels(self) -> str:
        return f"{self.prefix}labels.v1"

    @property
    def models(self) -> str:
        return f"{self.prefix}models.v1"

    @property
    def deadletter(self) -> str:
        return f"{self.prefix}deadletter.v1"

    @property
    def deadletter_raw(self) -> str:
        """Encrypted raw bytes of dead letters, only when an operator opts in."""
        return f"{self.prefix}deadletter-raw.v1"

    def all(self) -> list[str]:
        return [
            *self.channels,
            self.interactions,
            self.predictions,
            self.review,
            self.labels,
            self.models,
            self.deadletter,
            self.deadletter_raw,
        ]

    def channel_of(self, topic: str) -> str | None:
        """The channel a raw channel topic carries, or None for other topics."""
        for c in CHANNELS:
            if topic == self.channel(c):
                return c
        return None

    @classmethod
    def from_settings(cls, kafka: KafkaSettings) -> Topics:
        return cls(kafka.topic_prefix)
