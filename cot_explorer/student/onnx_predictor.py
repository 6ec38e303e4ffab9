"""The ONNX Runtime backend: the checkpoint's exported graph (onnx_export.py) on the CPU's
cores, the sub-word tokenizer from the `tokenizers` package, Viterbi and span assembly in
NumPy. No PyTorch and no transformers are imported, so a prediction starts in well under two
seconds. The alignment, word shapes, argument markers and span assembly are the very code the
PyTorch backend runs (align.py, word_shape.py, relation_markers.py, predictions.py).

Text only: the knowledge view (CoT at test time) stays on the PyTorch backend."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from ..labels import mner_schema_for
from ..schema import Span
from .align import WordAligner
from .backbone import resolve_backbone
from .crf_numpy import NumpyCRF
from .manifest import Manifest
from .predictions import PredictedRelation, PredictedSpan, spans_from_path
from .relation_markers import align_pairs
from .word_shape import SHAPE_FEATURES, word_shape

PRECISIONS = ("fp32", "int8")


class FastTokenizer:
    """The backbone's tokenizer.json through `tokenizers`, answering what WordAligner asks of
    a Hugging Face tokenizer (the same Rust tokenizer is under both)."""

    def __init__(self, folder: str | Path):
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
        self._tok.no_truncation()
        self._tok.no_padding()
        ids = {name: self._tok.token_to_id(name) for name in ("[CLS]", "[SEP]", "[PAD]", "[UNK]")}
        self.cls_token_id, self.sep_token_id = ids["[CLS]"], ids["[SEP]"]
        self.pad_token_id, self.unk_token_id = ids["[PAD]"], ids["[UNK]"]
        self.unk_token = "[UNK]"

    def __call__(self, text: str, add_special_tokens: bool = False, truncation: bool = False,
                 max_length: int | None = None) -> dict:
        ids = self._tok.encode(text, add_special_tokens=add_special_tokens).ids
        return {"input_ids": ids[:max_length] if truncation and max_length else ids}


def _session(path: Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = int(os.environ.get("COT_EXPLORER_THREADS", 0)) or (os.cpu_count() or 1)
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _crf_of(checkpoint: Path, manifest: Manifest) -> NumpyCRF:
    from safetensors.numpy import load_file

    want = {"crf.start_transitions", "crf.end_transitions", "crf.transitions"}
    found: dict[str, np.ndarray] = {}
    for f in manifest.weights:
        state = load_file(str(checkpoint / f))
        found.update({k: v.astype(np.float32) for k, v in state.items() if k in want})
    return NumpyCRF(manifest.labels, found["crf.start_transitions"], found["crf.end_transitions"],
                    found["crf.transitions"])


class OnnxPredictor:
    def __init__(self, checkpoint: Path, precision: str = "fp32", batch_size: int = 32):
        from .onnx_export import ensure_export

        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}")
        self.path = Path(checkpoint)
        self.manifest = Manifest.read(self.path)
        self.config = self.manifest.config
        if self.manifest.variant == "knowledge":
            raise ValueError("the knowledge view reads the CoT at test time; it runs on the torch backend")
        self.precision = precision
        self.backend = f"onnx-{precision}"
        self.batch_size = batch_size
        self.graph = ensure_export(self.path, precision)
        self.session = _session(self.graph)
        self.inputs = {i.name for i in self.session.get_inputs()}
        tokenizer = FastTokenizer(resolve_backbone(self.manifest.backbone))
        self.aligner = WordAligner(tokenizer, int(self.config.get("max_text_tokens", 128)), 0)
        if self.manifest.task == "mner":
            types = [t[2:] for t in self.manifest.labels if t.startswith("B-")]
            self.schema = mner_schema_for("", types)
            self.crf = _crf_of(self.path, self.manifest)

    @property
    def task_name(self) -> str:
        return self.manifest.task

    def _feed(self, **arrays) -> dict:
        return {k: v for k, v in arrays.items() if k in self.inputs}

    def predict_entities(self, batch_words: Sequence[Sequence[str]],
                         knowledge: Sequence[str] | None = None) -> list[list[PredictedSpan]]:
        if self.manifest.task != "mner":
            raise ValueError(f"{self.manifest.name} is a relation model")
        out: list[list[PredictedSpan] | None] = [None] * len(batch_words)
        order = sorted(range(len(batch_words)), key=lambda i: self.aligner.n_subtokens(batch_words[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            words = [list(batch_words[i]) for i in idx]
            a = self.aligner.encode_lists(words)
            W = len(a.first_subtoken[0])
            shapes = np.zeros((len(words), W, len(SHAPE_FEATURES)), dtype=np.float32)
            for b, ws in enumerate(words):
                for j, w in enumerate(ws[:W]):
                    shapes[b, j] = word_shape(w)
            (em,) = self.session.run(["emissions"], self._feed(
                input_ids=np.asarray(a.input_ids, dtype=np.int64), attention_mask=np.asarray(a.attention_mask, dtype=np.int64),
                token_type_ids=np.asarray(a.token_type_ids, dtype=np.int64),
                first_subtoken=np.asarray(a.first_subtoken, dtype=np.int64), shapes=shapes))
            lengths = [sum(row) for row in a.word_mask]   # words past the length limit come last and stay O
            paths, conf = self.crf.decode(em, lengths)
            for i, ws, path, c in zip(idx, words, paths, conf):
                out[i] = spans_from_path(self.manifest.labels, self.schema, path, c, len(ws))
        return out  # type: ignore[return-value]

    def predict_relations(self, items: Sequence[tuple[Sequence[str], Span, Span]],
                          knowledge: Sequence[str] | None = None) -> list[PredictedRelation]:
        if self.manifest.task != "mre":
            raise ValueError(f"{self.manifest.name} is an entity model")
        labels = self.manifest.labels
        none_bias = float(self.config.get("none_bias", 0.0) or 0.0)
        style = self.config.get("relation_markers", "ids")
        out: list[PredictedRelation] = []
        for start in range(0, len(items), self.batch_size):
            chunk = [(list(w), h, t) for w, h, t in items[start : start + self.batch_size]]
            a, markers = align_pairs(self.aligner, chunk, None, style)
            (logits,) = self.session.run(["logits"], self._feed(
                input_ids=np.asarray(a.input_ids, dtype=np.int64), attention_mask=np.asarray(a.attention_mask, dtype=np.int64),
                token_type_ids=np.asarray(a.token_type_ids, dtype=np.int64), markers=np.asarray(markers, dtype=np.int64)))
            if none_bias and "None" in labels:
                logits[:, labels.index("None")] += none_bias
            z = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs = z / z.sum(axis=1, keepdims=True)
            for row in probs:
                j = int(row.argmax())
                out.append(PredictedRelation(labels[j], round(float(row[j]), 4), tuple(round(float(v), 4) for v in row)))
        return out
