"""Raw dead-letter bytes: kept only on opt-in, sealed, bounded, and useless without the key."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.fernet import Fernet

from services.core.rawletters import RawKeyError, RawSealer
from services.core.settings import Settings, public_secrets


def test_off_by_default() -> None:
    assert RawSealer.from_settings(Settings().kafka) is None


def test_opting_in_without_a_key_is_one_clear_error() -> None:
    s = Settings().override(kafka={"deadletter_keep_raw": True})
    with pytest.raises(RawKeyError, match="EDDY_DEADLETTER_RAW_KEY"):
        RawSealer.from_settings(s.kafka)
    assert "EDDY_DEADLETTER_RAW_KEY" in public_secrets(s), "--external refuses to start"


def test_a_key_that_is_not_fernet_is_refused() -> None:
    with pytest.raises(RawKeyError, match="not a Fernet key"):
        RawSealer("hunter2", 1000)


def test_sealed_bytes_are_keyed_by_their_hash_and_open_only_with_the_key() -> None:
    raw = b'{"text": "call me on +44 7911 123456", "bad": \xff}'
    sealer = RawSealer(Fernet.generate_key().decode(), 10_000)
    sealed = sealer.seal(raw)
    assert sealed is not None
    key, token = sealed
    assert key == hashlib.sha256(raw).hexdigest().encode()
    assert b"7911" not in token
    assert sealer.open(token) == raw
    with pytest.raises(RawKeyError, match="another EDDY_DEADLETTER_RAW_KEY"):
        RawSealer(Fernet.generate_key().decode(), 10_000).open(token)


def test_raw_bytes_over_the_record_limit_are_not_kept() -> None:
    sealer = RawSealer(Fernet.generate_key().decode(), 10_000)
    assert sealer.seal(b"x" * 5_000) is not None
    assert sealer.seal(b"x" * 9_000) is None  # sealed (base64 + MAC) they would not fit
