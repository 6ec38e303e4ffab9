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
        """Per post: the Viterbi tag ids over its first `length` words, and each tag's marginal."""
        paths, confidence = [], []
        for em, n in zip(emissions, lengths):
            if n == 0:
                paths.append([])
                confidence.append([])
                continue
            path = self._viterbi(em[:n])
            marg = self._marginals(em[:n])
            paths.append(path)
            confidence.append([float(marg[i, t]) for i, t in enumerate(path)])
        return paths, confidence

    def _viterbi(self, em: np.ndarray) -> list[int]:
        score = self.start + em[0]
        back = []
        for i in range(1, len(em)):
            total = score[:, None] + self.trans          # [from, to]
            back.append(total.argmax(0))
            score = total.max(0) + em[i]
        best = [int((score + self.end).argmax())]
        for b in reversed(back):
            best.append(int(b[best[-1]]))
        return best[::-1]

    def _marginals(self, em: np.ndarray) -> np.ndarray:
        W = len(em)
        alpha = np.empty_like(em)
        beta = np.empty_like(em)
        alpha[0] = self.start + em[0]
        for i in range(1, W):
            alpha[i] = _logsumexp(alpha[i - 1][:, None] + self.trans, axis=0) + em[i]
        beta[W - 1] = self.end
        for i in range(W - 2, -1, -1):
            beta[i] = _logsumexp(self.trans + (em[i + 1] + beta[i + 1])[None, :], axis=1)
        log_z = _logsumexp(alpha[W - 1] + self.end, axis=0)
        return np.exp(alpha + beta - log_z)


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    m = x.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)
