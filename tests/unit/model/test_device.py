import pytest
import torch

from services.model.device import select_placement


def test_device_selection_cpu_and_cuda_paths() -> None:
    cpu = select_placement("auto", "auto", cuda_available=False)
    assert cpu.device.type == "cpu" and cpu.autocast_dtype is None and cpu.precision == "fp32"
    gpu = select_placement("auto", "auto", cuda_available=True, bf16_supported=True)
    assert gpu.device.type == "cuda" and gpu.autocast_dtype is torch.bfloat16
    old = select_placement("auto", "auto", cuda_available=True, bf16_supported=False)
    assert old.autocast_dtype is torch.float16
    assert select_placement("cuda", "fp32", cuda_available=True).autocast_dtype is None
    with pytest.raises(RuntimeError, match="no CUDA"):
        select_placement("cuda", "auto", cuda_available=False)
    with pytest.raises(RuntimeError, match="fp16 needs CUDA"):
        select_placement("cpu", "fp16", cuda_available=False)
