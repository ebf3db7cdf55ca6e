"""Does a process give memory back after training? Resident memory after each of a few
fine-tunes of one registry version on 300 airline tweets, with and without
``services.core.memory.release_memory`` (glibc's malloc_trim) after each (not part of Eddy's
package; the figures are in README § Long runs).

    .venv/bin/python scripts/memory_probe.py .eddy/demo-runs/<run>/models/v1 [--rounds 4]
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
from pathlib import Path


def rss_mb() -> int:
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") // 1_000_000


def rounds(model: Path, n: int, trim: bool) -> list[int]:
    from services.core.memory import release_memory
    from services.demo.airline import airline_tweets
    from services.model.classifier import TextClassifier
    from services.model.device import select_placement
    from services.model.train import TrainConfig, fine_tune, predict_labels

    tweets = airline_tweets()[:300]
    texts, labels = [t.text for t in tweets], [t.label for t in tweets]
    out = [rss_mb()]
    for _ in range(n):
        clf = TextClassifier.load(model, select_placement("cpu"), version=1, max_length=64)
        fine_tune(clf, texts, labels, TrainConfig(epochs=1))
        predict_labels(clf, texts)
        del clf
        if trim:
            release_memory()
        else:
            gc.collect()
        out.append(rss_mb())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path, help="a version's folder (model.safetensors, config)")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--child", choices=["keep", "trim"], help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:  # each mode in a fresh process: one's heap must not colour the other
        print(" ".join(map(str, rounds(a.model, a.rounds, a.child == "trim"))))
        return
    print("resident MB: at start, then after each training round")
    for mode in ("keep", "trim"):
        argv = [sys.executable, __file__, str(a.model), "--rounds", str(a.rounds)]
        got = subprocess.run([*argv, "--child", mode], capture_output=True, text=True, check=True)
        label = "gc only" if mode == "keep" else "gc + malloc_trim"
        print(f"{label:>16}: {got.stdout.strip()}")


if __name__ == "__main__":
    main()
