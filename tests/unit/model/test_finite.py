import math

import torch

from services.model.finite import weights_finite


def test_weights_finite_finds_one_nan_or_inf() -> None:
    layer = torch.nn.Linear(4, 3)
    assert weights_finite(layer)
    for bad in (math.nan, math.inf):
        with torch.no_grad():
            layer.bias[1] = bad
        assert not weights_finite(layer)
        with torch.no_grad():
            layer.bias[1] = 0.0
