"""Soft targets from frozen knowledge-view teachers, for the `kd` variant.

A knowledge-view student (post + CoT) is trained first and frozen; its CRF tag marginals at
the distillation temperature, averaged over one or more such teachers, become each post's
soft targets. Computed once, before the student trains, so a `kd` epoch costs what a text
epoch costs; and every post that has CoT teaches, whether or not it has gold labels.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np
import torch

from .checkpoint import LoadedStudent
from .data import MnerExample


def with_soft_targets(teachers: Sequence[LoadedStudent], examples: Sequence[MnerExample], temperature: float,
                      batch_size: int = 32, device=None, progress: bool = False) -> list[MnerExample]:
    """`examples`, each with CoT given the teachers' mean tag marginals [n_words, T] (float16);
    examples without CoT are returned as they are. With `device`, the teachers run there."""
    if not teachers:
        raise ValueError("kd needs at least one knowledge-view teacher")
    tags = teachers[0].task.tags
    for t in teachers:
        if t.config.variant != "knowledge":
            raise ValueError(f"{t.path} is a {t.config.variant} model; kd teachers are knowledge-view models")
        if t.task.tags != tags:
            raise ValueError(f"{t.path} predicts tags {t.task.tags}, not {tags}")
    if device is not None:
        for t in teachers:
            t.model.to(device)
    out = list(examples)
    todo = [i for i, ex in enumerate(examples) if ex.knowledge]
    todo.sort(key=lambda i: len(examples[i].words))
    from tqdm import tqdm

    bar = tqdm(total=len(todo), disable=not progress, unit="posts", desc="teacher marginals")
    with torch.inference_mode(), bar:
        for start in range(0, len(todo), batch_size):
            idx = todo[start : start + batch_size]
            chunk = [examples[i] for i in idx]
            total = None
            for t in teachers:
                t.model.eval()
                x = t.task.collate(chunk, knowledge=True)
                if device is not None:
                    x = x.to(device)
                em = t.model.emissions(x.knowledge, x.shapes, use_prompts=False)
                probs = t.model.crf.marginals(em, x.text.word_mask, temperature)
                total = probs if total is None else total + probs
            mean = (total / len(teachers)).float().cpu().numpy()
            for j, i in enumerate(idx):
                n = len(examples[i].words)
                out[i] = replace(examples[i], soft_targets=mean[j, :n].astype(np.float16))
            bar.update(len(idx))
    return out


def kd_training_set(teachers: Sequence[LoadedStudent], labelled: Sequence[MnerExample],
                    unlabelled: Sequence[MnerExample], temperature: float, device=None,
                    progress: bool = False) -> list[MnerExample]:
    """What a kd student trains on: the labelled posts and the unlabelled ones, every post with
    CoT carrying the teachers' marginals; an unlabelled post without CoT has nothing to teach
    and is left out. The teachers run on the training device (Accelerate's) unless told."""
    if device is None:
        from accelerate import PartialState

        device = PartialState().device
    examples = with_soft_targets(teachers, list(labelled) + list(unlabelled), temperature, device=device,
                                 progress=progress)
    return [ex for ex in examples if ex.labelled or ex.soft_targets is not None]
