"""Naming parts of the S3 model registry: the store's URL and botocore's error codes."""

from __future__ import annotations

from services.registry.store import RegistryError


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (bucket, "some/prefix/")."""
    if not url.startswith("s3://") or not url[len("s3://") :].strip("/"):
        raise RegistryError(
            f"EDDY_MODEL_STORE={url!r} is not s3://BUCKET[/PREFIX] (leave it empty for the "
            "directory registry)"
        )
    bucket, _, prefix = url[len("s3://") :].partition("/")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def error_code(exc: Exception) -> str:
    """The S3 error code (or HTTP status) botocore put on ``exc``; empty when none."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        code = error.get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return str(code or "")
    return ""
