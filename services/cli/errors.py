"""One line, naming the URL and the setting to change, for a dependency that is down: no
traceback reaches a user of the CLI for that."""

from __future__ import annotations

import redis
from kafka.errors import KafkaTimeoutError

from services.annotation.lserrors import LabelStudioRefused, LabelStudioUnavailable
from services.core.errors import DependencyUnavailable
from services.core.kafka import BrokerUnavailable
from services.core.settings import Settings
from services.registry.store import RegistryError


def dependency_message(exc: BaseException, settings: Settings) -> str | None:
    """The line to print for a dependency failure, or None for any other error."""
    if isinstance(exc, redis.exceptions.AuthenticationError):
        # The password is usually the part that is wrong (the embedded stack's is generated
        # into secrets.env); the URL may carry one too.
        return (
            f"Redis at {settings.redis.url} refused Eddy ({exc}); check EDDY_REDIS_PASSWORD "
            "(or the password in EDDY_REDIS_URL)."
        )
    if isinstance(exc, redis.exceptions.AuthorizationError):  # signed in, not allowed (ACL)
        return (
            f"Redis at {settings.redis.url} does not allow Eddy's user a command ({exc}); "
            "give the user in EDDY_REDIS_URL the rights it needs."
        )
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return (
            f"Redis at {settings.redis.url} is unreachable ({type(exc).__name__}); is "
            "`eddy up` running? Set EDDY_REDIS_URL to use another."
        )
    if isinstance(exc, LabelStudioUnavailable):
        return (
            f"Label Studio at {settings.label_studio.url} is unreachable ({exc}); is "
            "`eddy up` running? Set EDDY_LABEL_STUDIO_URL to use another."
        )
    if isinstance(exc, LabelStudioRefused) and exc.auth:
        return (
            f"Label Studio at {settings.label_studio.url} refused Eddy's token; set "
            "EDDY_LABEL_STUDIO_TOKEN."
        )
    if isinstance(exc, BrokerUnavailable):
        return str(exc).replace("\n", " ")
    if isinstance(exc, KafkaTimeoutError):
        # The port accepts connections (check_reachable passed) but a request timed out: a
        # hung or starting broker, or a topic it does not have (metadata never arrives).
        first = (str(exc).splitlines() or [""])[0][:200]
        return (
            f"the Kafka broker at {settings.kafka.bootstrap} did not answer in time ({first}); "
            "is it hung or still starting, or does it lack Eddy's topics (`eddy topics`)? "
            "Set EDDY_KAFKA_BOOTSTRAP to use another."
        )
    if isinstance(exc, DependencyUnavailable | RegistryError):
        return str(exc).replace("\n", " ")
    return None
