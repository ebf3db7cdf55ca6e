"""Label Studio's answers as Eddy's errors: worth retrying (unavailable) or not (refused)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx
from label_studio_sdk.core.api_error import ApiError

from services.core.errors import DependencyUnavailable

T = TypeVar("T")


class LabelStudioUnavailable(DependencyUnavailable):
    """Label Studio cannot be reached or answered 5xx: worth retrying."""


class LabelStudioRefused(RuntimeError):
    """Label Studio answered 4xx: retrying will not help (bad token, bad request)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code

    @property
    def auth(self) -> bool:
        return self.status_code in (401, 403)


def ls_call(what: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except ApiError as exc:
        code = exc.status_code or 0
        if code >= 500 or code in (408, 429):
            raise LabelStudioUnavailable(f"{what}: Label Studio answered {code}") from exc
        body = str(exc.body)[:300]
        raise LabelStudioRefused(f"{what}: Label Studio answered {code}: {body}", code) from exc
    except (httpx.TransportError, OSError) as exc:
        raise LabelStudioUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
