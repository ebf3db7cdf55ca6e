"""The training progress bar both `eddy bootstrap` and `eddy train` show."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

StepFn = Callable[[int, int, float], None]  # (step, total_steps, loss)

# Without a terminal (output to a file, a service's journal) a bar never redraws; a plain
# line at each tenth of the run shows the work goes on.
LOG_LINES = 10


@contextmanager
def training_progress(console: Console, title: str, transient: bool = False) -> Iterator[StepFn]:
    """A bar that appears with the first training step: a run that fails before it trains
    (a missing file, a bad column) prints its error alone, not an empty bar at "loss nan".
    When the console is not a terminal, a line per tenth of the steps instead."""
    if not console.is_terminal:
        yield _log_lines(console, title)
        return
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


def _log_lines(console: Console, title: str) -> StepFn:
    shown = -1

    def on_step(step: int, total: int, loss: float) -> None:
        nonlocal shown
        tenth = step * LOG_LINES // max(total, 1)
        if tenth > shown:
            shown = tenth
            console.print(f"{title} {step}/{total} steps  loss {loss:.3f}", highlight=False)

    return on_step
