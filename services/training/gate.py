"""Champion / challenger gate. Pure logic: the challenger is promoted only if it is not worse
than the champion beyond a tolerance, overall and on every class with enough support, on the
same holdout scored in the same run."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.model.metrics import Metrics


@dataclass(frozen=True)
class GateConfig:
    tolerance: float = 0.01
    class_tolerance: float = 0.05
    min_support: int = 20


@dataclass(frozen=True)
class Decision:
    promote: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return "; ".join(self.reasons)


def promote_if_better(champion: Metrics, challenger: Metrics, cfg: GateConfig) -> Decision:
    if champion.n == 0 or challenger.n == 0:
        return Decision(False, ["empty holdout: nothing to compare on"])
    if champion.n != challenger.n:
        return Decision(False, ["champion and challenger were scored on different holdouts"])
    failures: list[str] = []
    for name in ("accuracy", "macro_f1"):
        old, new = getattr(champion, name), getattr(challenger, name)
        if new < old - cfg.tolerance:
            failures.append(f"{name} {new:.3f} < champion {old:.3f} - {cfg.tolerance}")
    for label, old_c in sorted(champion.per_class.items()):
        if old_c.support < cfg.min_support:
            continue
        new_c = challenger.per_class.get(label)
        new_f1 = new_c.f1 if new_c else 0.0
        if new_f1 < old_c.f1 - cfg.class_tolerance:
            failures.append(
                f"class {label!r} F1 {new_f1:.3f} < champion {old_c.f1:.3f} - "
                f"{cfg.class_tolerance} (support {old_c.support})"
            )
    if failures:
        return Decision(False, failures)
    return Decision(
        True,
        [
            f"accuracy {challenger.accuracy:.3f} vs {champion.accuracy:.3f}, macro-F1 "
            f"{challenger.macro_f1:.3f} vs {champion.macro_f1:.3f} on {challenger.n} examples"
        ],
    )
