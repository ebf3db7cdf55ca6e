from services.training.datacheck import summary, warnings
from services.training.examples import Example


def test_summary_counts_classes_and_what_was_left_out() -> None:
    data = [Example("a", "neg"), Example("b", "neg"), Example("c", "pos")]
    assert summary(data, {"empty text": 2, "empty label": 0}) == (
        "3 examples in 2 classes (neg 2, pos 1); left out 2 with empty text"
    )
    # A wrong --label-column: a class per row, named up to 20.
    rows = [Example(f"t{i}", f"id{i}") for i in range(5000)]
    line = summary(rows, {})
    assert line.endswith(", and 4980 more)") and len(line) < 400
    assert all(len(w) < 400 for w in warnings(rows))
    assert summary(data, {}) == "3 examples in 2 classes (neg 2, pos 1)"


def test_warnings_name_case_variants_small_classes_and_conflicting_texts() -> None:
    data = [Example(f"t{i}", "negative") for i in range(20)]
    data += [Example(f"u{i}", "Negative") for i in range(20)]
    data += [Example("t0", "positive"), Example("v", "positive")]
    said = warnings(data)
    assert any("Negative, negative differ only in case" in w for w in said), said
    assert any("positive have fewer than 10" in w for w in said), said
    assert any(w.startswith("1 text(s) appear with different labels") for w in said), said
    clean = [Example(f"t{i}", "a" if i % 2 else "b") for i in range(40)]
    assert warnings(clean) == []
