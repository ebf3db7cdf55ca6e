"""Process-wide set-up of Eddy's processes, called once by each entry point (never by an
adapter): log format and levels, third-party chatter. Log ids, versions and counts, never text."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # kafka-python is chatty at INFO about every connection.
    logging.getLogger("kafka").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO (the Label Studio client polls often).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # APScheduler logs every job start/end at INFO and every skipped overlapping tick
    # (expected while a training run is in progress) as a warning.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    # boto3 (the S3 model store) says at INFO where it found credentials, on every client.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # transformers' load report and per-file progress bars are noise in worker logs.
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
