"""`eddy bootstrap`, `produce`, `topics`, `promote`, `rollback`, `versions` from the command
line."""

from __future__ import annotations

import csv
import getpass
import json
import os
import random
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from services.core.settings import Settings
from services.core.topics import Topics
from services.demo.simulator import make_event
from services.registry.rollout import change_champion
from services.registry.store import ModelRegistry
from tests.conftest import seed_examples
from tests.helpers import TopicReader

pytestmark = pytest.mark.e2e


def eddy(s: Settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **s.to_env()}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_bootstrap_from_csv_makes_version_1_champion(tmp_path: Path, settings: Settings) -> None:
    seed = tmp_path / "seed.csv"
    with seed.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        for e in seed_examples(40, seed=9):
            w.writerow([e.text, e.label])
    s = settings.override(stack={"data_dir": tmp_path / "d"})
    # --force: one epoch on 32 examples may well be no use; this test is about the plumbing.
    r = eddy(s, "bootstrap", "--seed", str(seed), "--epochs", "1", "--force")
    assert r.returncode == 0, r.stderr
    assert "model v1 is champion" in r.stderr
    said = " ".join(r.stderr.split())
    assert re.search(r"holdout accuracy \d\.\d{3} \(majority class \d\.\d{3}\), macro-F1", said)
    reg = ModelRegistry(s.stack.models_dir)
    champ = reg.champion()
    assert champ is not None and champ.version == 1
    assert champ.labels == ["negative", "neutral", "positive"]
    meta = champ.meta
    assert meta["data"]["train"] + meta["data"]["holdout"] == 40
    assert {"accuracy", "macro_f1"} <= set(meta["metrics"])
    assert (champ.path / "config.json").is_file() and (champ.path / "model.safetensors").is_file()
    assert reg.history()[-1]["by"] == f"eddy bootstrap ({getpass.getuser()}@{socket.gethostname()})"

    # A new seed that renames 'negative': said, and the old name leaves the kept seed (kept,
    # it failed every training run after).
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(seed.read_text().replace(",negative", ",complaint"))
    r = eddy(s, "bootstrap", "--seed", str(renamed), "--epochs", "1", "--force")
    assert r.returncode == 0, r.stderr
    said = " ".join(r.stderr.split())
    assert "note: the label set changed (added: complaint; gone: negative)" in said
    assert "the earlier seed's examples with a label the new set lacks (" in said
    assert reg.champion_version() == 2 and reg.get(2).labels == ["complaint", "neutral", "positive"]
    kept = (s.stack.models_dir / "seed_train.jsonl").read_text()
    kept += (s.stack.models_dir / "seed_holdout.jsonl").read_text()
    assert '"complaint"' in kept and '"negative"' not in kept


def test_bootstrap_refuses_a_useless_model_and_an_existing_champion(
    tmp_path: Path, settings: Settings
) -> None:
    seed = tmp_path / "seed.csv"
    with seed.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        for i in range(40):  # no signal in the text: only the majority class can be learnt
            w.writerow(["my flight was on tuesday", "negative" if i % 4 else "positive"])
    s = settings.override(stack={"data_dir": tmp_path / "d"})
    r = eddy(s, "bootstrap", "--seed", str(seed), "--epochs", "1")
    assert r.returncode == 1
    assert "WARNING" in r.stderr and "predicts one class" in r.stderr
    assert "v1 is not champion" in r.stderr and "--force" in r.stderr
    reg = ModelRegistry(s.stack.models_dir)
    assert reg.champion_version() is None and reg.get(1).meta["status"] == "rejected"
    assert eddy(s, "bootstrap", "--seed", str(seed), "--epochs", "1", "--force").returncode == 0
    assert reg.champion_version() == 2
    r = eddy(s, "bootstrap", "--seed", str(seed), "--epochs", "1")
    assert r.returncode == 1 and "already has a champion (v2)" in r.stderr
    assert reg.versions() == [1, 2], "a refused bootstrap trains nothing"
    # The deploy's bootstrap job runs on every rollout: a champion means nothing to do.
    r = eddy(s, "bootstrap", "--seed", str(tmp_path / "absent.csv"), "--if-missing")
    assert r.returncode == 0 and "v2 is champion already" in r.stderr, r.stderr
    assert reg.versions() == [1, 2]


def test_bootstrap_bad_seed_is_a_clear_error(tmp_path: Path, settings: Settings) -> None:
    bad = tmp_path / "seed.csv"
    bad.write_text("words,sentiment\nhello,pos\n")
    r = eddy(settings.override(stack={"data_dir": tmp_path / "d"}), "bootstrap", "--seed", str(bad))
    assert r.returncode == 1 and "seed.csv:2: no 'text' or 'label' column" in r.stderr


def test_produce_reports_invalid_lines_and_sends_the_rest(
    tmp_path: Path, settings: Settings, broker: str
) -> None:
    rng = random.Random(0)
    good = make_event("chat", 1, "hello", rng, "cli")
    bad = make_event("chat", 2, "x", rng, "cli")
    del bad["text"]
    last = make_event("chat", 3, "bye", rng, "cli")
    f = tmp_path / "events.jsonl"
    # A blank line does not shift the numbers: they are the file's, as an editor shows them.
    # What the gateway refuses as JSON is refused here too, line by line: a lone surrogate
    # and a byte that is not UTF-8 crashed the command halfway, duplicate keys were merged.
    lines = [json.dumps(good).encode(), b"", json.dumps(bad).encode(), b"{oops",
             json.dumps(good).replace('"hello"', '"x\\ud800"').encode(),
             json.dumps(good).replace('"hello"', '"x"').encode() + b"\xff",
             b'{"text": "a", "text": "b"}',
             json.dumps(last).encode(),
             json.dumps({**bad, "text": "fixed"}).encode(),  # line 3's id, refused there: sent
             json.dumps(good).encode()]  # fmt: skip
    f.write_bytes(b"\n".join(lines) + b"\n")
    r = eddy(settings, "produce", str(f), "--channel", "chat", "--json")
    assert r.returncode == 1
    assert "line 3: invalid chat event: $.text is required" in r.stderr
    assert "line 4: not acceptable JSON (invalid JSON" in r.stderr
    said = " ".join(r.stderr.split())
    assert "line 5: not acceptable JSON (a string holds a lone surrogate" in said
    assert "line 6: not acceptable JSON (not UTF-8" in said
    assert "line 7: not acceptable JSON (duplicate key" in said
    # Line 10 repeats line 1's id: the gateway refuses that in a batch, normalize would drop it.
    assert "line 10: $.event_id: same event_id as line 1" in said
    assert "sent 3 event(s) to chat; 6 invalid line(s) not sent" in r.stderr
    report = json.loads(r.stdout)  # --json: the same on stdout, for a script
    assert (report["channel"], report["sent"]) == ("chat", 3)
    assert [i["line"] for i in report["invalid"]] == [3, 4, 5, 6, 7, 10]
    assert "$.text is required" in report["invalid"][0]["error"]


def test_produce_raw_reports_a_line_too_large_and_goes_on(
    tmp_path: Path, settings: Settings, broker: str
) -> None:
    """A 2 MB line stopped the run with a traceback after the lines before it were sent (a
    rerun sent those twice): it is reported like an invalid line and the rest are sent."""
    event = json.dumps(make_event("chat", 1, "hello", random.Random(0), "raw")).encode()
    big = b'{"text": "' + b"x" * 2_000_000 + b'"}'
    f = tmp_path / "events.jsonl"
    f.write_bytes(b"\n".join([event, big, event]) + b"\n")
    r = eddy(settings, "produce", str(f), "--channel", "chat", "--raw", "--json")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    report = json.loads(r.stdout)
    assert report["sent"] == 2
    assert report["invalid"] == [{"line": 2, "error": f"{len(big):,} bytes: too large to send"}]


def test_produce_from_stdin_sends_each_line_as_it_comes(
    tmp_path: Path, settings: Settings, broker: str
) -> None:
    """`tail -f x | eddy produce -`: it read all of stdin before sending anything, so a
    stream piped in sent nothing until it ended, and Ctrl-C lost all of it without a word."""
    import signal
    import uuid

    s = settings.override(kafka={"topic_prefix": f"p{uuid.uuid4().hex[:6]}."})
    assert eddy(s, "topics", timeout=60).returncode == 0
    reader = TopicReader(s.kafka, Topics.from_settings(s.kafka).channel("chat"))
    env = {**os.environ, **s.to_env()}
    argv = [sys.executable, "-m", "services.cli", "produce", "-", "--channel", "chat"]
    with subprocess.Popen(
        argv, env=env, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdin is not None and proc.stderr is not None
        try:
            proc.stdin.write(json.dumps(make_event("chat", 1, "hi", random.Random(0))) + "\n")
            proc.stdin.flush()  # and the pipe stays open, as under tail -f
            got = reader.wait_for(lambda rs: len(rs) >= 1, 60)
            assert [e["text"] for e in got] == ["hi"]
        finally:
            reader.close()
            proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130
        said = " ".join(proc.stderr.read().split())
    assert "interrupted: sent 1 event(s) to chat" in said and "Traceback" not in said, said


def test_produce_without_broker_fails_fast(tmp_path: Path, settings: Settings) -> None:
    f = tmp_path / "e.jsonl"
    f.write_text(json.dumps(make_event("ads", 1, "x", random.Random(0))) + "\n")
    s = settings.override(kafka={"bootstrap": "127.0.0.1:1"})
    r = eddy(s, "produce", str(f), "--channel", "ads", timeout=60)
    assert r.returncode == 1 and "no Kafka broker reachable" in r.stderr


def test_topics_are_created_once(settings: Settings, broker: str) -> None:
    import uuid

    s = settings.override(kafka={"topic_prefix": f"x{uuid.uuid4().hex[:6]}."})
    first = eddy(s, "topics", timeout=60)
    assert first.returncode == 0 and "10 topic(s) created" in first.stderr
    again = eddy(s, "topics", timeout=60)
    assert again.returncode == 0 and "0 topic(s) created (all existed)" in again.stderr


def test_promote_rollback_versions_from_the_command_line(
    tmp_path: Path, settings: Settings, broker: str
) -> None:
    s = settings.override(stack={"registry_dir": tmp_path / "models"})
    reg = ModelRegistry(s.stack.models_dir)
    for kind in ("bootstrap", "incremental"):
        meta = {"labels": ["a", "b"], "kind": kind, "decision": ["holdout 30 < 40"]}
        reg.add(lambda d: (d / "w").write_text("x"), meta)
    change_champion(reg, 1, "bootstrapped", "seed")

    r = eddy(s, "promote", "2", "--reason", "checked by hand")
    assert r.returncode == 0 and "v1 -> v2" in r.stderr, r.stderr
    assert r.stderr.count("v2") == 1, r.stderr  # said once (not again by the registry's log)
    assert reg.champion_version() == 2
    r = eddy(s, "promote", "7")
    assert r.returncode == 1 and "not found" in r.stderr
    rows = json.loads(eddy(s, "versions", "--json").stdout)
    assert [(x["version"], x["status"]) for x in rows] == [(1, "-"), (2, "champion")]
    assert rows[1]["decision"] == ["holdout 30 < 40"], "the gate's reasons, a list as in the report"
    table = eddy(s, "versions").stdout  # a version the loop made reads so, whatever its recipe
    assert "loop" in table and "incremental" not in table, table
    r = eddy(s, "rollback", "--json")  # the models.v1 event it published
    assert r.returncode == 0, r.stderr
    assert {k: json.loads(r.stdout)[k] for k in ("type", "version", "previous_version")} == {
        "type": "rolled_back",
        "version": 1,
        "previous_version": 2,
    }
    rows = json.loads(eddy(s, "versions", "--json").stdout)
    assert [(x["version"], x["status"], x["gate_status"]) for x in rows] == [
        (1, "champion", "-"),
        (2, "rolled_back", "-"),
    ]
    assert "rolled back (gate: -)" in eddy(s, "versions").stdout
    r = eddy(s, "rollback")
    assert r.returncode == 1 and "no earlier champion" in r.stderr
    # Who made each change: the command, the login and the host, in the history and events.
    who = f"({getpass.getuser()}@{socket.gethostname()})"
    assert [e.get("by") for e in reg.history()] == [
        None,
        f"eddy promote {who}",
        f"eddy rollback {who}",
    ]
    assert "`eddy promote VERSION` makes any unpruned one champion" in " ".join(r.stderr.split())
    reader = TopicReader(s.kafka, Topics.from_settings(s.kafka).models)
    try:
        events = reader.wait_for(lambda rs: len(rs) >= 2, 30)
    finally:
        reader.close()
    assert [(e["type"], e["version"], e["by"]) for e in events][-2:] == [
        ("promoted", 2, f"eddy promote {who}"),
        ("rolled_back", 1, f"eddy rollback {who}"),
    ]


def test_servers_beyond_loopback_refuse_weak_secrets(settings: Settings) -> None:
    """What compose and Kubernetes run: `eddy gateway` / `eddy webhook` on 0.0.0.0."""
    s = settings.override(
        gateway={"host": "0.0.0.0", "token": "change-me"},
        label_studio={"webhook_host": "0.0.0.0"},  # with the repository's public secret
    )
    for command, secret in (("gateway", "EDDY_GATEWAY_TOKEN"), ("webhook", "EDDY_WEBHOOK_SECRET")):
        done = eddy(s, command, timeout=60)
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"{secret} is missing, the public default or under 16 characters" in (
            done.stdout + done.stderr
        )
