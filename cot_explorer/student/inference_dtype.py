"""The number format students predict in. On CPUs with native bfloat16 (AVX-512 BF16 or AMX)
the encoder runs about 1.7x faster under bf16 autocast with the same test F1 (measured:
benchmarks/inference.py), so `auto` picks it there; everywhere else `auto` means fp32.
Training and model selection always run in fp32."""

from __future__ import annotations

import contextlib
import functools
import os

import torch

from ..errors import CotExplorerError

DTYPES = ("auto", "fp32", "bf16")
DTYPE_ENV = "COT_EXPLORER_INFERENCE_DTYPE"


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Asked once per process: the app builds a predictor per request."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN
        return False


def resolve_dtype(requested: str | None = None, device: torch.device | str = "cpu") -> str:
    """'fp32' or 'bf16' for a request ('auto', 'fp32', 'bf16'; None reads $COT_EXPLORER_INFERENCE_DTYPE)."""
    req = (requested or os.environ.get(DTYPE_ENV) or "auto").strip().lower()
    if req not in DTYPES:
        raise CotExplorerError(f"inference dtype {req!r}: choose one of {', '.join(DTYPES)}")
    kind = torch.device(device).type
    if req == "auto":
        return "bf16" if kind == "cpu" and cpu_has_native_bf16() else "fp32"
    if req == "bf16" and kind == "cpu" and not cpu_has_native_bf16():
        raise CotExplorerError("bf16 inference asked for, but this CPU has no native bfloat16; use fp32 or auto")
    return req


def autocast(dtype: str, device: torch.device | str = "cpu"):
    """A context that runs matrix products in bf16 (the heads cast their outputs back to fp32
    before the CRF or softmax), or one that changes nothing."""
    if dtype == "bf16":
        return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
