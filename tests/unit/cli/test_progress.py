from io import StringIO

from rich.console import Console

from services.cli.progress import training_progress


def _console(buf: StringIO) -> Console:
    return Console(file=buf, width=100, force_terminal=False)


def test_no_bar_before_the_first_step() -> None:
    buf = StringIO()
    try:
        with training_progress(_console(buf), "training"):
            raise ValueError("seed.csv: no such file")
    except ValueError:
        pass
    assert buf.getvalue() == ""


def test_bar_shows_steps_and_loss() -> None:
    buf = StringIO()
    with training_progress(_console(buf), "training") as on_step:
        on_step(1, 4, 1.25)
        on_step(4, 4, 0.5)
    assert "4/4 steps  loss 0.500" in buf.getvalue()
