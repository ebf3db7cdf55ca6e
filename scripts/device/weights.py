"""The base encoder's weights small enough to travel to a GPU machine: fp16, bytes shuffled
(low bytes, then high bytes: xz then finds the exponents' redundancy), and back to fp32
safetensors there. ``pack SRC.safetensors DIR`` / ``unpack DIR OUT_DIR``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file


def pack(src: Path, out: Path) -> None:
    meta, chunks, off = {}, [], 0
    for k, v in load_file(str(src)).items():
        a = v.astype(np.float16) if v.dtype == np.float32 else v
        meta[k] = {"dtype": str(a.dtype), "shape": list(a.shape), "off": off, "n": a.nbytes}
        chunks.append(a.tobytes())
        off += a.nbytes
    raw = np.frombuffer(b"".join(chunks), dtype=np.uint8)
    assert raw.size % 2 == 0
    (out / "weights.bin").write_bytes(np.concatenate([raw[0::2], raw[1::2]]).tobytes())
    (out / "weights.json").write_text(json.dumps(meta))


def unpack(src: Path, out: Path) -> None:
    sh = np.frombuffer((src / "weights.bin").read_bytes(), dtype=np.uint8)
    raw = np.empty_like(sh)
    half = sh.size // 2
    raw[0::2], raw[1::2] = sh[:half], sh[half:]
    tensors = {}
    for k, m in json.loads((src / "weights.json").read_text()).items():
        a = np.frombuffer(raw[m["off"] : m["off"] + m["n"]].tobytes(), dtype=m["dtype"])
        a = a.reshape(m["shape"])
        tensors[k] = a.astype(np.float32) if a.dtype == np.float16 else a
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    for f in src.iterdir():
        if f.suffix in (".json", ".txt") and f.name != "weights.json":
            (out / f.name).write_bytes(f.read_bytes())


if __name__ == "__main__":
    {"pack": pack, "unpack": unpack}[sys.argv[1]](Path(sys.argv[2]), Path(sys.argv[3]))
