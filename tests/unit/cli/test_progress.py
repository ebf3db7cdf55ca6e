from io import StringIO

from rich.console import Console

from services.cli.progress import training_progress


def _console(buf: StringIO, terminal: bool = False) -> Console:
    return Console(file=buf, width=100, force_terminal=terminal)


def test_no_bar_before_the_first_step() -> None:
    for terminal in (False, True):
        buf = StringIO()
        try:
            with training_progress(_console(buf, terminal), "training"):
                raise ValueError("seed.csv: no such file")
        except ValueError:
            pass
        assert buf.getvalue() == ""


def test_bar_shows_steps_and_loss() -> None:
    buf = StringIO()
    with training_progress(_console(buf, terminal=True), "training") as on_step:
        on_step(1, 4, 1.25)
        on_step(4, 4, 0.5)
    assert "4/4 steps  loss 0.500" in buf.getvalue()


def test_without_a_terminal_a_line_per_tenth_even_when_transient() -> None:
    # `eddy train > log 2>&1` used a transient bar: nothing reached the file for minutes.
    buf = StringIO()
    with training_progress(_console(buf), "fine-tuning", transient=True) as on_step:
        for step in range(1, 101):
            on_step(step, 100, 0.5)
    lines = buf.getvalue().splitlines()
    assert lines[0] == "fine-tuning 1/100 steps  loss 0.500"
    assert lines[-1] == "fine-tuning 100/100 steps  loss 0.500"
    assert len(lines) == 11
