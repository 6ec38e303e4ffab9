"""The BIO-constrained CRF's decoding in NumPy, for backends that give emissions and no
PyTorch: Viterbi paths and the marginal of each decoded tag (the confidence shown). The
constraints are the same ones training used (`bio_constraints`, also read by crf.py)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

FORBIDDEN = -10_000.0


def bio_constraints(tags: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Scores added to the start and transition scores: `I-X` may only follow `B-X` or `I-X`
    and may not start a sentence."""
    n = len(tags)
    start = np.zeros(n, dtype=np.float32)
    trans = np.zeros((n, n), dtype=np.float32)
    for j, to in enumerate(tags):
        if to.startswith("I-"):
            start[j] = FORBIDDEN
            for i, frm in enumerate(tags):
                if frm[2:] != to[2:] or frm == "O":
                    trans[i, j] = FORBIDDEN
    return start, trans


class NumpyCRF:
    def __init__(self, tags: Sequence[str], start: np.ndarray, end: np.ndarray, transitions: np.ndarray):
        c_start, c_trans = bio_constraints(tags)
        self.start = start.astype(np.float32) + c_start
        self.end = end.astype(np.float32)
        self.trans = transitions.astype(np.float32) + c_trans

    def decode(self, emissions: np.ndarray, lengths: Sequence[int]) -> tuple[list[list[int]], list[list[float]]]:
        """Per post: the Viterbi tag ids over its first `length` words, and each tag's marginal.
        The whole batch moves one word at a time together (a post past its length keeps its
        scores), so a batch of 32 costs about what one post did."""
        em = np.asarray(emissions, dtype=np.float32)
        lengths = np.asarray(lengths, dtype=np.int64)
        if em.ndim != 3 or len(em) != len(lengths) or (lengths < 0).any() or (lengths > em.shape[1]).any():
            raise ValueError(f"emissions {em.shape} and lengths {lengths.tolist()} do not match: "
                             "one length per post, each within the emissions' width")
        if len(em) == 0 or int(lengths.max(initial=0)) == 0:
            return [[] for _ in lengths], [[] for _ in lengths]
        n = lengths.clip(min=1)
        em = em[:, : int(n.max())]
        paths = self._viterbi(em, n)
        marg = self._marginals(em, n)
        rows = np.arange(len(em))[:, None]
        conf = marg[rows, np.arange(em.shape[1])[None, :], paths]
        out_paths, out_conf = [], []
        for b, k in enumerate(lengths.tolist()):
            out_paths.append(paths[b, :k].tolist())
            out_conf.append(conf[b, :k].astype(float).tolist())
        return out_paths, out_conf

    def _viterbi(self, em: np.ndarray, n: np.ndarray) -> np.ndarray:
        B, W, K = em.shape
        score = self.start + em[:, 0]                         # [batch, tag]
        back = np.zeros((B, W, K), dtype=np.int64)
        for i in range(1, W):
            total = score[:, :, None] + self.trans            # [batch, from, to]
            back[:, i] = total.argmax(1)
            score = np.where((i < n)[:, None], total.max(1) + em[:, i], score)
        tags = (score + self.end).argmax(1)
        paths = np.zeros((B, W), dtype=np.int64)
        rows = np.arange(B)
        for i in range(W - 1, -1, -1):                      # past a post's end its last tag stays
            paths[:, i] = tags
            if i > 0:
                tags = np.where(i <= n - 1, back[rows, i, tags], tags)
        return paths

    def _marginals(self, em: np.ndarray, n: np.ndarray) -> np.ndarray:
        B, W, K = em.shape
        alpha = np.empty_like(em)
        beta = np.empty_like(em)
        alpha[:, 0] = self.start + em[:, 0]
        for i in range(1, W):   # past a post's end alpha stays its last value, beta the end score
            step = _logsumexp(alpha[:, i - 1][:, :, None] + self.trans, axis=1) + em[:, i]
            alpha[:, i] = np.where((i < n)[:, None], step, alpha[:, i - 1])
        beta[:, W - 1] = self.end
        for i in range(W - 2, -1, -1):
            step = _logsumexp(self.trans + (em[:, i + 1] + beta[:, i + 1])[:, None, :], axis=2)
            beta[:, i] = np.where((i + 1 < n)[:, None], step, self.end)
        log_z = _logsumexp(alpha[np.arange(B), n - 1] + self.end, axis=1)
        return np.exp(alpha + beta - log_z[:, None, None])


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    m = x.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)
