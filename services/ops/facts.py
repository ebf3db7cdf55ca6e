"""What the read model needs from the training side, as an interface: the ops layer sits
below training, so the composition root (app.opsfacts) supplies the implementation."""

from __future__ import annotations

from typing import Any, Protocol


class TrainingFacts(Protocol):
    def evaluation(self) -> dict[str, Any]:
        """The evaluation document: every version's score on the common set."""
        ...

    def runs(self, n: int) -> list[dict[str, Any]]:
        """The last ``n`` training runs, newest first."""
        ...

    def trigger(self) -> dict[str, Any]:
        """new_labels, needed, oldest_age_s, max_age_s, fire, reason: the trainer's own
        planning, without training."""
        ...
