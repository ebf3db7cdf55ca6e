"""How the embedded servers are started: secrets never on a command line; the broker's
topics in S3 by default."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from services.core.settings import Settings
from services.stack import servers


def test_redis_password_goes_in_a_private_config_not_argv(tmp_path: Path) -> None:
    s = Settings().override(
        stack={"data_dir": tmp_path, "redis_bin": Path("/bin/true")},
        redis={"password": SecretStr("p" * 48)},
    )
    srv = servers.redis(s)
    assert not any("p" * 48 in a for a in srv.child.argv), "argv is world-readable in /proc"
    conf = tmp_path / "redis" / "redis.conf"
    assert srv.child.argv[1] == str(conf.resolve())
    assert conf.stat().st_mode & 0o777 == 0o600 and "p" * 48 in conf.read_text()


def test_broker_keeps_topics_in_the_local_s3_server_by_default(tmp_path: Path) -> None:
    s = Settings().override(
        stack={"data_dir": tmp_path, "broker_bin": Path("/bin/true"), "s3_bin": Path("/bin/true")}
    )
    assert s.stack.durable_broker
    broker = servers.broker(s)
    assert "s3://tansu/" in broker.child.argv
    assert broker.child.env["AWS_ENDPOINT"] == "http://127.0.0.2:19500"
    s3 = servers.s3(s)
    assert s3.address == "127.0.0.2:19500", "an address Label Studio may not fetch from"
    assert s3.child.argv[s3.child.argv.index("--configure-bucket") + 1] == "tansu"


def test_memory_storage_needs_no_s3(tmp_path: Path) -> None:
    s = Settings().override(
        stack={
            "data_dir": tmp_path,
            "broker_bin": Path("/bin/true"),
            "broker_storage": "memory://tansu/",
        }
    )
    assert not s.stack.durable_broker
    assert "AWS_ENDPOINT" not in servers.broker(s).child.env


def test_eddys_own_children_run_as_eddy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pgrep -f eddy` finds every worker: `python3 -m services.cli worker` had no "eddy"."""
    import sys

    s = Settings().override(stack={"data_dir": tmp_path})
    child = servers.eddy_child("worker-route", ["worker", "--role", "route"], s, {})
    assert child.argv[1].endswith("/eddy") and child.argv[2:] == ["worker", "--role", "route"]
    assert subprocess.run([*child.argv[:2], "--version"], capture_output=True).returncode == 0
    # Where the package has no script beside the interpreter: the module, as before.
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python3"))
    assert servers.eddy_command()[1:] == ["-m", "services.cli"]


@pytest.mark.parametrize("loop", [True, False])
def test_the_ports_checked_first_are_the_ones_the_servers_take(tmp_path: Path, loop: bool) -> None:
    # `eddy up` checks servers.addresses before it writes anything; a server whose address
    # drifted from it would pass the check and then fail to bind.
    bins = {f"{b}_bin": Path("/bin/true") for b in ("broker", "s3", "redis", "label_studio")}
    s = Settings().override(
        stack={"data_dir": tmp_path / "d", "with_label_studio": loop, **bins},
        kafka={"bootstrap": "127.0.0.1:29092,127.0.0.1:29093"},
        redis={"url": "redis://127.0.0.1:26379/0"},
        label_studio={"url": "http://127.0.0.1:28080"},
    )
    checked = servers.addresses(s)
    assert not (tmp_path / "d").exists(), "from the settings alone"
    started = servers.planned(s)
    assert [name for _, name, _ in checked] == [srv.child.name for srv in started]
    assert [a for a, _, _ in checked] == [srv.address.removeprefix("http://") for srv in started]
    assert ("127.0.0.1:28080" in [a for a, _, _ in checked]) is loop
