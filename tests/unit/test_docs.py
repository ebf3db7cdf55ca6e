from pathlib import Path

from services.core.settings import env_names

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_documented_in_readme() -> None:
    missing = [name for name in env_names() if name not in README]
    assert not missing, f"document these in README § Configuration: {missing}"
