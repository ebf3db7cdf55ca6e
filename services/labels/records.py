"""The label store's record types: one annotator's decision, and a resolved example."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class AnnotationRecord:
    """One annotator's decision on one task, as the label store keeps it."""

    annotation_id: int
    task_id: int
    event_id: str
    channel: str | None
    text: str
    label: str | None
    status: str  # submitted | skipped | cancelled | deleted
    annotator: str | None
    updated_at: str
    source: str  # webhook | poll
    # Label Studio's origin of the choice: "prediction" = the model's pre-annotation accepted
    # unchanged (one click), "prediction-changed" or "manual" = the annotator's own answer.
    origin: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def label_event(self) -> dict[str, Any]:
        """The labels.v1 record (no text: the feed carries decisions, not content)."""
        out = {
            "event_id": self.event_id,
            "task_id": self.task_id,
            "annotation_id": self.annotation_id,
            "label": self.label,
            "status": self.status,
            "annotator": self.annotator,
            "updated_at": self.updated_at,
            "source": self.source,
        }
        if self.channel:
            out["channel"] = self.channel
        if self.origin:
            out["origin"] = self.origin
        return out


@dataclass(frozen=True)
class LabelledExample:
    event_id: str
    task_id: int
    text: str
    label: str
    agreement: float
    annotators: int
    first_resolved: float


def exact_fingerprint(text: str) -> str:
    """Identifies a text exactly (near-duplicate labels are only ever copied to an exact one)."""
    return hashlib.sha256(text.encode()).hexdigest()[:20]
