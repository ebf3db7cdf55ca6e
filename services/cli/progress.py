"""The training progress bar both `eddy bootstrap` and `eddy train` show."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

StepFn = Callable[[int, int, float], None]  # (step, total_steps, loss)


@contextmanager
def training_progress(console: Console, title: str, transient: bool = False) -> Iterator[StepFn]:
    with Progress(
        TextColumn(title),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps  loss {task.fields[loss]:.3f}"),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
    ) as progress:
        task = progress.add_task(title, total=None, loss=float("nan"))

        def on_step(step: int, total: int, loss: float) -> None:
            progress.update(task, completed=step, total=total, loss=loss)

        yield on_step
