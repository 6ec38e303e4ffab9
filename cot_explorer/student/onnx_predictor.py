"""The ONNX Runtime backend: the checkpoint's exported graph (onnx_export.py) on the CPU's
cores, the sub-word tokenizer from the `tokenizers` package, Viterbi and span assembly in
NumPy. No PyTorch and no transformers are imported, so a prediction starts in well under two
seconds. The alignment, word shapes, argument markers and span assembly are the very code the
PyTorch backend runs (align.py, word_shape.py, relation_markers.py, predictions.py).

Text only: the knowledge view (CoT at test time) stays on the PyTorch backend."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from ..labels import mner_schema_for
from ..schema import Span
from .align import WordAligner
from .backbone import resolve_backbone
from .crf_numpy import NumpyCRF
from .manifest import Manifest
from .onnx_export import INT8_METHOD, ensure_export
from .predictions import PredictedRelation, PredictedSpan, spans_from_path
from .relation_markers import align_pairs
from .word_shape import SHAPE_FEATURES, word_shape

PRECISIONS = ("fp32", "int8")
# int8 answers for a post unless its least sure word's marginal (a pair's relation probability)
# is under a threshold: then fp32 re-reads it. quantize.py chooses the threshold per checkpoint
# on valid and writes it into the manifest; `auto` and `--backend onnx-int8` serve only
# measured checkpoints, so this default is for an OnnxPredictor built directly on an unmeasured
# one (quantize.py itself, before it has chosen).
DEFAULT_RECHECK_BELOW = 0.7


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


def _session(path: Path, spinning: bool = True):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = int(os.environ.get("COT_EXPLORER_THREADS", 0)) or (os.cpu_count() or 1)
    opts.inter_op_num_threads = 1
    if not spinning:
        # int8's fp32 safety net: int8 and it are two sessions with two thread pools, and a pool
        # that busy-waits after its run takes the cores the other one needs. The safety net runs
        # after int8's batches, so it is the one that does not spin. Paired runs on 2 cores, int8
        # with its re-reads, Twitter-2017 test: int8 spinning (fp32 not) 540 posts/s at batch 32
        # and p50 3.84 ms at batch 1, against 504 and 5.6 with neither spinning.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
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
    def __init__(self, checkpoint: Path, precision: str = "fp32", batch_size: int = 32, graph: Path | None = None):
        """`graph`: a graph other than the checkpoint's cached export (int8_smoothing's calibration)."""
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
        self.graph = graph or ensure_export(self.path, precision)
        self.session = _session(self.graph)
        # int8's safety net: the fp32 graph re-reads what int8 is unsure of (see DEFAULT_RECHECK_BELOW),
        # opened on the first post that needs it (most never do)
        self._fp32_session = None
        self._fp32_lock = threading.Lock()
        verdict = self.manifest.int8_verdict(INT8_METHOD)
        self.recheck_below = (verdict.recheck_below if verdict else DEFAULT_RECHECK_BELOW) if precision == "int8" else 0.0
        self.inputs = {i.name for i in self.session.get_inputs()}
        tokenizer = FastTokenizer(resolve_backbone(self.manifest.backbone))
        self.aligner = WordAligner(tokenizer, int(self.config.get("max_text_tokens", 128)), 0)
        if self.manifest.task == "mner":
            types = [t[2:] for t in self.manifest.labels if t.startswith("B-")]
            self.schema = mner_schema_for("", types)
            self.crf = _crf_of(self.path, self.manifest)

    def _fp32(self):
        """The fp32 session int8 falls back on, opened once, on first need (requests share a predictor)."""
        if self._fp32_session is None:
            with self._fp32_lock:
                if self._fp32_session is None:
                    self._fp32_session = _session(ensure_export(self.path, "fp32"), spinning=False)
        return self._fp32_session

    @property
    def task_name(self) -> str:
        return self.manifest.task

    def words_read(self, words: Sequence[str]) -> int:
        return self.aligner.words_read(words)

    def _feed(self, **arrays) -> dict:
        return {k: v for k, v in arrays.items() if k in self.inputs}

    def predict_entities(self, batch_words: Sequence[Sequence[str]],
                         knowledge: Sequence[str] | None = None) -> list[list[PredictedSpan]]:
        return self.entities_with_certainty(batch_words, self.recheck_below)[0]

    def entities_with_certainty(self, batch_words: Sequence[Sequence[str]], recheck_below: float
                                ) -> tuple[list[list[PredictedSpan]], list[float]]:
        """Each post's spans and the marginal of its least sure word. Posts under `recheck_below`
        are read again by the fp32 graph (int8 only), whose answer and certainty are kept."""
        if self.manifest.task != "mner":
            raise ValueError(f"{self.manifest.name} is a relation model")
        done: dict[int, tuple[list[PredictedSpan], float]] = {}
        for idx in self._batches(batch_words, range(len(batch_words))):
            done.update(self._entity_chunk(batch_words, idx, self.session))
        if self.precision == "int8":
            # the unsure posts of the whole call, re-read together in full batches: a few posts
            # per batch would pay fp32's per-run cost once for every int8 batch
            unsure = [i for i, (_, sure) in done.items() if sure < recheck_below]
            for idx in self._batches(batch_words, unsure):
                done.update(self._entity_chunk(batch_words, idx, self._fp32()))
        return [done[i][0] for i in range(len(batch_words))], [done[i][1] for i in range(len(batch_words))]

    def _batches(self, batch_words: Sequence[Sequence[str]], which) -> list[list[int]]:
        """`which` posts in batches of similar length, so little of a batch is padding."""
        order = sorted(which, key=lambda i: self.aligner.n_subtokens(batch_words[i]))
        return [order[s : s + self.batch_size] for s in range(0, len(order), self.batch_size)]

    def _entity_chunk(self, batch_words, idx: list[int], session) -> dict[int, tuple[list[PredictedSpan], float]]:
        words = [list(batch_words[i]) for i in idx]
        a = self.aligner.encode_lists(words)
        W = len(a.first_subtoken[0])
        shapes = np.zeros((len(words), W, len(SHAPE_FEATURES)), dtype=np.float32)
        for b, ws in enumerate(words):
            for j, w in enumerate(ws[:W]):
                shapes[b, j] = word_shape(w)
        (em,) = session.run(["emissions"], self._feed(
            input_ids=np.asarray(a.input_ids, dtype=np.int64), attention_mask=np.asarray(a.attention_mask, dtype=np.int64),
            token_type_ids=np.asarray(a.token_type_ids, dtype=np.int64),
            first_subtoken=np.asarray(a.first_subtoken, dtype=np.int64), shapes=shapes))
        lengths = [sum(row) for row in a.word_mask]   # words past the length limit come last and stay O
        paths, conf = self.crf.decode(em, lengths)
        return {i: (spans_from_path(self.manifest.labels, self.schema, path, c, len(ws)), min(c, default=1.0))
                for i, ws, path, c in zip(idx, words, paths, conf)}

    def predict_relations(self, items: Sequence[tuple[Sequence[str], Span, Span]],
                          knowledge: Sequence[str] | None = None) -> list[PredictedRelation]:
        return self.relations_with_recheck(items, self.recheck_below)

    def relations_with_recheck(self, items: Sequence[tuple[Sequence[str], Span, Span]],
                               recheck_below: float) -> list[PredictedRelation]:
        """One relation per pair; pairs whose relation int8 gives a probability under
        `recheck_below` are read again by the fp32 graph (int8 only)."""
        if self.manifest.task != "mre":
            raise ValueError(f"{self.manifest.name} is an entity model")
        pairs = [(list(w), h, t) for w, h, t in items]
        out = [r for s in range(0, len(pairs), self.batch_size)
               for r in self._relation_chunk(pairs[s : s + self.batch_size], self.session)]
        if self.precision == "int8":
            unsure = [k for k, r in enumerate(out) if r.confidence < recheck_below]
            for s in range(0, len(unsure), self.batch_size):
                ks = unsure[s : s + self.batch_size]
                again = self._relation_chunk([pairs[k] for k in ks], self._fp32())
                for k, r in zip(ks, again):
                    out[k] = r
        return out

    def _relation_chunk(self, chunk, session) -> list[PredictedRelation]:
        labels = self.manifest.labels
        none_bias = float(self.config.get("none_bias", 0.0) or 0.0)
        a, markers = align_pairs(self.aligner, chunk, None, self.config.get("relation_markers", "ids"))
        (logits,) = session.run(["logits"], self._feed(
            input_ids=np.asarray(a.input_ids, dtype=np.int64), attention_mask=np.asarray(a.attention_mask, dtype=np.int64),
            token_type_ids=np.asarray(a.token_type_ids, dtype=np.int64), markers=np.asarray(markers, dtype=np.int64)))
        if none_bias and "None" in labels:
            logits[:, labels.index("None")] += none_bias
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = z / z.sum(axis=1, keepdims=True)
        out = []
        for row in probs:
            j = int(row.argmax())
            out.append(PredictedRelation(labels[j], round(float(row[j]), 4), tuple(round(float(v), 4) for v in row)))
        return out
