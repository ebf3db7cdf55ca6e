"""ONNX export and the ONNX Runtime backend, on a tiny random BERT that uses the real
tokenizer (so token ids, padding and truncation are those of production)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import pytest
import torch
from onnx import numpy_helper
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

from services.model.device import Placement
from services.model.onnx_backend import OnnxClassifier, providers_for
from services.model.onnx_export import (
    FP32_NAME,
    INT8_NAME,
    REDUCE_RANGE_KEY,
    export_onnx,
    int8_saturates,
)
from tests.unit.model.tiny import real_tokenizer, tiny_config

LABELS = ["negative", "neutral", "positive"]
CPU = Placement(torch.device("cpu"), None)
PHRASES: tuple[str, ...] = (
    "flight delayed again",
    "crew was great",
    "my seat broke",
    "bag lost thanks",
)
PHRASES += ("worst gate", "late refund please", "service never again", "lovely staff")
WORDS = [word for phrase in PHRASES for word in phrase.split()]
# Forty texts from 1 to 40 words, in an order that is not sorted by length.
TEXTS = [
    " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(1 + (i * 17) % 40)) for i in range(40)
]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    root = tmp_path_factory.mktemp("onnx")
    tokenizer = real_tokenizer()
    config = tiny_config(
        tokenizer,
        id2label=dict(enumerate(LABELS)),
        label2id={lab: i for i, lab in enumerate(LABELS)},
    )
    model_dir = root / "model"
    with torch.random.fork_rng():  # seeded here, without reseeding the other tests
        torch.manual_seed(0)
        model = BertForSequenceClassification(config)
    model.save_pretrained(str(model_dir))
    tokenizer.save_pretrained(str(model_dir))
    return model_dir, export_onnx(model_dir, root / "onnx")


def torch_proba(model_dir: Path, texts: list[str], max_length: int) -> npt.NDArray[np.float32]:
    """The reference, one text at a time: no padding at all, so it also checks the mask."""
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = BertForSequenceClassification.from_pretrained(str(model_dir), local_files_only=True)
    model.eval()
    rows = []
    with torch.inference_mode():
        for text in texts:
            enc = tokenizer([text], truncation=True, max_length=max_length, return_tensors="pt")
            rows.append(torch.softmax(model(**enc).logits, dim=-1)[0].numpy())
    return np.stack(rows)


def test_export_writes_both_files_and_nothing_else(saved: tuple[Path, dict[str, Path]]) -> None:
    _, paths = saved
    assert paths == {
        "fp32": paths["fp32"].parent / FP32_NAME,
        "int8": paths["int8"].parent / INT8_NAME,
    }
    assert sorted(p.name for p in paths["fp32"].parent.iterdir()) == sorted([FP32_NAME, INT8_NAME])
    assert paths["int8"].stat().st_size < paths["fp32"].stat().st_size
    ops = {p: {n.op_type for n in onnx.load(str(paths[p])).graph.node} for p in paths}
    assert "MatMulInteger" in ops["int8"] and "MatMulInteger" not in ops["fp32"]
    props = {p.key: p.value for p in onnx.load(str(paths["int8"])).metadata_props}
    assert props[REDUCE_RANGE_KEY] == str(int8_saturates()).lower()  # which kind of CPU


def test_fp32_matches_torch_in_input_order(saved: tuple[Path, dict[str, Path]]) -> None:
    model_dir, paths = saved
    clf = OnnxClassifier.load(model_dir, paths["fp32"], CPU, max_length=16, version=3, threads=1)
    assert clf.labels == LABELS
    assert (clf.backend, clf.version, clf.max_length, clf.model) == ("onnx-fp32", 3, 16, None)
    # Chunks of 4, sorted by length inside predict_proba: order must come back intact, and
    # texts longer than max_length must be truncated as torch's are.
    got = np.array(clf.predict_proba(TEXTS, chunk_size=4))
    want = torch_proba(model_dir, TEXTS, max_length=16)
    assert got.shape == (len(TEXTS), len(LABELS))
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert len({int(i) for i in want.argmax(axis=1)}) > 1, "the random model should not be constant"
    # Grouped by a token budget instead of a count: same numbers, same order.
    by_tokens = np.array(clf.predict_proba(TEXTS, chunk_size=32, max_tokens=40))
    np.testing.assert_allclose(by_tokens, want, atol=1e-4)
    assert clf.predict_proba([]) == []


def test_int8_mostly_agrees_with_torch(saved: tuple[Path, dict[str, Path]]) -> None:
    model_dir, paths = saved
    clf = OnnxClassifier.load(model_dir, paths["int8"], CPU, max_length=64, threads=1)
    assert clf.backend == "onnx-int8"
    got = np.array(clf.predict_proba(TEXTS, chunk_size=8))
    want = torch_proba(model_dir, TEXTS, max_length=64)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-6)
    agreement = float(np.mean(got.argmax(axis=1) == want.argmax(axis=1)))
    assert agreement >= 0.9, agreement


def test_weights_finite_reads_the_onnx_initializers(
    saved: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    model_dir, paths = saved
    assert OnnxClassifier.load(model_dir, paths["int8"], CPU).weights_finite()
    proto = onnx.load(str(paths["fp32"]))
    init = next(t for t in proto.graph.initializer if t.name.endswith("classifier.bias"))
    bad = numpy_helper.to_array(init).copy()
    bad[1] = np.nan
    init.CopyFrom(numpy_helper.from_array(bad, init.name))
    broken = tmp_path / "broken.onnx"
    onnx.save(proto, str(broken))
    clf = OnnxClassifier.load(model_dir, broken, CPU)
    assert not clf.weights_finite()
    assert all(np.isnan(p).any() for p in clf.predict_proba(["hello there"]))


def test_label_count_must_match_the_graph(
    saved: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    model_dir, paths = saved
    other = tmp_path / "model"
    other.mkdir()
    for f in model_dir.iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    config = BertConfig.from_pretrained(str(model_dir))
    config.id2label = {0: "a", 1: "b"}
    config.label2id = {"a": 0, "b": 1}
    config.save_pretrained(str(other))
    with pytest.raises(ValueError, match="gives 3 logits"):
        OnnxClassifier.load(other, paths["fp32"], CPU)


def test_providers_put_cuda_first_only_when_asked_and_present() -> None:
    gpu = Placement(torch.device("cuda"), None)
    both = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert providers_for(gpu, both) == both
    assert providers_for(gpu, ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert providers_for(CPU, both) == ["CPUExecutionProvider"]


def test_int8_weights_lose_a_bit_only_where_the_kernel_saturates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.model import onnx_export

    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    avx2 = "processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 fma\n"
    assert onnx_export.int8_saturates(avx2)
    assert not onnx_export.int8_saturates(avx2.replace("avx2", "avx2 avx512f avx512_vnni"))
    assert not onnx_export.int8_saturates(avx2.replace("avx2", "avx2 avx_vnni"))
    assert not onnx_export.int8_saturates("processor\t: 0\n")  # no flags: full range
    monkeypatch.setattr("platform.machine", lambda: "aarch64")
    assert not onnx_export.int8_saturates(avx2)
