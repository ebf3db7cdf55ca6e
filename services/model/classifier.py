"""A loaded sequence classifier: tokenizer + model + label set, ready to predict."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import torch
from transformers import AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from services.model import finite
from services.model.device import Placement
from services.model.pooling import Pooling, load_sequence_model
from services.model.tokens import Batch, TokenPipeline

# Weights live in fp32 whatever the checkpoint holds (transformers loads a half-precision
# checkpoint as half): training needs fp32 master weights; inference autocasts on CUDA.
FP32 = torch.float32


@dataclass
class TextClassifier(TokenPipeline):
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    labels: list[str]
    placement: Placement
    max_length: int = 64
    version: int = 0
    backend: str = "torch-fp32"

    @classmethod
    def load(
        cls,
        path: Path,
        placement: Placement,
        *,
        labels: Sequence[str] | None = None,
        max_length: int = 64,
        version: int = 0,
        pooling: Pooling = "cls",
    ) -> TextClassifier:
        """Load a saved classifier (with the pooling it was trained with), or (with
        ``labels``) a bare encoder with a new head of the given ``pooling``."""
        # Weights come from local directories only: a typo must never trigger a hub download.
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        if labels is not None:
            model = load_sequence_model(
                path,
                pooling,
                dtype=FP32,
                num_labels=len(labels),
                id2label=dict(enumerate(labels)),
                label2id={lab: i for i, lab in enumerate(labels)},
            )
        else:
            model = load_sequence_model(path, dtype=FP32)
        id2label = cast(dict[int, str], model.config.id2label)
        label_list = [str(id2label[i]) for i in range(len(id2label))]
        torch.nn.Module.to(model, placement.device)
        model.eval()
        backend = f"torch-{placement.precision}"
        return cls(model, tokenizer, label_list, placement, max_length, version, backend)

    @contextlib.contextmanager
    def _autocast(self) -> Iterator[None]:
        if self.placement.autocast_dtype is None:
            yield
            return
        with torch.autocast(self.placement.device.type, dtype=self.placement.autocast_dtype):
            yield

    def encode(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """Dynamic padding: pad to the longest text of this chunk, not to max_length."""
        enc = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        return {k: v.to(self.placement.device, non_blocking=True) for k, v in enc.items()}

    @torch.inference_mode()
    def forward(self, batch: Batch) -> list[list[float]]:
        device = self.placement.device
        inputs = {k: torch.from_numpy(v).to(device, non_blocking=True) for k, v in batch.items()}
        self.model.eval()
        with self._autocast():
            logits = self.model(**inputs).logits
        return list(torch.softmax(logits.float(), dim=-1).cpu().tolist())

    def weights_finite(self) -> bool:
        return finite.weights_finite(self.model)

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(path))
        self.tokenizer.save_pretrained(str(path))
