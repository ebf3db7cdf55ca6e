from services.stack.supervise import Backoff, Unanswered


def test_restart_delay_doubles_on_crashes_in_a_row_and_resets_when_healthy() -> None:
    b = Backoff(first_s=1.0, max_s=8.0, healthy_after_s=60.0)
    b.started("w", 0.0)
    delays = []
    now = 0.0
    for _ in range(6):
        now += 2.0
        delay, _streak = b.crashed("w", now)
        delays.append(delay)
        now += delay
        b.started("w", now)
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    now += 120.0  # up for two minutes: the next crash starts over
    assert b.crashed("w", now) == (1.0, 1)
    assert b.crashed("other", now) == (1.0, 1), "each child has its own streak"


def test_stop_note_is_quiet_for_a_child_that_stopped_as_asked() -> None:
    from services.stack.process import stop_note

    assert stop_note(0) == "" and stop_note(-15) == "" and stop_note(None) == ""
    assert stop_note(-9) == " (exit -9)"  # what tests/faults/test_kills.py looks for
    assert stop_note(3) == " (exit 3)"


def test_a_server_is_hung_after_three_unanswered_probes_in_a_row() -> None:
    count = Unanswered(limit=3)
    # Not answered yet since it started: still starting, never hung.
    assert not any(count.probed("gateway", False) for _ in range(5))
    assert not count.probed("gateway", True)
    assert not count.probed("gateway", False) and not count.probed("gateway", False)
    assert not count.probed("gateway", True)  # one answer: it was slow, not hung
    assert [count.probed("gateway", False) for _ in range(3)] == [False, False, True]
    assert not count.probed("gateway", False), "counted anew after it is reported"
    count.forget("gateway")  # restarted: nothing counts until it answers again
    assert not any(count.probed("gateway", False) for _ in range(5))
    assert not count.probed("webhook", False)


def test_the_http_watch_reports_a_server_that_answered_then_stopped() -> None:
    import time

    from services.stack.liveness import HttpWatch

    answers = {"http://gw/healthz": [True, False, False, False, False, False]}

    def probe(url: str) -> bool:
        left = answers[url]
        return left.pop(0) if left else False

    watch = HttpWatch({"gateway": "http://gw/healthz"}, every_s=0.01, probe=probe).start()
    try:
        deadline = time.monotonic() + 5
        found: list[str] = []
        while not found and time.monotonic() < deadline:
            found = watch.hung()
            time.sleep(0.01)
    finally:
        watch.stop()
    assert found == ["gateway"]
    assert abs(watch.span_of("gateway") - 0.03) < 1e-9


def test_the_stack_watch_probes_redis_and_label_studio_with_a_longer_limit() -> None:
    from services.core.settings import Settings
    from services.stack.liveness import HttpWatch

    s = Settings().override(
        redis={"url": "redis://:secret@127.0.0.1:28379/0"},
        label_studio={"url": "http://127.0.0.1:28080/"},
    )
    watch = HttpWatch.for_stack(s)
    assert watch.urls["redis"] == "redis://127.0.0.1:28379", "no password: it is printed"
    assert watch.urls["label-studio"] == "http://127.0.0.1:28080/health"
    assert watch.span_of("redis") == watch.span_of("label-studio") == 60.0
    assert watch.span_of("gateway") == 30.0


def test_a_redis_that_answers_anything_is_not_hung() -> None:
    """A PING refused for want of the password is an answer; no server at all is not."""
    import socket
    import threading

    from services.stack.probes import answers, free_port

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]

        def reply() -> None:
            conn, _ = server.accept()
            with conn:
                assert conn.recv(64) == b"PING\r\n"
                conn.sendall(b"-NOAUTH Authentication required.\r\n")

        threading.Thread(target=reply, daemon=True).start()
        assert answers(f"redis://127.0.0.1:{port}")
    nobody = free_port()
    try:
        answered = answers(f"redis://127.0.0.1:{nobody}")
    except Exception:
        answered = False
    assert not answered
