"""Distillation losses. The KL runs from the knowledge view (the teacher, detached) to the
text view, and is masked exactly like the gold loss: only real words count."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_kl(teacher_log_p: torch.Tensor, student_log_q: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over unmasked positions of KL(p || q) = sum_t p (log p - log q); [B, W, T] inputs."""
    p = teacher_log_p.exp()
    kl = (p * (teacher_log_p - student_log_q)).sum(-1)
    m = mask.float()
    return (kl * m).sum() / m.sum().clamp(min=1.0)


def relation_kl(teacher_logits: torch.Tensor, student_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    log_p = F.log_softmax(teacher_logits / temperature, dim=-1)
    log_q = F.log_softmax(student_logits / temperature, dim=-1)
    return (log_p.exp() * (log_p - log_q)).sum(-1).mean()


def total_loss(lam: float, temperature: float, l_knowledge: torch.Tensor, l_text: torch.Tensor,
               kl: torch.Tensor) -> torch.Tensor:
    """lam * (L_knowledge + L_text) + (1 - lam) * T^2 * KL"""
    return lam * (l_knowledge + l_text) + (1.0 - lam) * temperature ** 2 * kl
