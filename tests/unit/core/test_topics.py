from services.core.topics import Topics


def test_topics_prefix() -> None:
    t = Topics("t1.")
    assert t.channel("chat") == "t1.channel.chat.v1"
    assert t.channel_of("t1.channel.ads.v1") == "ads"
    assert t.channel_of("t1.interactions.v1") is None
    assert len(set(t.all())) == 10
