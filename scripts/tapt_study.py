"""Offline study: does task-adaptive pretraining (TAPT) pay before the rebuild?

TAPT continues the encoder's masked-language-model training on the task's own unlabelled text
(here the tweets the demo streams, as the route agent could keep them) before the
fine-tune. all-MiniLM-L6-v2 ships without its MLM head, so ``BertForMaskedLM`` starts a new
transform layer (the decoder is tied to the word embeddings). Then, on one demo-like label set
(``recipe_models.demo_like_set``: 100 random seed tweets plus 350 picked by margin, 5% of the
answers wrong), it trains the services' rebuild (8 epochs at 2e-4) from the base encoder and
from the adapted one with each seed, and scores both on the 1,000 held-out tweets
(README § Training recipe, "What did not pay").

    .venv/bin/python scripts/tapt_study.py --pool 4000 --epochs 3 --lr 1e-4 --seeds 13,14

About 7 minutes of MLM for 4,000 tweets and 3 epochs, then 1.5 minutes per model, on 2 cores.
Not part of the services or of CI.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import torch
from recipe_models import demo_like_set, train
from transformers import AutoTokenizer, BertForMaskedLM, DataCollatorForLanguageModeling

from services.demo.airline import airline_tweets
from services.model.base import base_model_path
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.model.train import evaluate, seed_everything


def adapt(base: Path, texts: list[str], epochs: int, lr: float, out: Path) -> None:
    """Masked-language-model training on ``texts`` (15% of tokens masked, batch 32)."""
    tok = AutoTokenizer.from_pretrained(base)
    seed_everything(1)
    mlm = BertForMaskedLM.from_pretrained(base)
    collate = DataCollatorForLanguageModeling(tok, mlm_probability=0.15)
    opt = torch.optim.AdamW(mlm.parameters(), lr=lr, weight_decay=0.01)
    mlm.train()
    start, step = time.time(), 0
    for epoch in range(epochs):
        random.Random(epoch).shuffle(texts)
        for b in range(0, len(texts), 32):
            enc = tok(texts[b : b + 32], truncation=True, max_length=64)
            loss = mlm(**collate([{"input_ids": i} for i in enc["input_ids"]])).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % 50 == 0:
                print(f"MLM epoch {epoch} step {step}: loss {loss.item():.3f}", flush=True)
    mlm.bert.save_pretrained(out)
    tok.save_pretrained(out)
    print(f"MLM done in {time.time() - start:.0f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pool", type=int, default=4000, help="unlabelled tweets adapted on")
    ap.add_argument("--epochs", type=int, default=3, help="MLM passes over them")
    ap.add_argument("--lr", type=float, default=1e-4, help="MLM learning rate")
    ap.add_argument("--seeds", default="13,14", help="training seeds of the rebuilds")
    args = ap.parse_args()
    torch.set_num_threads(2)
    data = airline_tweets()
    labelled = demo_like_set(data, 350, "margin", 0.05)
    shuffled = list(data)
    random.Random(7).shuffle(shuffled)  # demo_like_set's order: test first, then the pool
    pool = [e.text for e in shuffled[1000 : 1000 + args.pool]]
    base = base_model_path(None)
    placement = select_placement("cpu", "fp32")
    with tempfile.TemporaryDirectory() as adapted:
        adapt(base, pool, args.epochs, args.lr, Path(adapted))
        for seed in [int(s) for s in args.seeds.split(",")]:
            for name, path in (("base", base), ("adapted", Path(adapted))):
                clf = TextClassifier.load(path, placement, labels=labelled.classes, pooling="mean")
                train(clf, labelled.texts, labelled.labels, seed)
                m = evaluate(clf, labelled.tx, labelled.ty)
                print(f"seed {seed} {name}: accuracy {m.accuracy:.3f} macro-F1 {m.macro_f1:.3f}")


if __name__ == "__main__":
    main()
