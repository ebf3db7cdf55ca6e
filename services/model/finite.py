"""Whether a model's numbers are numbers."""

from __future__ import annotations

import torch


def weights_finite(model: torch.nn.Module) -> bool:
    """True when no parameter holds a NaN or an infinity."""
    with torch.no_grad():
        return all(bool(torch.isfinite(p).all()) for p in model.parameters())
