"""The training progress bar both `eddy bootstrap` and `eddy train` show."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

StepFn = Callable[[int, int, float], None]  # (step, total_steps, loss)


@contextmanager
def training_progress(console: Console, title: str, transient: bool = False) -> Iterator[StepFn]:
    """A bar that appears with the first training step: a run that fails before it trains
    (a missing file, a bad column) prints its error alone, not an empty bar at "loss nan"."""
    progress = Progress(
        TextColumn(title),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps  loss {task.fields[loss]:.3f}"),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
    )
    task = progress.add_task(title, total=None, loss=float("nan"))
    started = False

    def on_step(step: int, total: int, loss: float) -> None:
        nonlocal started
        if not started:
            progress.start()
            started = True
        progress.update(task, completed=step, total=total, loss=loss)

    try:
        yield on_step
    finally:
        if started:
            progress.stop()
