"""The workers' liveness in `eddy up`: their first heartbeats at start, and after that which
of them are wedged: alive, with records waiting, committing nothing.

A crashed worker is easy: it exits and is restarted. A wedged one is not. Faust can rejoin
its group after a broker restart, seek to its committed offsets and never fetch again
(faust-streaming#523), and its heartbeat goes on. A CI run of the kill test saw the last 100
events of a run never reach Label Studio that way, with every process alive. The rule is
ops.lag.stalled_groups, on offsets sampled from the broker in a thread of its own (a read
can take seconds while the broker is down; Ctrl-C must not wait for it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from services.core.settings import Settings
from services.ops.heartbeats import workers_alive
from services.ops.lag import LagSample, group_committed, group_lag, stalled_groups
from services.ops.offsets import OffsetReader, consumer_groups
from services.stack.probes import answers, dependency_urls, health_urls, http_ok
from services.stack.process import Child, StackError
from services.stack.supervise import Unanswered

log = logging.getLogger("eddy.stack.liveness")
EVERY_S = 10.0
Say = Callable[[str], None]


class StallWatch:
    def __init__(self, settings: Settings, roles: Sequence[str]) -> None:
        self.span_s = settings.console.stall_restart_s
        self.kafka = settings.kafka
        self.groups = consumer_groups(settings.kafka, roles)
        self.role_of = {g: g.removeprefix(f"{settings.kafka.app_id}-") for g in self.groups}
        self.samples: deque[LagSample] = deque()
        self._unread: tuple[float, str] | None = None  # since when offsets went unread, why
        self._said_unread = False
        self._notices: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="eddy-stall-watch", daemon=True)

    def start(self) -> StallWatch:
        if self.span_s > 0 and self.groups:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # daemon thread: a read in flight ends on its own timeouts

    def stalled(self) -> dict[str, int]:
        """Wedged roles -> records waiting; the evidence is then forgotten, so a restarted
        worker gets a whole span of its own."""
        with self._lock:
            found = stalled_groups(list(self.samples), self.span_s)
            if not found:
                return {}
            last = self.samples[-1]
            self.samples.clear()
        return {self.role_of[g]: last.lag[g] for g in found}

    def forget(self) -> None:
        """A child (re)started: what came before says nothing about it."""
        with self._lock:
            self.samples.clear()

    def unread(self, exc: BaseException, now: float) -> None:
        """Offsets could not be read. Said once they stay so for a whole span: no stall can be
        seen meanwhile, and a broker that lost its stored offsets stopped the whole pipeline
        while `eddy up` said nothing for minutes (a failure trial)."""
        with self._lock:
            if self._unread is None:
                first = str(exc).splitlines()[0][:160] if str(exc) else ""
                name = type(exc).__name__  # kafka-python's own text starts with it
                why = first if first.startswith(name) else f"{name}: {first}".rstrip(": ")
                self._unread = (now, why)
            since, why = self._unread
            if not self._said_unread and now - since >= self.span_s:
                self._said_unread = True
                self._notices.append(
                    f"could not read the consumer groups' offsets from the broker for "
                    f"{now - since:.0f}s ({why}): no stalled worker can be seen or restarted "
                    "meanwhile, and the workers may be waiting for the broker"
                )

    def read_again(self) -> None:
        with self._lock:
            if self._said_unread:
                self._notices.append("the broker answers offset reads again")
            self._unread, self._said_unread = None, False

    def notices(self) -> list[str]:
        """What to say, once each."""
        with self._lock:
            found, self._notices = self._notices, []
        return found

    def _run(self) -> None:
        reader: OffsetReader | None = None
        while not self._stop.wait(EVERY_S):
            try:
                reader = reader or OffsetReader(self.kafka, self.groups)
                rows = reader.read()
            except Exception as exc:  # broker down or restarting: no evidence either way
                log.debug("stall watch could not read offsets: %s", type(exc).__name__)
                self.unread(exc, time.monotonic())
                self.forget()
                if reader is not None:
                    _close(reader)
                    reader = None
                continue
            sample = LagSample(time.monotonic(), group_lag(rows), group_committed(rows))
            self.read_again()
            with self._lock:
                self.samples.append(sample)
                while self.samples and self.samples[0].at < sample.at - 2 * self.span_s:
                    self.samples.popleft()
        if reader is not None:
            _close(reader)


def _close(reader: OffsetReader) -> None:
    try:
        reader.close()
    except Exception as exc:  # a client of a broker that is gone; nothing of it to keep
        log.debug("stall watch could not close its Kafka clients: %s", type(exc).__name__)


class HttpWatch:
    """Probes each HTTP child's health URL every EVERY_S in a thread of its own (a probe of a
    hung server waits out its timeout; Ctrl-C must not wait for it)."""

    def __init__(
        self,
        urls: dict[str, str],
        every_s: float = EVERY_S,
        limit: int = 3,
        probe: Callable[[str], bool] = http_ok,
        limits: dict[str, int] | None = None,
    ) -> None:
        self.urls, self.every_s, self._probe = urls, every_s, probe
        self._count = Unanswered(limit, dict(limits or {}))
        self._hung: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="eddy-http-watch", daemon=True)

    @classmethod
    def for_stack(cls, settings: Settings) -> HttpWatch:
        """Eddy's HTTP children, and the servers they depend on: a Redis or Label Studio that
        hangs (alive, answering nothing) left `eddy up` silent while it restarted the workers
        waiting for it, which lost what they held (a failure trial). Those get 60 s, not 30:
        a busy Label Studio on two cores must not be taken for a hung one."""
        urls = health_urls(settings)
        deps = dependency_urls(settings)
        return cls({**urls, **deps}, probe=answers, limits=dict.fromkeys(deps, 6))

    def span_of(self, name: str) -> float:
        return self.every_s * self._count.limit_of(name)

    def start(self) -> HttpWatch:
        if self.urls:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def hung(self) -> list[str]:
        """Children whose probes went unanswered ``limit`` times in a row since last asked."""
        with self._lock:
            found, self._hung = sorted(self._hung), set()
        return found

    def forget(self, name: str) -> None:
        with self._lock:
            self._count.forget(name)
            self._hung.discard(name)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            for name, url in self.urls.items():
                try:
                    answered = self._probe(url)
                except Exception:  # refused, timed out: unanswered
                    answered = False
                with self._lock:
                    if self._count.probed(name, answered):
                        self._hung.add(name)


def restart_hung(watch: HttpWatch, children: Sequence[Child], say: Say) -> list[Child]:
    """Restart each alive child whose health URL stopped answering; returns them."""
    restarted = []
    for name in watch.hung():
        for c in children:
            if c.name == name and c.alive():  # a dead one is the crash path's to restart
                say(
                    f"{c.name} did not answer {watch.urls[name]} for "
                    f"{watch.span_of(name):.0f}s (alive but hung); restarting it"
                )
                c.stop(timeout_s=10)
                c.start()
                watch.forget(name)
                say(f"restarted {c.name} (pid {c.pid})")
                restarted.append(c)
    return restarted


def restart_stalled(watch: StallWatch, children: Sequence[Child], say: Say) -> list[Child]:
    """Restart the workers of each wedged role; returns them. Says the watch's notices."""
    broker = next((f"; broker log {c.log_path}" for c in children if c.name == "broker"), "")
    for notice in watch.notices():
        say(notice + (broker if notice.startswith("could not") else ""))
    restarted = []
    for role, waiting in watch.stalled().items():
        for c in children:
            mine = c.name == f"worker-{role}" or c.name.startswith(f"worker-{role}-")
            if mine and c.alive():  # a dead one is the crash path's to restart
                say(
                    f"{c.name} committed nothing for {watch.span_s:.0f}s with {waiting} "
                    f"record(s) waiting (EDDY_OPS_STALL_RESTART_S); restarting it"
                )
                c.stop(timeout_s=10)
                c.start()
                say(f"restarted {c.name} (pid {c.pid})")
                restarted.append(c)
    return restarted


def wait_for_heartbeats(
    settings: Settings, roles: Sequence[str], children: Sequence[Child], say: Say
) -> None:
    stack = settings.stack
    start = time.monotonic()
    while True:
        alive = workers_alive(settings.redis)
        missing = [r for r in roles if r not in alive]
        for c in children:
            if (c.name.startswith("worker-") or c.name == "trainer") and not c.alive():
                raise StackError(f"{c.name} exited; log {c.log_path}:\n{c.tail()}")
        if not missing:
            break
        if time.monotonic() - start > stack.startup_timeout_s:
            raise StackError(
                f"workers {missing} sent no heartbeat within "
                f"{stack.startup_timeout_s:.0f}s; see {stack.logs_dir}"
            )
        time.sleep(0.5)
    say(f"[ready] workers {', '.join(roles)} in {time.monotonic() - start:.1f}s")
