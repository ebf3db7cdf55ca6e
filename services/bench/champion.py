"""The bench's own registry: a copy of the user's champion (never the user's registry itself:
the bench promotes a version under load), or a small model trained for the purpose."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

from services.core.settings import Settings
from services.demo.airline import airline_tweets
from services.model.classifier import TextClassifier
from services.model.device import select_placement
from services.registry.open import open_registry
from services.registry.store import META_FILE, ModelRef
from services.training.bootstrap import bootstrap
from services.training.examples import Example
from services.training.export import check_exports
from services.training.seedstore import seed_holdout

Say = Callable[[str], None]


def private_champion(user: Settings, s: Settings, say: Say) -> ModelRef:
    """v1 of the bench's registry (``s``): the user's champion with its exports, exported and
    checked here if it predates them, else a small model trained on 100 tweets."""
    registry = open_registry(s.stack)
    theirs = open_registry(user.stack)
    champ = theirs.champion()
    if champ is None:
        say("no champion model: training a small one (100 tweets, 1 epoch) for the bench")
        data = airline_tweets()
        random.Random(0).shuffle(data)
        bootstrap(
            s.override(trainer={"bootstrap_epochs": 1}),
            Path("bench-seed"),
            examples=[Example(e.text, e.label) for e in data[:100]],
            force=True,  # the bench measures speed, not quality: a weak model is fine here
        )
    else:
        say(f"benchmarking a copy of your champion v{champ.version} ({theirs.where})")
        meta = dict(champ.meta)

        def copy(d: Path) -> None:
            link_version(champ.path, d)
            if "backends" not in meta:  # stored before versions were exported
                say("exporting it to ONNX and checking parity on its seed holdout ...")
                placement = select_placement("cpu")
                clf = TextClassifier.load(d, placement, max_length=int(meta.get("max_length", 64)))
                meta["backends"] = check_exports(clf, d, seed_holdout(theirs))

        ref = registry.add(copy, meta)
        registry.set_champion(ref.version)
    out = registry.champion()
    assert out is not None
    return out


def link_version(src: Path, dst: Path) -> None:
    """A version's files under ``dst`` as hard links (copies across filesystems), without its
    eddy.json: the registry writes the new version's own."""
    shutil.copytree(
        src,
        dst,
        copy_function=_link_or_copy,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(META_FILE),
    )


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another filesystem
        shutil.copy2(src, dst)
