from pathlib import Path

from services.core.settings import env_names

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_documented_in_readme() -> None:
    missing = [name for name in env_names() if name not in README]
    assert not missing, f"document these in README § Configuration: {missing}"


def test_every_variable_the_readme_names_is_a_setting() -> None:
    # The README told integrators to set EDDY_KAFKA_TOPIC_PREFIX; the setting is
    # EDDY_TOPIC_PREFIX. Renamed ones are named as renamed; compose's own are listed here.
    import re

    from services.core.settings import NOT_SETTINGS, RENAMED

    compose = {"EDDY_MINIO_PASSWORD"}  # docker-compose.yml's, never read by Eddy
    known = set(env_names()) | set(RENAMED) | NOT_SETTINGS | compose
    unknown = sorted(set(re.findall(r"\bEDDY_[A-Z0-9_]+\b", README)) - known)
    assert not unknown, f"the README names variables Eddy does not read: {unknown}"
