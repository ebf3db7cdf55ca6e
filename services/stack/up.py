"""`eddy up`: start the embedded stack (or only Eddy's processes against external servers),
wait until every part is ready, and stop everything cleanly on Ctrl-C / SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from types import FrameType

from services.core.kafka import ensure_topics
from services.core.roles import ROLES, STREAM_ROLES
from services.core.settings import Settings, exposed_without_secret, public_secrets
from services.core.settings.exposure import listen_address
from services.core.settings.ops import METRICS_OFFSETS
from services.core.topics import Topics
from services.registry.open import open_registry
from services.stack import mode, servers
from services.stack.champion import ChampionWatch
from services.stack.liveness import (
    HttpWatch,
    StallWatch,
    restart_hung,
    restart_stalled,
    wait_for_heartbeats,
)
from services.stack.logrotate import LogRotation
from services.stack.probes import ensure_ports_free, health_urls, http_ok
from services.stack.process import Child, StackError, stop_note
from services.stack.supervise import Backoff

Say = Callable[[str], None]


@dataclass
class Stack:
    settings: Settings
    external: bool = False
    say: Say = print
    children: list[Child] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _starting: bool = False
    roles: list[str] = field(default_factory=list)
    # Processes per stream role, each role one consumer group (`eddy bench --workers,
    # --normalize-workers, --route-workers`); 1 where absent. Normalize is stateless (dedupe
    # and threads live in Redis); route's caps live in Redis and its rate window counts its
    # share of partitions.
    replicas: dict[str, int] = field(default_factory=dict)

    @cached_property
    def champion(self) -> ChampionWatch:
        return ChampionWatch(open_registry(self.settings.stack), self.say)

    def _child_env(self) -> dict[str, str]:
        # Children get the full settings explicitly, so CLI overrides reach them too.
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDDY_")}
        env.update(self.settings.to_env())
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def preflight(self) -> list[servers.Server]:
        """Resolve binaries and check ports before starting anything: fail early and clearly."""
        public = public_secrets(self.settings) if self.external else []
        if public:
            raise StackError(
                f"--external needs real secrets; set {', '.join(public)} (missing, or the "
                "public default from this repository)"
            )
        planned = [] if self.external else servers.planned(self.settings)
        # Each of these refuses to start exposed without its secret: said here, not after a
        # minute of starting servers and then tearing them down.
        refused = [r for r in (exposed_without_secret(self.settings, x) for x in self._own()) if r]
        if refused:
            raise StackError("; ".join(refused))
        ensure_ports_free(self.port_checks())
        return planned

    def _own(self) -> list[str]:
        """Eddy's own servers this stack starts."""
        loop = ["webhook", "ml-backend"] if self.settings.stack.with_label_studio else []
        return ["gateway", *loop, "console"]

    def port_checks(self) -> list[tuple[str, str, str]]:
        """Every port this stack will listen on, as (address, what, setting), from the
        settings alone: `eddy up` checks them before it generates secrets or makes folders."""
        checks = [] if self.external else servers.addresses(self.settings)
        for server in self._own():
            host, listens, variable = listen_address(self.settings, server)
            what = "ops console" if server == "console" else server
            checks.append((f"{host}:{listens}", what, variable))
        metrics = self.settings.metrics
        for process in self._processes():
            port = metrics.port_for(process)
            if port is not None:
                checks.append((f"{metrics.host}:{port}", f"{process} metrics", "EDDY_METRICS_PORT"))
        return checks

    def _processes(self) -> list[str]:
        """Eddy's own processes this stack starts (each has a /metrics port)."""
        if not self.settings.stack.with_label_studio:
            return [*STREAM_ROLES, "gateway", "console"]
        return [*ROLES, "trainer", "webhook", "ml-backend", "gateway", "console"]

    def start(self) -> None:
        self._starting = True
        try:
            self._start()
        finally:
            self._starting = False

    def _start(self) -> None:
        self.settings.stack.logs_dir.mkdir(parents=True, exist_ok=True)
        self._start_servers(self.preflight())
        self._create_topics()
        env = self._child_env()
        self._start_workers(env)
        if self.settings.stack.with_label_studio:
            self._start_label_side(env)
        self._start_gateway(env)
        self._start_console(env)
        wait_for_heartbeats(self.settings, self.roles, self.children, self.say)
        self.champion.announce()

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> Child:
        child = servers.eddy_child(name, args, self.settings, env)
        child.start()
        self.children.append(child)
        process = name.removeprefix("worker-")
        url = self.settings.metrics.url_for(process) if process in METRICS_OFFSETS else None
        self.say(f"started {name} (pid {child.pid})" + (f", metrics {url}" if url else ""))
        return child

    def _start_servers(self, planned: list[servers.Server]) -> None:
        # The broker's S3 storage comes first; then the rest all at once: their boots overlap.
        first = [srv for srv in planned if srv.child.name == "s3"]
        for group in (first, [srv for srv in planned if srv not in first]):
            for srv in group:
                srv.child.start()
                self.children.append(srv.child)
                self.say(f"started {srv.child.name} (pid {srv.child.pid}) on {srv.address}")
            for srv in group:
                secs = srv.child.wait_ready(srv.probe, self.settings.stack.startup_timeout_s)
                self.say(f"[ready] {srv.child.name} in {secs:.1f}s")
        if not self.external and not self.settings.stack.durable_broker:
            self.say(
                "note: the broker keeps topics in memory (EDDY_BROKER_STORAGE); events not yet "
                "processed are lost when the stack stops"
            )

    def _create_topics(self) -> None:
        s = self.settings
        created = ensure_topics(
            s.kafka, Topics.from_settings(s.kafka).all(), timeout_s=s.stack.startup_timeout_s
        )
        self.say(f"[ready] topics ({len(created)} created, {s.kafka.partitions} partitions each)")

    def _start_workers(self, env: dict[str, str]) -> None:
        # With --external, EDDY_WITH_LABEL_STUDIO says whether an external one is there.
        # Without Label Studio the stream still runs; the label side of the loop does not.
        loop = self.settings.stack.with_label_studio
        roles = ROLES if loop else STREAM_ROLES
        self.roles = [*roles, "trainer"] if loop else list(roles)
        for role in roles:
            for i in range(self.replicas.get(role, 1)):
                # Extra replicas serve no /metrics: the role's port is the first one's.
                own = {**env, "EDDY_METRICS_PORT": "0"} if i else env
                self._spawn(
                    f"worker-{role}" + (f"-{i + 1}" if i else ""), ["worker", "--role", role], own
                )

    def _ready(self, child: Child, what: str, then: str = "") -> None:
        url = health_urls(self.settings)[child.name]
        secs = child.wait_ready(lambda: http_ok(url), self.settings.stack.startup_timeout_s)
        self.say(f"[ready] {what} in {secs:.1f}s{then}")

    def _start_label_side(self, env: dict[str, str]) -> None:
        webhook = self._spawn("webhook", ["webhook"], env)
        self._spawn("trainer", ["trainer"], env)
        ml = self._spawn("ml-backend", ["ml-backend"], env)
        self._ready(webhook, f"webhook receiver on {self.settings.label_studio.webhook_target}")
        target = self.settings.annotation.ml_backend_target
        self._ready(ml, f"Label Studio ML backend at {target}")

    def _start_gateway(self, env: dict[str, str]) -> None:
        base = health_urls(self.settings)["gateway"].removesuffix("/healthz")
        self._ready(self._spawn("gateway", ["gateway"], env), f"gateway on {base}")

    def _start_console(self, env: dict[str, str]) -> None:
        base = health_urls(self.settings)["console"].removesuffix("/healthz")
        where = self.settings.stack.data_dir / "secrets.env"
        self._ready(
            self._spawn("console", ["console"], env),
            f"ops console on {base}/",
            f" (sign in with EDDY_CONSOLE_TOKEN from {where})",
        )

    def stop_child(self, name: str) -> None:
        """Stop one child and forget it."""
        for child in [c for c in self.children if c.name == name]:
            self._stop_one(child)
            self.children.remove(child)

    def stop(self) -> None:
        # Reverse order: workers stop producing before the broker and Redis go away.
        for child in reversed(self.children):
            self._stop_one(child)
        self.children.clear()

    def _stop_one(self, child: Child) -> None:
        if child.proc is not None:  # SIGTERM, then SIGKILL after 10 s: each stops well within
            self.say(f"stopped {child.name}{stop_note(child.stop(timeout_s=10))}")

    def watch(self) -> int:
        """Block until a signal. A child that dies is restarted with backoff, and `eddy up`
        says so: servers keep their data on disk (Redis AOF, Label Studio's database, topics
        in S3), so they restart in place too, as does a wedged worker (stack.stall). Only a
        broker whose topics were in memory stops the stack (exit 1)."""
        backoff, stall = Backoff(), StallWatch(self.settings, self.roles).start()
        http = HttpWatch.for_stack(self.settings).start()
        now = time.monotonic()
        for c in self.children:
            backoff.started(c.name, now)
        due: dict[str, float] = {}
        self.champion.start()
        mb = self.settings.stack.log_max_mb
        logs = LogRotation(lambda: [c.log_path for c in self.children], mb, self.say)
        while not self._stop.wait(1.0):
            now = time.monotonic()
            logs.tick(now)
            for c in restart_stalled(stall, self.children, self.say) + restart_hung(
                http, self.children, self.say
            ):
                backoff.started(c.name, now)
            for c in self.children:
                if c.name in due:
                    if now >= due[c.name]:
                        del due[c.name]
                        c.start()
                        backoff.started(c.name, now)
                        stall.forget()
                        http.forget(c.name)
                        self.say(f"restarted {c.name} (pid {c.pid})")
                    continue
                if not c.alive():
                    code = c.proc.returncode if c.proc else None
                    if c.name == "broker" and not self.settings.stack.durable_broker:
                        # Its topics were in memory: a broker restarted in place would serve
                        # none of them, and the workers would stall.
                        self.say(
                            f"{c.name} exited unexpectedly (code {code}); stopping everything; "
                            f"log {c.log_path}:\n{c.tail()}"
                        )
                        stall.stop()
                        http.stop()
                        self.champion.stop()
                        return 1
                    c.stop(timeout_s=5)  # reap it and anything it left in its process group
                    delay, streak = backoff.crashed(c.name, now)
                    due[c.name] = now + delay
                    self.say(
                        f"{c.name} exited unexpectedly (code {code}, crash {streak} in a row); "
                        f"restarting in {delay:.0f}s; log {c.log_path}:\n{c.tail()}"
                    )
        stall.stop()
        http.stop()
        self.champion.stop()
        return 0

    def request_stop(self, signum: int, _frame: FrameType | None) -> None:
        self.say(f"received {signal.Signals(signum).name}, stopping")
        self._stop.set()
        if self._starting:
            # Abort a long boot (Label Studio migrations take a minute) right away.
            raise KeyboardInterrupt


def run_up(settings: Settings, external: bool, say: Say) -> int:
    stack = Stack(settings, external, say)
    previous = {
        sig: signal.signal(sig, stack.request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    data_dir = settings.stack.data_dir
    mode.record(data_dir, settings.stack.with_label_studio)
    try:
        try:
            stack.start()
        except KeyboardInterrupt:
            return 130
        say("Eddy is up. Ctrl-C stops everything.")
        return stack.watch()
    finally:
        stack.stop()
        mode.clear(data_dir)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
