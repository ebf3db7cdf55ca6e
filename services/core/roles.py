"""The worker roles: one Faust app and one consumer group each."""

from __future__ import annotations

STREAM_ROLES = ("normalize", "classify", "route")
# annotate needs Label Studio; the stream runs (and is tested) without it.
ROLES = (*STREAM_ROLES, "annotate")
