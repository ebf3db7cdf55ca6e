"""Errors shared across layers."""

from __future__ import annotations


class DependencyUnavailable(Exception):
    """A server Eddy depends on (Kafka, Label Studio) cannot be reached: worth retrying later,
    and for a person, a matter of the URL and the setting that points at it."""


class NoLabelSet(RuntimeError):
    """No label set yet: neither EDDY_LABELS nor a champion model says what the labels are."""
