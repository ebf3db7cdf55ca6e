"""`eddy prune`: bound the model registry's size by hand (the trainer does it after each run)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from services.cli.app import DataDir, app, fail, out, settings


@app.command(short_help="Remove the weights of old model versions (keeps their history).")
def prune(
    keep: int | None = typer.Option(
        None,
        "--keep",
        min=1,
        help="Keep the newest N versions, the champion and the N champions rollback would go "
        "back to. Default: EDDY_REGISTRY_KEEP (10 unless set).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go; remove nothing."),
    data_dir: Path | None = DataDir,
    as_json: bool = typer.Option(
        False, "--json", help="Print what was pruned and kept as JSON on stdout."
    ),
) -> None:
    """Remove the weights (about 230 MB a version) of model versions nobody is likely to
    serve again. Each keeps its eddy.json, so `eddy versions`, lineage and scores still read;
    it can no longer be loaded, promoted or rolled back to. The trainer prunes the same way
    after each training run (EDDY_REGISTRY_KEEP; 0 turns that off)."""
    from services.registry.open import open_registry
    from services.registry.store import RegistryError
    from services.training.pruning import prune_registry

    s = settings(data_dir)
    n = keep if keep is not None else s.stack.registry_keep
    if n <= 0:
        raise fail(
            "nothing to do",
            "EDDY_REGISTRY_KEEP=0 keeps every version; pass --keep N to prune by hand",
            2,
        )
    if not s.stack.model_store and not s.stack.models_dir.is_dir():
        raise fail("no model registry", f"{s.stack.models_dir} (--data-dir, EDDY_REGISTRY_DIR)", 2)
    try:
        named = "--keep" if keep is not None else "EDDY_REGISTRY_KEEP"
        by = f"`eddy prune --keep {n}`" if keep is not None else f"`eddy prune` ({named}={n})"
        reg = open_registry(s.stack)
        done = prune_registry(reg, n, dry_run=dry_run, named=named, by=by)
    except (RegistryError, OSError) as exc:
        raise fail("prune failed", exc) from None
    if as_json:
        print(json.dumps(done.as_dict(), indent=2))
        return
    r = done.retention
    out.print(done.summary(), highlight=False)

    def vs(xs: list[int]) -> str:
        return ", ".join(f"v{v}" for v in xs) or "none"

    champ = f"v{r.champion}" if r.champion is not None else "none"
    before = f"; pruned before: {vs(done.already)}" if done.already else ""
    out.print(
        f"kept: newest {vs(r.newest)}; champion {champ}; rollback chain {vs(r.chain)}{before}",
        highlight=False,
    )
