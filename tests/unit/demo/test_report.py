from __future__ import annotations

from pathlib import Path

from services.demo.report import human_labels, plot_learning_curve


def test_learning_curve_png_is_written(tmp_path: Path) -> None:
    rows = [
        {"version": 1, "status": "bootstrap", "labels_used": 0, "accuracy": 0.7, "macro_f1": 0.5},
        {"version": 2, "status": "promoted", "labels_used": 60, "accuracy": 0.75, "macro_f1": 0.6},
        {"version": 3, "status": "rejected", "labels_used": 120, "accuracy": 0.7, "macro_f1": 0.5},
    ]
    out = tmp_path / "curve.png"
    plot_learning_curve(rows, out, "test")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_human_labels_count_tasks_once_and_answers_apart() -> None:
    # 100 tasks, 20 of them answered by three annotators: 140 answers.
    h = human_labels(seed=150, tasks=100, answers=140)
    assert h == {"seed": 150, "tasks": 100, "answers": 140, "total": 250, "answers_total": 290}
