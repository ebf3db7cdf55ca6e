from pathlib import Path

from services.core.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_documented_in_readme() -> None:
    missing = [
        f"EDDY_{n.upper()}" for n in Settings.model_fields if f"EDDY_{n.upper()}" not in README
    ]
    assert not missing, f"document these in README § Configuration: {missing}"
