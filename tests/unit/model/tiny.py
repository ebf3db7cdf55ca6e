"""A tiny random BERT with the real tokenizer: model-code tests in a second, no real weights."""

from __future__ import annotations

from typing import Any

from transformers import AutoTokenizer, BertConfig, PreTrainedTokenizerBase

from services.model.base import base_model_path


def real_tokenizer() -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(str(base_model_path(None)), local_files_only=True)


def tiny_config(tokenizer: PreTrainedTokenizerBase, **extra: Any) -> BertConfig:
    # Wider initial weights than BERT's 0.02, so that random logits differ clearly from text
    # to text and an argmax comparison means something.
    return BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        initializer_range=0.3,
        **extra,
    )
