"""A model soup: the members are the fine-tunes one would get with seeds seed, seed+1, ...,
the result holds the mean of their weights, and one member is a plain fine-tune."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from transformers import BertModel

from services.model.classifier import TextClassifier
from services.model.device import Placement
from services.model.soup import average_weights, train_soup
from services.model.train import TrainConfig, fine_tune
from tests.unit.model.tiny import real_tokenizer, tiny_config

LABELS = ["negative", "neutral", "positive"]
CPU = Placement(torch.device("cpu"), None)
TEXTS = ["flight delayed again", "crew was great and the seats were comfy", "ok"] * 4
GOLD = LABELS * 4
CFG = TrainConfig(epochs=2, batch_size=4, lr=1e-3, seed=5)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("base")
    tokenizer = real_tokenizer()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        BertModel(tiny_config(tokenizer)).save_pretrained(str(root))
    tokenizer.save_pretrained(str(root))
    return root


def _fresh(base: Path) -> TextClassifier:
    with torch.random.fork_rng():
        torch.manual_seed(1)  # the same head every call, as train_from_base seeds it
        return TextClassifier.load(base, CPU, labels=LABELS, pooling="mean")


def test_average_weights_is_the_mean_and_keeps_integer_buffers() -> None:
    a = {"w": torch.tensor([1.0, 3.0]), "ids": torch.tensor([0, 1])}
    b = {"w": torch.tensor([3.0, 5.0]), "ids": torch.tensor([7, 7])}
    out = average_weights([a, b])
    torch.testing.assert_close(out["w"], torch.tensor([2.0, 4.0]))
    assert out["ids"].tolist() == [0, 1]


def test_average_weights_refuses_nothing_or_different_architectures() -> None:
    with pytest.raises(ValueError, match="nothing to average"):
        average_weights([])
    with pytest.raises(ValueError, match="different tensors"):
        average_weights([{"w": torch.zeros(1)}, {"v": torch.zeros(1)}])


def test_one_member_is_a_plain_fine_tune(base: Path) -> None:
    plain = _fresh(base)
    fine_tune(plain, TEXTS, GOLD, CFG)
    souped, result = train_soup(lambda: _fresh(base), TEXTS, GOLD, CFG)
    for k, v in plain.model.state_dict().items():
        torch.testing.assert_close(souped.model.state_dict()[k], v)
    assert result.steps == 6


def test_the_soup_is_the_mean_of_its_members(base: Path) -> None:
    members = []
    for seed in (5, 6, 7):
        m = _fresh(base)
        fine_tune(m, TEXTS, GOLD, replace(CFG, seed=seed))
        members.append(m.model.state_dict())
    seen: list[tuple[int, int]] = []
    souped, result = train_soup(
        lambda: _fresh(base),
        TEXTS,
        GOLD,
        replace(CFG, members=3),
        lambda step, total, loss: seen.append((step, total)),
    )
    expected = average_weights(members)
    for k, v in souped.model.state_dict().items():
        torch.testing.assert_close(v, expected[k])
    # The members differ (else averaging would be pointless) and the soup is none of them.
    name = "classifier.weight"
    assert not torch.allclose(members[0][name], members[1][name])
    assert not torch.allclose(souped.model.state_dict()[name], members[0][name])
    assert result.steps == 18
    assert [s for s, _ in seen] == list(range(1, 19))
    assert {t for _, t in seen} == {18}
    assert not souped.model.training
