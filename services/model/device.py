"""Device and precision choice for inference and training."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Placement:
    device: torch.device
    autocast_dtype: torch.dtype | None  # None = plain fp32

    @property
    def precision(self) -> str:
        return {None: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}[self.autocast_dtype]


def select_placement(
    device: str = "auto",
    precision: str = "auto",
    cuda_available: bool | None = None,
    bf16_supported: bool | None = None,
) -> Placement:
    """``auto`` picks CUDA when present, with bf16 autocast where the GPU supports it and fp16
    otherwise; on CPU it stays fp32 (CPU autocast is slower than fp32 for BERT-sized models
    on common x86 parts). The two probes are injectable so the CUDA path is testable on CPU."""
    has_cuda = torch.cuda.is_available() if cuda_available is None else cuda_available
    if device == "cuda" and not has_cuda:
        raise RuntimeError("EDDY_DEVICE=cuda but no CUDA device is available")
    dev = torch.device("cuda" if (device == "cuda" or (device == "auto" and has_cuda)) else "cpu")
    if dev.type == "cpu":
        if precision in ("fp16",):
            raise RuntimeError("fp16 needs CUDA; use fp32 or bf16 on CPU")
        return Placement(dev, torch.bfloat16 if precision == "bf16" else None)
    if precision == "fp32":
        return Placement(dev, None)
    if precision == "fp16":
        return Placement(dev, torch.float16)
    bf16 = torch.cuda.is_bf16_supported() if bf16_supported is None else bf16_supported
    if precision == "bf16" and not bf16:
        raise RuntimeError("EDDY_PRECISION=bf16 but this GPU does not support bf16")
    return Placement(dev, torch.bfloat16 if bf16 else torch.float16)
