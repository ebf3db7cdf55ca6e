"""The registry a process uses, chosen by settings: a directory (the embedded default, or a
ReadWriteMany volume every pod mounts) or an S3-compatible object store."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from services.core.settings import StackSettings
from services.registry.store import ModelRegistry


def open_registry(stack: StackSettings) -> ModelRegistry:
    if not stack.model_store:
        return ModelRegistry(stack.models_dir)
    from services.registry.s3 import S3ModelRegistry
    from services.registry.s3parts import parse_url

    parse_url(stack.model_store)  # a bad URL fails here, before any client is made
    client = s3_client(stack.model_store_endpoint or None)
    return S3ModelRegistry(client, stack.model_store, stack.models_dir)


@lru_cache(maxsize=4)
def s3_client(endpoint: str | None) -> Any:
    """One client per endpoint and process (boto3 clients are thread-safe and slow to make).
    Credentials and region come from boto3's own chain: AWS_ACCESS_KEY_ID /
    AWS_SECRET_ACCESS_KEY / AWS_REGION, a profile, or the pod's IAM role."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        # MinIO and most self-hosted stores serve buckets as paths, not as subdomains.
        s3={"addressing_style": "path"},
    )
    # A session of its own: boto3's default session keeps the first credentials it resolved.
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)
