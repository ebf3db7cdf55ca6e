"""The classifier head's pooling: a mean-pooled model is saved with its pooling, loaded back
with the same head (by the trainer, the ONNX export and the bench), and pools over real
tokens only; a model that does not say is a [CLS] model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from transformers import BertForSequenceClassification, BertModel

from services.model.classifier import TextClassifier
from services.model.device import Placement
from services.model.onnx_export import export_onnx
from services.model.pooling import (
    BertMeanPoolForSequenceClassification,
    load_sequence_model,
    saved_pooling,
)
from tests.unit.model.tiny import real_tokenizer, tiny_config

LABELS = ["negative", "neutral", "positive"]
CPU = Placement(torch.device("cpu"), None)
TEXTS = ["flight delayed again", "crew was great and the seats were comfy all the way", "ok"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT encoder with the real tokenizer, saved like a base model."""
    root = tmp_path_factory.mktemp("base")
    tokenizer = real_tokenizer()
    config = tiny_config(tokenizer)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        encoder = BertModel(config)  # no head, as the real base encoder
    encoder.save_pretrained(str(root))
    tokenizer.save_pretrained(str(root))
    return root


def _new(base: Path, pooling: str) -> TextClassifier:
    with torch.random.fork_rng():
        torch.manual_seed(1)
        return TextClassifier.load(base, CPU, labels=LABELS, pooling=pooling)  # type: ignore[arg-type]


def test_a_mean_model_is_saved_and_loaded_back_as_mean(base: Path, tmp_path: Path) -> None:
    clf = _new(base, "mean")
    assert isinstance(clf.model, BertMeanPoolForSequenceClassification)
    clf.save(tmp_path / "v1")
    assert saved_pooling(tmp_path / "v1") == "mean"
    again = TextClassifier.load(tmp_path / "v1", CPU)
    assert isinstance(again.model, BertMeanPoolForSequenceClassification)
    np.testing.assert_allclose(again.predict_proba(TEXTS), clf.predict_proba(TEXTS), atol=1e-6)


def test_a_model_that_does_not_say_is_a_cls_model(base: Path, tmp_path: Path) -> None:
    clf = _new(base, "cls")
    clf.save(tmp_path / "v1")
    assert saved_pooling(tmp_path / "v1") == "cls"
    model = load_sequence_model(tmp_path / "v1")
    assert type(model) is BertForSequenceClassification


def test_the_mean_ignores_padding(base: Path) -> None:
    """A text alone and the same text padded in one batch with a longer one score the same."""
    clf = _new(base, "mean")
    with torch.no_grad():
        alone = clf.model(**clf.encode(TEXTS[:1])).logits[0]
        batch = clf.encode(TEXTS)
        assert int(batch["attention_mask"][0].sum()) < batch["attention_mask"].shape[1]
        padded = clf.model(**batch).logits[0]
    torch.testing.assert_close(alone, padded, atol=1e-5, rtol=1e-5)


def test_a_mean_model_trains_and_its_loss_falls(base: Path) -> None:
    from services.model.train import TrainConfig, fine_tune

    clf = _new(base, "mean")
    result = fine_tune(clf, TEXTS * 4, LABELS * 4, TrainConfig(epochs=6, batch_size=4, lr=1e-3))
    assert result.final_loss < 1.0


def test_the_onnx_export_of_a_mean_model_keeps_its_head(base: Path, tmp_path: Path) -> None:
    clf = _new(base, "mean")
    clf.save(tmp_path / "v1")
    paths = export_onnx(tmp_path / "v1", tmp_path / "onnx", int8=False)
    session = ort.InferenceSession(str(paths["fp32"]), providers=["CPUExecutionProvider"])
    enc = clf.tokenizer(TEXTS, padding=True, return_tensors="np")
    names = {i.name for i in session.get_inputs()}
    logits = session.run(None, {k: v.astype(np.int64) for k, v in enc.items() if k in names})[0]
    probs = torch.softmax(torch.from_numpy(logits), dim=-1).numpy()
    np.testing.assert_allclose(probs, clf.predict_proba(TEXTS), atol=1e-4)


def test_mean_pooling_on_a_non_bert_encoder_names_the_setting(tmp_path: Path) -> None:
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    config = DistilBertConfig(vocab_size=100, dim=16, n_layers=1, n_heads=2, hidden_dim=32)
    DistilBertForSequenceClassification(config).save_pretrained(str(tmp_path))
    with pytest.raises(ValueError, match="EDDY_MODEL_POOLING=cls"):
        load_sequence_model(tmp_path, "mean", num_labels=3)
