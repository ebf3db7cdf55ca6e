"""A classifier served by ONNX Runtime, with the surface the stream uses of TextClassifier:
the shared tokenize / plan / collate steps (``TokenPipeline``) and its own ``forward``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from services.model.device import Placement
from services.model.onnx_export import PRECISION_KEY
from services.model.tokens import Batch, TokenPipeline


def read_labels(model_dir: Path) -> list[str]:
    """Labels in class-index order, from the saved model's config.json."""
    id2label = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["id2label"]
    return [str(id2label[str(i)]) for i in range(len(id2label))]


def providers_for(placement: Placement, available: Sequence[str]) -> list[str]:
    """CUDA first when the placement asks for it and this onnxruntime build has it; CPU
    always last, so ONNX Runtime can place what CUDA does not implement."""
    if placement.device.type == "cuda" and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def onnx_weights_finite(path: Path) -> bool:
    """True when no float initializer (or Constant) of the ONNX file holds a NaN or an
    infinity. Integer tensors (int8 weights, zero points) are finite by construction; the
    float scales that dequantize them are checked."""
    model = onnx.load(str(path))
    tensors = list(model.graph.initializer)
    tensors += [a.t for n in model.graph.node if n.op_type == "Constant" for a in n.attribute]
    for tensor in tensors:
        arr = numpy_helper.to_array(tensor)
        if arr.dtype.kind in "biu" or arr.size == 0:
            continue
        if not np.isfinite(arr.astype(np.float32, copy=False)).all():
            return False
    return True


def softmax(logits: np.ndarray[Any, np.dtype[Any]]) -> list[list[float]]:
    z = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    probs: list[list[float]] = (e / e.sum(axis=-1, keepdims=True)).tolist()
    return probs


@dataclass
class OnnxClassifier(TokenPipeline):
    session: ort.InferenceSession
    tokenizer: PreTrainedTokenizerBase
    labels: list[str]
    placement: Placement
    onnx_path: Path
    max_length: int = 64
    version: int = 0
    backend: str = "onnx-fp32"
    # Callers that reach for the torch module (training, weights_finite(clf.model)) find
    # None here instead of an AttributeError; they ask ``weights_finite()`` instead.
    model: ClassVar[None] = None

    @classmethod
    def load(
        cls,
        model_dir: Path,
        onnx_path: Path,
        placement: Placement,
        *,
        max_length: int = 64,
        version: int = 0,
        threads: int | None = None,
    ) -> OnnxClassifier:
        """``model_dir`` is the saved HF classifier (tokenizer, labels); ``onnx_path`` one of
        the files ``export_onnx`` wrote from it."""
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        labels = read_labels(model_dir)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads is not None:
            options.intra_op_num_threads = threads
        # ONNX Runtime's threads spin between passes by default: in a stream that burns the
        # cores the other stages (and the broker) need while the worker waits for a batch.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = providers_for(placement, ort.get_available_providers())
        session = ort.InferenceSession(str(onnx_path), options, providers=providers)
        width = session.get_outputs()[0].shape[-1]
        if isinstance(width, int) and width != len(labels):
            raise ValueError(f"{onnx_path} gives {width} logits but {model_dir} has {labels}")
        meta = session.get_modelmeta().custom_metadata_map
        backend = f"onnx-{meta.get(PRECISION_KEY, 'fp32')}"
        return cls(session, tokenizer, labels, placement, onnx_path, max_length, version, backend)

    def forward(self, batch: Batch) -> list[list[float]]:
        """Probabilities for one padded batch. Inputs the graph does not take (token types
        for a model exported without them) are left out."""
        wanted = [i.name for i in self.session.get_inputs()]
        (logits,) = self.session.run(["logits"], {name: batch[name] for name in wanted})
        return softmax(np.asarray(logits))

    def weights_finite(self) -> bool:
        """Reads the file the session was built from: ONNX Runtime does not hand its
        weights back, and they cannot change after load."""
        return onnx_weights_finite(self.onnx_path)
