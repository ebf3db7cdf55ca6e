"""Dead letters' raw bytes, kept only when an operator opts in (EDDY_DEADLETTER_KEEP_RAW):
sealed with Fernet (AES-128-CBC + HMAC-SHA256) so the broker's copy is encrypted at rest,
in their own topic (deadletter-raw.v1) keyed by the raw bytes' SHA-256, the same hash the
bounded dead letter carries. Anyone who can read topics but not the key sees nothing."""

from __future__ import annotations

import hashlib

from cryptography.fernet import Fernet, InvalidToken

from services.core.settings import KafkaSettings


class RawKeyError(ValueError):
    """The raw-bytes key is missing or not a Fernet key."""


class RawSealer:
    def __init__(self, key: str, max_bytes: int) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as exc:
            raise RawKeyError(
                "EDDY_DEADLETTER_RAW_KEY is not a Fernet key (32 url-safe base64 bytes); "
                "make one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`"
            ) from exc
        self.max_bytes = max_bytes

    @classmethod
    def from_settings(cls, kafka: KafkaSettings) -> RawSealer | None:
        """The sealer when raw bytes are kept, None when they are not (the default)."""
        if not kafka.deadletter_keep_raw:
            return None
        if kafka.deadletter_raw_key is None:
            raise RawKeyError(
                "EDDY_DEADLETTER_KEEP_RAW=true needs EDDY_DEADLETTER_RAW_KEY (`eddy up` "
                "generates one into DATA_DIR/secrets.env)"
            )
        return cls(kafka.deadletter_raw_key.get_secret_value(), kafka.max_record_bytes)

    def seal(self, raw: bytes) -> tuple[bytes, bytes] | None:
        """(key, token) to write, or None when the sealed record would be over the record
        limit (the bounded dead letter is then all there is)."""
        token = self._fernet.encrypt(raw)
        if len(token) > self.max_bytes:
            return None
        return hashlib.sha256(raw).hexdigest().encode(), token

    def open(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise RawKeyError(
                "this raw dead letter was sealed with another EDDY_DEADLETTER_RAW_KEY"
            ) from exc
