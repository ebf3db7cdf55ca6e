"""Export a saved sequence classifier to ONNX: fp32, and int8 by dynamic quantization.

The int8 file quantizes only the weights of the MatMuls (per output channel); activations
are quantized on the fly per batch by ONNX Runtime, so no calibration data is needed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import onnx
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoTokenizer, PreTrainedModel

from services.model.pooling import load_sequence_model

FP32_NAME = "model.onnx"
INT8_NAME = "model.int8.onnx"
# Written into each file's metadata, so a loader knows what it holds whatever its name.
PRECISION_KEY = "eddy.precision"
REDUCE_RANGE_KEY = "eddy.int8_reduce_range"  # "true": 7-bit weights (a CPU without VNNI)
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# Two texts of different lengths, so the traced sample carries padding and a real mask.
_SAMPLE = ["a short text", "a somewhat longer text, so that the sample batch needs padding"]


class _Logits(torch.nn.Module):
    """Positional inputs, bound to names in a fixed order, to the logits alone.

    The legacy exporter binds keyword inputs in ``forward()``'s parameter order but names the
    graph inputs in the caller's order: with BERT's (input_ids, token_type_ids,
    attention_mask) the mask and the token types swap silently and every logit shifts."""

    def __init__(self, model: PreTrainedModel, names: tuple[str, ...]) -> None:
        super().__init__()
        self.model = model
        self.names = names

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.model(**dict(zip(self.names, inputs, strict=True))).logits
        return logits


@contextlib.contextmanager
def _staged(final: Path) -> Iterator[Path]:
    """A temp path beside ``final``, renamed over it on success: a reader (a classify
    worker loading the file) never sees half a file; on failure the temp file goes."""
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def int8_saturates(cpuinfo: str | None = None) -> bool:
    """Whether ONNX Runtime's int8 MatMul can saturate on this CPU: x86-64 without VNNI
    multiplies u8 activations by s8 weights with VPMADDUBSW, whose pairwise int16 sums
    overflow with full-range 8-bit weights. Measured on an AVX2-only AMD EPYC: a tiny random
    BERT's int8 export agreed with torch on 78% of labels (probabilities off by up to 0.60)
    with 8-bit weights and on 98% with 7-bit ones (``reduce_range``, as ONNX Runtime's
    quantization guide advises there); with VNNI (or on ARM) full range is the better."""
    if platform.machine().lower() not in {"x86_64", "amd64"}:
        return False
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    if not flags:
        return False  # unknown: keep full range
    return not flags & {"avx512_vnni", "avx_vnni", "amx_int8"}


def _stamp(path: Path, precision: str, **props: str) -> None:
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, {PRECISION_KEY: precision, **props})
    onnx.save(model, str(path))


def _trace_to(
    model: PreTrainedModel, sample: dict[str, torch.Tensor], path: Path, opset: int
) -> None:
    names = tuple(n for n in INPUT_NAMES if n in sample)
    # A fresh Module starts in training mode, and the exporter sets the wrapper back to its
    # mode afterwards, recursively: without eval() the model would leave with dropout on.
    wrapper = _Logits(model, names).eval()
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    with warnings.catch_warnings(), torch.no_grad():
        # The legacy (TorchScript) exporter is chosen on purpose: it needs no onnxscript
        # and ONNX Runtime's dynamic quantizer takes its graphs as they are. Its deprecation
        # notices, and the tracer's notes on Python-level shape checks in transformers
        # (constant for a padded batch), are expected; the unit tests are what show that
        # the graph holds for other batch sizes and lengths.
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript")
        warnings.filterwarnings("ignore", message="The feature will be removed")
        warnings.filterwarnings("ignore", message="Exporting aten::index operator")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)  # type: ignore[attr-defined]
        torch.onnx.export(
            wrapper,
            tuple(sample[n] for n in names),
            str(path),
            input_names=list(names),
            output_names=["logits"],
            dynamic_axes={**axes, "logits": {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )


@contextlib.contextmanager
def _root_log_quiet() -> Iterator[None]:
    """onnxruntime's quantizer logs through the root logger: an INFO line per tensor and a
    "consider pre-processing" WARNING (pre-processing fails on this graph). Only its errors
    should reach Eddy's logs."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def export_onnx(
    model_dir: Path, out_dir: Path, *, int8: bool = True, opset: int = 17
) -> dict[str, Path]:
    """Write ``out_dir/model.onnx`` (fp32) and, with ``int8``, ``out_dir/model.int8.onnx``
    from the classifier saved in ``model_dir``. Local files only."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    # Eager attention: plain MatMul/Softmax with the mask added. The SDPA path decides
    # is_causal from Python-level checks on the inputs, which a trace freezes as constants.
    model = load_sequence_model(model_dir, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    sample = dict(tokenizer(_SAMPLE, padding=True, return_tensors="pt"))
    paths = {"fp32": out_dir / FP32_NAME}
    with _staged(paths["fp32"]) as tmp:
        _trace_to(model, sample, tmp, opset)
        _stamp(tmp, "fp32")
    if int8:
        paths["int8"] = out_dir / INT8_NAME
        seven_bits = int8_saturates()
        with _staged(paths["int8"]) as tmp, _root_log_quiet():
            quantize_dynamic(
                paths["fp32"],
                tmp,
                # Per-channel scales keep each output row's own range: one scale per matrix
                # cost MiniLM ~5 points of accuracy. Int8 embeddings (Gather) would shrink
                # the file (59 -> 23 MB) but slow each lookup, so only MatMuls are quantized.
                op_types_to_quantize=["MatMul"],
                per_channel=True,
                weight_type=QuantType.QInt8,
                reduce_range=seven_bits,
            )
            # Which CPU kind it was made for: an export served on the other kind is checked
            # only where it was made.
            _stamp(tmp, "int8", **{REDUCE_RANGE_KEY: str(seven_bits).lower()})
    return paths
