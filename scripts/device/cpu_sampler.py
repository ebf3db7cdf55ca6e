"""Every few seconds, the CPU share of each busy process (eddy roles named by their
arguments), so a bench run shows which process bounds the stream. ``cpu_sampler.py LOG``."""

from __future__ import annotations

import sys
import time

import psutil


def name(p: psutil.Process) -> str:
    args = p.cmdline()
    if "--role" in args:
        return "worker-" + args[args.index("--role") + 1]
    for word in ("bench", "gateway", "console", "tansu", "redis-server", "sweep"):
        if any(word in a for a in args):
            return word
    return p.name()


def main(log: str, every: float = 3.0) -> None:
    last: dict[int, float] = {}
    with open(log, "a") as f:
        while True:
            now, rows = time.time(), []
            for p in psutil.process_iter():
                try:
                    t = p.cpu_times()
                    total = t.user + t.system
                    prev = last.get(p.pid)
                    last[p.pid] = total
                    if prev is not None and total - prev > 0.05 * every:
                        rows.append(f"{name(p)}[{p.pid}] {100 * (total - prev) / every:.0f}%")
                except (psutil.Error, IndexError):
                    continue
            if rows:
                stamp = time.strftime("%H:%M:%S", time.localtime(now))
                f.write(f"{stamp} " + ", ".join(rows) + "\n")
                f.flush()
            time.sleep(every)


if __name__ == "__main__":
    main(sys.argv[1])
