"""pytorch-crf's CRF with BIO constraints built into its transitions, plus marginals.

`I-X` may only follow `B-X` or `I-X`, and may not start a sentence: those transitions get
a large negative score added, so Viterbi decoding never yields an invalid sequence while
training, scoring and decoding stay pytorch-crf's own code.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torchcrf import CRF

from .crf_numpy import bio_constraints as bio_constraints_np


def bio_constraints(tags: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    start, trans = bio_constraints_np(tags)   # one definition, shared with the NumPy decoder
    return torch.from_numpy(start), torch.from_numpy(trans)


class BioCRF(CRF):
    def __init__(self, tags: Sequence[str]):
        super().__init__(len(tags), batch_first=True)
        start, trans = bio_constraints(tags)
        self.register_buffer("start_constraint", start, persistent=False)
        self.register_buffer("transition_constraint", trans, persistent=False)

    def reset_parameters(self) -> None:
        for name in ("start_transitions", "end_transitions", "transitions"):
            nn.init.uniform_(self._parameters[name], -0.1, 0.1)

    def _constrained(self, name: str, constraint: str) -> torch.Tensor:
        raw = self._parameters.get(name)
        if raw is None:
            raise AttributeError(name)
        mask = self._buffers.get(constraint)
        return raw if mask is None else raw + mask

    @property
    def start_transitions(self) -> torch.Tensor:  # type: ignore[override]
        return self._constrained("start_transitions", "start_constraint")

    @property
    def transitions(self) -> torch.Tensor:  # type: ignore[override]
        return self._constrained("transitions", "transition_constraint")

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """Posterior P(tag at word i), [B, W, T]; rows under `mask`=False are 0."""
        return torch.exp(self.log_marginals(emissions, mask, temperature)) * mask.unsqueeze(2).float()

    def log_marginals(self, emissions: torch.Tensor, mask: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """Log posterior of each tag at each word by forward-backward, [B, W, T].

        Dividing every score by `temperature` softens the distribution for distillation.
        Rows under `mask`=False hold no meaning; mask them out.
        """
        em = emissions / temperature
        start, end, trans = self.start_transitions / temperature, self.end_transitions / temperature, self.transitions / temperature
        B, W, T = em.shape
        alpha = [start + em[:, 0]]
        for i in range(1, W):
            nxt = torch.logsumexp(alpha[-1].unsqueeze(2) + trans.unsqueeze(0), dim=1) + em[:, i]
            alpha.append(torch.where(mask[:, i : i + 1], nxt, alpha[-1]))
        lengths = mask.long().sum(1)
        beta = [None] * W
        last = torch.zeros(B, T, device=em.device) + end
        beta[W - 1] = last
        for i in range(W - 2, -1, -1):
            step = torch.logsumexp(trans.unsqueeze(0) + (em[:, i + 1] + beta[i + 1]).unsqueeze(1), dim=2)
            # past a sentence's end, beta is the end score; at its last word too
            beta[i] = torch.where((i + 1 < lengths).unsqueeze(1), step, last)
        a = torch.stack(alpha, 1)
        b = torch.stack(beta, 1)
        log_z = torch.logsumexp(a.gather(1, (lengths - 1).clamp(min=0).view(B, 1, 1).expand(B, 1, T)).squeeze(1) + end, dim=1)
        return a + b - log_z.view(B, 1, 1)
