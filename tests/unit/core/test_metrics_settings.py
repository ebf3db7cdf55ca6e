"""/metrics has no authentication: it stays on loopback unless an operator says otherwise."""

from __future__ import annotations

import pytest

from services.core.settings import Settings


def test_metrics_refuse_a_public_host_unless_allowed() -> None:
    with pytest.raises(ValueError, match="EDDY_METRICS_ALLOW_REMOTE"):
        Settings().override(metrics={"host": "0.0.0.0"})
    assert Settings().override(metrics={"host": "0.0.0.0", "allow_remote": True}).metrics
    assert Settings().metrics.host == "127.0.0.1"
