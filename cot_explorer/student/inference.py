"""Loading a student to predict with, behind one interface whatever runs it. Importing this
module imports no torch: the backend's own module is imported when a model is loaded, so a
command that predicts with a light backend never pays for a heavy one.

Backends: `torch` (PyTorch eager, bf16 where the CPU has it), `onnx` (ONNX Runtime, fp32:
the same spans as torch fp32), `onnx-int8` (dynamic int8, with fp32 re-reading the posts int8 is unsure of; only where the
checkpoint's manifest records that it qualified: its test F1 within `INT8_MAX_LOSS` of fp32 and the same
answers as fp32 for `INT8_MIN_AGREEMENT` % of them, see `cot-explorer models quantize`), and
`auto`: the fastest qualified one for the work at hand: int8 where it qualified and was
faster than fp32, for one post (the app's Explore and Annotate, `predict`) and for a whole
split alike (benchmarks/inference.py, 3 rounds: p50 5.1 against PyTorch bf16's 10.9 ms, 496
against 445 posts/s at batch 32; measured on an AVX-512 BF16 CPU without AMX). Without a
qualified int8: ONNX fp32 for one post (about half PyTorch's latency at batch 1), and in bulk
PyTorch bf16 where the CPU has native bf16 (AVX-512 BF16 or AMX), whose batched matrix
products beat ONNX Runtime's fp32 ones there. Torch for the knowledge view, which reads the
CoT, and where ONNX Runtime is missing. `--backend` or $COT_EXPLORER_BACKEND choose one.

`consistent`: answers that depend on the post alone, for whatever is kept or scored (the app's
stored predictions and its scores, a round's before and after, `evaluate`): fp32, ONNX
Runtime's where it runs the checkpoint (the same spans as PyTorch fp32), else PyTorch fp32.
int8 quantises each run's activations with one scale for the whole batch, so a post's answer
moved with the posts batched beside it (Twitter-2017 test, mner-default: 5 to 8 of 723 posts
answered otherwise at batch 32, 8 or 1, or in another order); and bf16 answers are not fp32's.
One model then had three held-out scores (83.85 in a round and the versions table, 83.96 in
Errors and Promote, 83.75 from `evaluate`). `predict`, which keeps nothing, stays on `auto`."""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Protocol, Sequence

from ..errors import CotExplorerError
from ..schema import Span
from .manifest import Manifest
from .predictions import PredictedRelation, PredictedSpan

BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
BACKEND_ENV = "COT_EXPLORER_BACKEND"
INT8_MAX_LOSS = 0.3    # F1 points int8 may lose against fp32 on the checkpoint's test set
INT8_MIN_AGREEMENT = 99.0   # % of fp32's answers int8 must give too (and of its own that fp32 gives)


class Predictor(Protocol):
    manifest: Manifest
    path: Path
    backend: str

    def predict_entities(self, batch_words: Sequence[Sequence[str]],
                         knowledge: Sequence[str] | None = None) -> list[list[PredictedSpan]]: ...

    def predict_relations(self, items: Sequence[tuple[Sequence[str], Span, Span]]) -> list[PredictedRelation]: ...

    def words_read(self, words: Sequence[str]) -> int:
        """Entity models: how many of a post's words get an answer (the sub-word budget can end
        first). Not for relation models, whose markers take pieces of the budget too."""
        ...


def int8_qualifies(manifest: Manifest) -> bool:
    """Whether the checkpoint's int8 export, as today's code builds it, was measured within
    INT8_MAX_LOSS of fp32, with INT8_MIN_AGREEMENT of the same answers (quantize.py). A verdict
    on another quantisation method is no verdict."""
    from .onnx_export import INT8_METHOD

    verdict = manifest.int8_verdict(INT8_METHOD)
    return verdict is not None and verdict.qualifies


def int8_faster(manifest: Manifest) -> bool:
    from .onnx_export import INT8_METHOD

    verdict = manifest.int8_verdict(INT8_METHOD)
    return verdict is not None and verdict.faster_than_fp32


@functools.cache
def has_fast_tokenizer(backbone: str) -> bool:
    """Whether the ONNX path can tokenise for this backbone: a local folder with a BERT-style
    tokenizer.json ([CLS]/[SEP], what onnx_predictor.FastTokenizer reads). A hub name or
    another family stays on torch."""
    from .backbone import resolve_backbone

    try:
        path = Path(resolve_backbone(backbone)) / "tokenizer.json"
        text = path.read_text(errors="replace") if path.is_file() else ""
        return '"[CLS]"' in text and '"[SEP]"' in text
    except (OSError, RuntimeError):
        return False


def cpu_reports_bf16() -> bool:
    """Whether the CPU says it computes bf16 natively, read from /proc/cpuinfo before any torch
    is imported (False where the file is missing); inference_dtype asks oneDNN itself once
    torch is loaded."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def choose_backend(manifest: Manifest, requested: str | None = None, bulk: bool = False,
                   consistent: bool = False) -> str:
    """The backend for a checkpoint: the one asked for (argument, else $COT_EXPLORER_BACKEND,
    else auto, which depends on `bulk` and `consistent`: see the module's note), refused with a
    sentence where it cannot serve this checkpoint."""
    requested = requested or os.environ.get(BACKEND_ENV) or "auto"
    if requested not in BACKENDS:
        raise CotExplorerError(f"backend must be one of {', '.join(BACKENDS)}, got {requested!r}")
    onnx_ok = (manifest.variant != "knowledge" and importlib.util.find_spec("onnxruntime") is not None
               and has_fast_tokenizer(manifest.backbone))
    if requested == "auto":
        if not onnx_ok:
            return "torch"
        if consistent:
            return "onnx"
        if int8_qualifies(manifest) and int8_faster(manifest):
            return "onnx-int8"
        if bulk and cpu_reports_bf16() and importlib.util.find_spec("torch") is not None:
            return "torch"
        return "onnx"
    if requested.startswith("onnx") and not onnx_ok:
        why = ("the knowledge view reads the CoT at test time" if manifest.variant == "knowledge"
               else "onnxruntime is not installed" if importlib.util.find_spec("onnxruntime") is None
               else f"its backbone {manifest.backbone!r} is no local folder with a BERT tokenizer.json")
        raise CotExplorerError(f"backend {requested} cannot run {manifest.name}: {why}; use torch")
    if requested == "onnx-int8" and not int8_qualifies(manifest):
        raise CotExplorerError(f"{manifest.name} has no int8 export measured within {INT8_MAX_LOSS} F1 of fp32 "
                               f"(run `cot-explorer models quantize {manifest.name}`); use onnx or torch")
    return requested


def load_predictor(path: Path, backend: str | None = None, dtype: str | None = None, bulk: bool = False,
                   consistent: bool = False) -> Predictor:
    """A predictor for the checkpoint at `path` (see the module's note on backends; `dtype`
    is the torch backend's: 'auto', 'fp32' or 'bf16'; `bulk`: for predicting many posts at once;
    `consistent`: answers of the post alone, in fp32, for what is kept or scored)."""
    path = Path(path)
    chosen = choose_backend(Manifest.read(path), backend, bulk, consistent)
    if consistent and chosen == "torch" and dtype in (None, "auto"):
        # bf16 only where asked for by name (inference_dtype.DTYPE_ENV, read here without torch)
        asked = (os.environ.get("COT_EXPLORER_INFERENCE_DTYPE") or "").strip().lower()
        dtype = asked if asked in ("fp32", "bf16") else "fp32"
    if chosen.startswith("onnx"):
        from .onnx_predictor import OnnxPredictor  # ONNX Runtime and tokenizers, on use

        return OnnxPredictor(path, "int8" if chosen == "onnx-int8" else "fp32")
    # PyTorch is imported here, on first use, not when the app or the CLI starts.
    from .torch_predictor import TorchPredictor

    return TorchPredictor.load(path, dtype=dtype)
