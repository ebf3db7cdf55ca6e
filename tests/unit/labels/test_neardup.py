from services.labels.neardup import exact_fingerprint, near_fingerprint, normalised


def test_what_does_not_change_the_meaning_is_ignored() -> None:
    a = near_fingerprint("@united my flight is late!!")
    assert a == near_fingerprint("@AmericanAir My flight is LATE!!!!! http://t.co/x1")
    assert a == near_fingerprint("my flight is late 2")
    assert near_fingerprint("my flight is laaaate") == near_fingerprint("my flight is laate")
    assert a != near_fingerprint("my flight is early")


def test_nothing_left_is_no_fingerprint() -> None:
    assert near_fingerprint("@united 123 !!!") is None
    assert normalised("Ok. THANKS") == "ok thanks"


def test_exact_is_exact() -> None:
    assert exact_fingerprint("late!!") != exact_fingerprint("late!")
