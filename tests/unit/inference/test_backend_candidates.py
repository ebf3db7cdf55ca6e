"""Which backends a worker may serve for a version: only exports that passed parity."""

from __future__ import annotations

from services.inference.backends import candidates, passed_exports

META = {
    "backends": {
        "onnx-fp32": {"passed": True, "file": "onnx/model.onnx"},
        "onnx-int8": {"passed": False, "file": "onnx/model.int8.onnx"},
    }
}


def test_auto_weighs_torch_and_the_exports_that_passed() -> None:
    assert passed_exports(META) == ["onnx-fp32"]
    assert candidates("auto", META) == ["torch", "onnx-fp32"]


def test_a_named_backend_is_served_only_if_it_passed() -> None:
    assert candidates("onnx-fp32", META) == ["onnx-fp32"]
    assert candidates("onnx-int8", META) == ["torch"]
    assert candidates("torch", META) == ["torch"]


def test_versions_stored_before_exports_serve_torch() -> None:
    assert candidates("auto", {}) == ["torch"] and candidates("onnx-int8", {}) == ["torch"]
