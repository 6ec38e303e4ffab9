"""A checkpoint as one ONNX graph, for the ONNX Runtime backend (onnx_predictor.py).

Entities: encoder, soft-prompt generator, word-shape layer and emission layer in one graph,
from sub-token ids to per-word emissions; Viterbi decoding and span assembly stay outside
(NumPy, crf_numpy.py). Relations: encoder and classifier, from marked sub-token ids to the
23 logits. Batch, sequence length and word count are dynamic.

The export is cached next to the checkpoint (in its `onnx/` folder, or in the user's cache
folder when the checkpoint's folder is read-only), keyed by a hash of the weights and the
export code's version: rebuilt when missing or stale, never served stale. int8 is ONNX
Runtime's dynamic quantisation of the same graph's encoder weights (INT8_NODES); the predictor
re-reads in fp32 what int8 is unsure of (onnx_predictor.py)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from ..errors import CotExplorerError
from .int8_smoothing import ALPHA, calibration_fingerprint

EXPORT_VERSION = 3      # bump when the graph changes (the int8 recipe is keyed through INT8_METHOD): every export is then stale
OPSET = 17
CACHE_ENV = "COT_EXPLORER_ONNX_CACHE"


def weights_hash(checkpoint: Path) -> str:
    """What the export is keyed by: the weight files, the manifest's config, and how int8 is
    made (INT8_METHOD names the calibration posts' fingerprint, α and what stays fp32)."""
    checkpoint = Path(checkpoint)
    manifest = json.loads((checkpoint / "manifest.json").read_text())
    h = hashlib.sha256(f"v{EXPORT_VERSION}".encode())
    h.update(INT8_METHOD.encode())
    h.update(json.dumps(manifest.get("config", {}), sort_keys=True).encode())
    for name in manifest.get("weights", []):
        with open(checkpoint / name, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=folder, delete=True)
        probe.close()
        return True
    except OSError:
        return False


def export_dir(checkpoint: Path) -> Path:
    """Where a checkpoint's exports live: next to it, else the user's cache folder."""
    checkpoint = Path(checkpoint).resolve()
    beside = checkpoint / "onnx"
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]) / hashlib.sha256(str(checkpoint).encode()).hexdigest()[:12]
    if _writable(beside):
        return beside
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cot-explorer" / "onnx"
    return cache / hashlib.sha256(str(checkpoint).encode()).hexdigest()[:12]


def export_path(checkpoint: Path, precision: str = "fp32", key: str | None = None) -> Path:
    key = key or weights_hash(checkpoint)
    return export_dir(checkpoint) / f"student-{key}-{precision}.onnx"


def cached_export(checkpoint: Path, precision: str = "fp32") -> Path | None:
    """The export of this checkpoint's current weights, if it exists."""
    path = export_path(checkpoint, precision)
    return path if path.exists() else None


_exporting = threading.Lock()   # two first requests at once export once, not twice


def ensure_export(checkpoint: Path, precision: str = "fp32") -> Path:
    """The export for `precision` (fp32 | int8), built now if missing or stale (the first use
    of a checkpoint: seconds, PyTorch imported once; `python app.py` builds the default's at start)."""
    checkpoint = Path(checkpoint)
    key = weights_hash(checkpoint)
    target = export_path(checkpoint, precision, key)
    if target.exists():
        return target
    with _exporting:
        return _build_export(checkpoint, precision, key, target)


def _build_export(checkpoint: Path, precision: str, key: str, target: Path) -> Path:
    if target.exists():   # built by the request that held the lock
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob("student-*.onnx"):   # stale exports of earlier weights
        if not old.name.startswith(f"student-{key}-"):
            old.unlink(missing_ok=True)
    for left in [*target.parent.glob(".tmp-*.onnx"), *target.parent.glob(".smoothing-*")]:
        try:   # a killed build's leftovers; a fresh one may be another process's build under way
            if time.time() - left.stat().st_mtime < 3600:
                continue
            if left.is_dir():
                shutil.rmtree(left, ignore_errors=True)
            else:
                left.unlink(missing_ok=True)
        except OSError:
            pass
    fp32 = export_path(checkpoint, "fp32", key)
    # once per checkpoint and some seconds long: say so
    print(f"Exporting {checkpoint.name} to ONNX ({precision}), once for these weights ...", file=sys.stderr, flush=True)
    if not fp32.exists():
        _atomic(fp32, lambda tmp: _export_fp32(checkpoint, tmp))
    if precision == "int8":
        _atomic(target, lambda tmp: _quantize(checkpoint, fp32, tmp))
    return target


def _atomic(target: Path, write) -> None:
    """Write into a temporary file beside `target`, then rename: a crash leaves no half file."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".onnx")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class _QuantiserAdvice(logging.Filter):
    """ONNX Runtime's quantiser advises whoever writes the graph ("consider pre-processing")
    through the root logger: not for the user of an export made on their behalf."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime/quantization/" not in record.pathname.replace("\\", "/")


_QUIET = _QuantiserAdvice()


def _quiet_exporters() -> None:
    """Narrow filters, installed for good (the export runs while the app serves other
    requests, so nothing process-wide is switched off and on around it): the tracer's
    warnings about Python values it cannot follow, and the quantiser's advice."""
    import torch

    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    warnings.filterwarnings("ignore", message=r"Exporting aten::index operator", category=UserWarning)
    _quiet_quantiser()


def _quiet_quantiser() -> None:
    if _QUIET not in logging.getLogger().filters:
        logging.getLogger().addFilter(_QUIET)


def _export_fp32(checkpoint: Path, out: Path) -> None:
    import torch

    _quiet_exporters()
    from .checkpoint import load_checkpoint

    loaded = load_checkpoint(checkpoint)
    model, config = loaded.model.float().eval(), loaded.config
    if config.task == "mner":
        graph, names, dynamic = _MnerGraph(model, use_prompts=config.variant != "knowledge"), \
            ["input_ids", "attention_mask", "token_type_ids", "first_subtoken", "shapes"], \
            {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
             "token_type_ids": {0: "batch", 1: "tokens"}, "first_subtoken": {0: "batch", 1: "words"},
             "shapes": {0: "batch", 1: "words"}, "emissions": {0: "batch", 1: "words"}}
        from .word_shape import SHAPE_FEATURES
        args = (torch.ones(2, 7, dtype=torch.long), torch.ones(2, 7, dtype=torch.long), torch.zeros(2, 7, dtype=torch.long),
                torch.tensor([[1, 2, 3], [1, 3, 0]]), torch.zeros(2, 3, len(SHAPE_FEATURES)))
        outputs = ["emissions"]
    else:
        graph, names = _MreGraph(model), ["input_ids", "attention_mask", "token_type_ids", "markers"]
        dynamic = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                   "token_type_ids": {0: "batch", 1: "tokens"}, "markers": {0: "batch"}, "logits": {0: "batch"}}
        args = (torch.ones(2, 7, dtype=torch.long), torch.ones(2, 7, dtype=torch.long), torch.zeros(2, 7, dtype=torch.long),
                torch.tensor([[1, 3], [2, 4]]))
        outputs = ["logits"]
    with torch.inference_mode():
        torch.onnx.export(graph, args, str(out), input_names=names, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=OPSET, dynamo=False, do_constant_folding=True)


# Which weights int8 takes: every weight MatMul of the encoder's layers but the first layer's
# feed-forward output (INT8_KEEPS_FP32), their inputs smoothed first (int8_smoothing.py).
# Agreement with fp32 on mner-default, int8 alone, Twitter-2017 valid / Twitter-2015 valid:
# plain, all 36 MatMuls: 97.2 / 95.1 % of fp32's spans (the feed-forward output layers, which
# read GELU's long-tailed activations, moved most of them); smoothed: 98.9 / 97.4 %; smoothed
# with layer 0's feed-forward output in fp32: 99.1 / 98.4 % (layers 0 and 1: 99.2 / 99.0, for
# the cost of another fp32 MatMul). Still under 99 % on some posts, so int8 is not served
# alone: the predictor re-reads in fp32 the posts whose least sure word (or the pairs whose
# relation) int8 is less sure of than a threshold chosen on valid (quantize.py).
# Keeping more feed-forward outputs in fp32 does not pay (the kd0 default, Twitter-2017 test):
# layer 0 | layers 0, 1, 5 | all six in fp32: int8 alone keeps 98.37 | 99.41 | 99.56 % of fp32's
# spans, the threshold comes out at 0.55 | 0.5 | 0.4, so fp32 re-reads 6.6 | 4.0 | 0.8 % of
# posts; end to end, interleaved in one process, medians of 5 rounds: 589 | 599 | 477 posts/s
# at batch 32, p50 3.76 | 4.74 | 4.70 ms at batch 1. The fp32 MatMuls cost as much as the
# re-reads they save, or more (`python benchmarks/int8_variants.py`, results/int8_variants.json).
INT8_NODES = re.compile(r"encoder/layer\.\d+/.+/MatMul$")
INT8_KEEPS_FP32 = re.compile(r"encoder/layer\.0/output/dense/MatMul$")
INT8_METHOD = (f"ONNX Runtime dynamic quantisation, per-channel int8 weights of every encoder MatMul but "
               f"{INT8_KEEPS_FP32.pattern}, their inputs smoothed first (SmoothQuant, alpha {ALPHA}, on calibration "
               f"posts {calibration_fingerprint()}); what int8 is unsure of is re-read in fp32")


def int8_nodes(graph, keeps_fp32: re.Pattern | None = INT8_KEEPS_FP32) -> list[str]:
    """The MatMul nodes int8 quantises (and smooths) in an exported graph; refused with a
    sentence where there are none (ONNX Runtime would read an empty list as "every MatMul",
    the output layers too)."""
    weights = {i.name for i in graph.initializer}
    nodes = [n.name for n in graph.node if n.op_type == "MatMul" and INT8_NODES.search(n.name)
             and not (keeps_fp32 and keeps_fp32.search(n.name)) and n.input[1] in weights]
    if not nodes:
        raise CotExplorerError("no encoder layer MatMul found to quantise: the backbone's graph is named otherwise; "
                               "serve it with onnx (fp32) or torch")
    return nodes


def quantize_nodes(src: Path, out: Path, nodes: list[str]) -> None:
    """ONNX Runtime's dynamic quantisation of `nodes` only, per-channel int8 weights."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    _quiet_quantiser()
    quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8, per_channel=True, nodes_to_quantize=nodes)


def _quantize(checkpoint: Path, fp32: Path, out: Path) -> None:
    import onnx

    from .int8_smoothing import smooth

    model = onnx.load(str(fp32))
    nodes = int8_nodes(model.graph)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".smoothing-") as work:
        smoothed = Path(work) / "smoothed.onnx"
        smooth(checkpoint, model, smoothed, nodes)
        quantize_nodes(smoothed, out, nodes)


def remove_exports(checkpoint: Path) -> None:
    folder = export_dir(checkpoint)
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)


def _graph_classes():
    import torch
    from torch import nn

    from .align import EncodedBatch

    class MnerGraph(nn.Module):
        """Sub-token ids (+ word positions and shapes) -> per-word emissions, as MnerStudent.emissions."""

        def __init__(self, model, use_prompts: bool):
            super().__init__()
            self.model, self.use_prompts = model, use_prompts

        def forward(self, input_ids, attention_mask, token_type_ids, first_subtoken, shapes):
            batch = EncodedBatch(input_ids, attention_mask, token_type_ids, first_subtoken,
                                 torch.ones_like(first_subtoken, dtype=torch.bool), [])
            return self.model.emissions(batch, shapes, use_prompts=self.use_prompts)

    class MreGraph(nn.Module):
        """Marked sub-token ids and the two markers' positions -> relation logits, as MreStudent.logits."""

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids, markers):
            batch = EncodedBatch(input_ids, attention_mask, token_type_ids, markers,
                                 torch.ones_like(markers, dtype=torch.bool), [])
            return self.model.logits(batch, use_prompts=True)

    return MnerGraph, MreGraph


def _MnerGraph(model, use_prompts: bool):
    return _graph_classes()[0](model, use_prompts)


def _MreGraph(model):
    return _graph_classes()[1](model)
