"""The worker's Faust app takes its delivery guarantee from settings."""

from __future__ import annotations

from pathlib import Path

from faust.types.enums import ProcessingGuarantee

from services.core.settings import Settings
from services.runtime.context import create_app


def test_at_least_once_by_default_exactly_once_on_request(tmp_path: Path) -> None:
    s = Settings().override(stack={"data_dir": tmp_path})
    guarantee = str(create_app(s, "normalize").conf.processing_guarantee)
    assert guarantee == str(ProcessingGuarantee.AT_LEAST_ONCE)
    eos = s.override(kafka={"processing_guarantee": "exactly_once"})
    guarantee = str(create_app(eos, "classify").conf.processing_guarantee)
    assert guarantee == str(ProcessingGuarantee.EXACTLY_ONCE)
