"""How the classifier head reads the encoder: BERT's [CLS] pooler or the mean of the tokens.

Hugging Face's sequence classifier puts its head on the [CLS] token through BERT's pooler.
all-MiniLM-L6-v2 was trained as a sentence encoder on the *mean* of its token vectors, and a
head on that mean learns more from few labels (README § Training recipe: 0.798-0.800 against
0.739-0.788 from 300-400 airline tweets), so new models use it by default. A model records
its pooling in its config (``eddy_pooling``), so a saved model is always loaded with the head
it was trained with; models saved before this setting existed have none: [CLS] models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, cast

import torch
import torch.nn.functional as F
from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    BertForSequenceClassification,
    PreTrainedModel,
)
from transformers.modeling_outputs import SequenceClassifierOutput

Pooling = Literal["cls", "mean"]
POOLING_KEY = "eddy_pooling"


class BertMeanPoolForSequenceClassification(BertForSequenceClassification):
    """BERT with its classification head on the mask-weighted mean of the last layer (the
    pooler's weights stay in the file, unused, so both kinds share one layout)."""

    def forward(  # type: ignore[override]
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **_: Any,
    ) -> SequenceClassifierOutput:
        hidden = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        if attention_mask is None:
            mask = torch.ones_like(hidden[..., :1])
        else:
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        logits = self.classifier(self.dropout(pooled))
        loss = None
        if labels is not None:
            loss = cast(torch.FloatTensor, F.cross_entropy(logits.float(), labels))
        return SequenceClassifierOutput(loss=loss, logits=logits)


def saved_pooling(path: Path) -> Pooling:
    """The pooling a saved model was trained with ([CLS] when it does not say)."""
    config = AutoConfig.from_pretrained(str(path), local_files_only=True)
    return "mean" if getattr(config, POOLING_KEY, "cls") == "mean" else "cls"


def load_sequence_model(
    path: Path, pooling: Pooling | None = None, **kwargs: Any
) -> PreTrainedModel:
    """A saved classifier with the head it was trained with (``pooling`` None), or the base
    encoder with a new head of the given pooling. Local files only."""
    config = AutoConfig.from_pretrained(str(path), local_files_only=True)
    chosen = pooling or ("mean" if getattr(config, POOLING_KEY, "cls") == "mean" else "cls")
    if chosen == "cls":
        model: PreTrainedModel = AutoModelForSequenceClassification.from_pretrained(
            str(path), local_files_only=True, **kwargs
        )
        return model
    if config.model_type != "bert":
        raise ValueError(
            f"mean pooling needs a BERT-family encoder, {path} is {config.model_type!r}: "
            "set EDDY_MODEL_POOLING=cls"
        )
    mean = BertMeanPoolForSequenceClassification.from_pretrained(
        str(path), local_files_only=True, **kwargs
    )
    setattr(mean.config, POOLING_KEY, "mean")  # saved with the model: loaded back as mean
    return mean
