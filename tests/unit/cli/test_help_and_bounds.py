"""What a new user meets first: `--help` that reads right and options that refuse nonsense
with one line, before anything starts."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app

runner = CliRunner()
cli_app = importlib.import_module("services.cli.app")


def test_flags_take_no_value_in_help() -> None:
    # typer 0.29's rich renderer showed every flag as `--json <bool>`.
    for args in ([], ["versions"], ["train"], ["status"]):
        res = runner.invoke(app, [*args, "--help"])
        assert res.exit_code == 0, res.output
        assert "<bool>" not in res.output
        assert "--help  " in res.output or "--help " in res.output


def test_every_command_has_a_whole_summary() -> None:
    res = runner.invoke(app, ["--help"])
    commands = res.output.split("Commands:", 1)[1]
    assert "..." not in commands  # click cuts a long first sentence short
    for name in ("demo", "simulate", "versions", "train", "status", "up"):
        assert f"  {name} " in commands


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--rate", "0"),
        ("--rate", "-1"),
        ("--events", "0"),
        ("--annotators", "0"),
        ("--annotator-delay", "-1"),
        ("--max-minutes", "0"),
        ("--seed-size", "1"),
        ("--eval-size", "0"),
        ("--label-budget", "-1"),
        ("--label-budget", "150"),  # no more than the 150 seed examples
    ],
)
def test_demo_refuses_out_of_range_options(option: str, value: str) -> None:
    res = runner.invoke(app, ["demo", option, value])
    assert res.exit_code == 2
    assert f"Invalid value for '{option}'" in res.output


def test_versions_names_a_missing_data_dir(tmp_path: Path) -> None:
    res = runner.invoke(app, ["versions", "--data-dir", str(tmp_path / "nope")])
    assert res.exit_code == 2
    assert "no such data dir" in res.output


def test_a_data_dir_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    # It was a traceback: NotADirectoryError on <file>/secrets.env.
    f = tmp_path / "afile"
    f.write_text("x")
    res = runner.invoke(app, ["versions", "--data-dir", str(f)])
    assert res.exit_code == 2
    assert res.output.strip() == f"data dir is not a folder: {f} (--data-dir)"
    res = runner.invoke(app, ["status"], env={"EDDY_DATA_DIR": str(f)})
    assert res.exit_code == 2 and f"{f} (EDDY_DATA_DIR)" in res.output


def test_versions_says_where_it_looked(tmp_path: Path) -> None:
    res = runner.invoke(app, ["versions", "--data-dir", str(tmp_path)])
    assert res.exit_code == 0
    assert "no model versions yet in" in res.output and "demo-runs" in res.output


def test_sample_events_refuses_more_tweets_than_there_are(tmp_path: Path) -> None:
    res = runner.invoke(app, ["sample-events", "--out", str(tmp_path), "--count", "1000000"])
    assert res.exit_code == 2
    assert "must stay below" in res.output


def test_promote_takes_a_version_as_listings_write_it() -> None:
    from services.cli.models import version_number

    assert version_number("v7") == 7 and version_number("7") == 7
    for bad in ("vx", "0", "v", "7.5"):
        res = runner.invoke(app, ["promote", bad])
        assert res.exit_code == 2, res.output
        assert "is not a version; give one as 7 or v7" in res.output


def test_promote_and_rollback_check_the_registry_before_the_broker(tmp_path: Path) -> None:
    # No broker listens on port 9: a check that came after it would print its warning first.
    env = {"EDDY_KAFKA_BOOTSTRAP": "127.0.0.1:9"}
    for args, line in (
        (["promote", "99"], "promote failed: model version 99 not found in"),
        (["rollback"], "rollback failed: no champion to roll back from"),
    ):
        res = runner.invoke(app, [*args, "--data-dir", str(tmp_path)], env=env)
        assert res.exit_code == 1, res.output
        assert res.output.startswith(line) and "warning" not in res.output


def test_promote_and_rollback_need_a_reason(tmp_path: Path) -> None:
    # The console refuses an empty reason; the command line recorded "reason": "".
    for args in (["promote", "2"], ["rollback"]):
        res = runner.invoke(app, [*args, "--reason", "  ", "--data-dir", str(tmp_path)])
        assert res.exit_code == 2, res.output
        assert "say why: a reason is required" in res.output


def test_invoked_as_is_a_command_the_user_can_type_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from services.cli.app import invoked_as

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("sys.argv", [str(tmp_path / ".venv" / "bin" / "eddy")])
    assert invoked_as() == ".venv/bin/eddy"
    monkeypatch.setattr("sys.argv", ["/opt/python/lib/services/cli/__main__.py"])
    assert invoked_as() == "eddy"  # python -m services.cli
    monkeypatch.setattr("shutil.which", lambda name: "/usr/local/bin/eddy")
    monkeypatch.setattr("sys.argv", [str(tmp_path / ".venv" / "bin" / "eddy")])
    assert invoked_as() == "eddy"


def test_sigint_stops_a_command_started_in_the_background() -> None:
    # A script's `eddy trainer &` starts with SIGINT ignored; `kill -INT` did nothing.
    import subprocess
    import sys

    code = (
        "import signal, sys\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "sys.argv = ['eddy', '--version']\n"
        "from services.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().endswith("True"), done.stdout + done.stderr


@pytest.mark.parametrize(
    ("command", "variable"),
    [("console", "EDDY_CONSOLE_PORT"), ("gateway", "EDDY_GATEWAY_PORT"),
     ("webhook", "EDDY_WEBHOOK_PORT"), ("ml-backend", "EDDY_ML_BACKEND_PORT")],
)  # fmt: skip
def test_a_taken_port_is_one_line_naming_its_setting(
    command: str, variable: str, tmp_path: Path
) -> None:
    # The console logged "ops console on http://..." and then uvicorn's errno 98.
    import socket

    from tests.helpers import free_port

    port = free_port()
    env = {
        variable: str(port),
        "EDDY_CONSOLE_TOKEN": "a-strong-console-token-0123456789",
        "EDDY_GATEWAY_TOKEN": "a-strong-gateway-token-0123456789",
        "EDDY_METRICS_PORT": "0",
    }
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        res = runner.invoke(app, [command, "--data-dir", str(tmp_path)], env=env)
    assert res.exit_code == 2, res.output
    assert f"cannot start: port {port} on 127.0.0.1 ({command}) is already in use" in res.output
    assert variable in res.output


def test_versions_says_a_champion_the_gate_rejected_was_promoted_by_hand() -> None:
    # The console said so; `eddy versions` said only "champion".
    from services.cli.models import _status

    row = {"status": "champion", "gate_status": "rejected"}
    assert _status(row) == "champion (gate rejected; promoted by hand)"
    assert _status({"status": "champion", "gate_status": "promoted"}) == "champion"
    assert _status({"status": "rejected", "gate_status": "rejected"}) == "rejected"
    gone = {"status": "rolled_back", "gate_status": "promoted", "pruned_at": "2026-12-07"}
    assert _status(gone) == "rolled back (gate: promoted), pruned"


def test_a_host_without_an_address_is_one_line_naming_its_setting(tmp_path: Path) -> None:
    env = {
        "EDDY_CONSOLE_HOST": "nosuch.invalid",
        "EDDY_CONSOLE_TOKEN": "a-strong-console-token-0123456789",
        "EDDY_METRICS_PORT": "0",
    }
    res = runner.invoke(app, ["console", "--data-dir", str(tmp_path)], env=env)
    assert res.exit_code == 2, res.output
    assert "cannot start: console cannot bind nosuch.invalid:" in res.output
    assert "(EDDY_CONSOLE_HOST)" in res.output


def test_up_help_names_every_port_with_its_setting_and_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second stack on one machine needs each port's setting: `eddy up --help` lists them,
    with today's defaults (this fails when a default moves and the help does not)."""
    from services.core.settings import load_settings
    from services.core.settings.exposure import listen_address
    from services.stack.probes import host_port

    res = runner.invoke(app, ["up", "--help"], terminal_width=400)
    text = " ".join(res.output.split())
    for name in [k for k in os.environ if k.startswith("EDDY_")]:
        monkeypatch.delenv(name)
    s = load_settings()
    ports = {
        "EDDY_KAFKA_BOOTSTRAP": host_port(s.kafka.bootstrap, 0)[1],
        "EDDY_S3_ENDPOINT": host_port(s.stack.s3_endpoint.split("//")[-1], 0)[1],
        "EDDY_REDIS_URL": host_port(s.redis.url.split("//")[-1].split("/")[0], 0)[1],
        "EDDY_LABEL_STUDIO_URL": host_port(s.label_studio.url.split("//")[-1], 0)[1],
    }
    for server in ("gateway", "webhook", "ml-backend", "console"):
        _, port, variable = listen_address(s, server)
        ports[variable] = port
    for variable, port in ports.items():
        assert f"{variable} ({port})" in text, (variable, port)
    assert f"EDDY_METRICS_PORT ({s.metrics.port} to {s.metrics.port + 8})" in text
