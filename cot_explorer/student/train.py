"""The training loop, shared by both tasks and all variants, on Hugging Face Accelerate
(the same code on CPU, one GPU or several). Read it top to bottom."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from ..labels import mner_schema_for
from .align import WordAligner
from .backbone import load_backbone
from .config import TrainConfig
from .data import subsample
from .mention_noise import HandlePool, add_mentions
from .tasks import MnerTask, MreTask

WORD_EMBEDDINGS = "encoder.embeddings.word_embeddings.weight"


class TrainCallback(Protocol):
    """What a job runner hears from training, and how it stops it."""

    def on_step(self, step: int, total_steps: int, loss: float) -> None: ...
    def on_eval(self, epoch: int, metrics: dict) -> None: ...
    def should_cancel(self) -> bool: ...


@dataclass
class TrainResult:
    model: torch.nn.Module
    task: object
    config: TrainConfig
    best_epoch: int
    best_valid: dict
    history: list[dict] = field(default_factory=list)
    seconds_per_epoch: list[float] = field(default_factory=list)
    stopped: str = "finished"   # finished | early-stopped | cancelled


def make_task(config: TrainConfig, tokenizer, entity_types: Sequence[str] | None = None):
    aligner = WordAligner(tokenizer, config.max_text_tokens, config.knowledge_budget if config.uses_knowledge else 0)
    if config.task == "mner":
        return MnerTask(mner_schema_for("", entity_types), aligner)
    return MreTask(aligner, markers=config.relation_markers)


class _WithLoss(torch.nn.Module):
    """Puts the task's loss in forward(), so distributed wrappers see every step."""

    def __init__(self, model: torch.nn.Module, task, config: TrainConfig):
        super().__init__()
        self.model, self.task, self.config = model, task, config

    def forward(self, batch):
        return self.task.loss(self.model, batch, self.config)


def _param_groups(model: torch.nn.Module, cfg: TrainConfig) -> list[dict]:
    """Encoder at `lr`, the rest at `head_lr`; with `crf_lr`, the emission layer and CRF
    (or the relation classifier) at their own rate. No weight decay on biases and norms."""
    groups: dict[tuple[str, bool], list] = {}
    lrs = {"encoder": cfg.lr, "head": cfg.head_lr, "output": cfg.crf_lr or cfg.head_lr}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        bare = name.removeprefix("model.")
        part = ("encoder" if bare.startswith("encoder.") else
                "output" if bare.startswith(("emit.", "crf.", "classify.")) else "head")
        decay = p.ndim > 1 and "LayerNorm" not in name and "norm" not in name.lower()
        groups.setdefault((part, decay), []).append(p)
    return [{"params": ps, "lr": lrs[part], "weight_decay": cfg.weight_decay if decay else 0.0}
            for (part, decay), ps in groups.items()]


def _batcher(task, config: TrainConfig, train: Sequence, rng: random.Random):
    """The training collate: mentions put in (mention_noise), then words dropped (word_dropout)."""
    pool = HandlePool.from_examples(train) if config.mention_noise > 0 else None
    o_index = task.tags.index("O") if pool else 0

    def collate(exs):
        if pool is not None:
            exs = add_mentions(exs, config.mention_noise, rng, pool, o_index)
        return task.collate(exs, knowledge=config.uses_knowledge, word_dropout=config.word_dropout, rng=rng)
    return collate


def train_student(config: TrainConfig, train: Sequence, valid: Sequence, callback: TrainCallback | None = None,
                  entity_types: Sequence[str] | None = None, progress: bool = True, init=None) -> TrainResult:
    """Train from the backbone, or, with `init` (a LoadedStudent), continue from its weights."""
    accelerator = Accelerator(mixed_precision=config.mixed_precision)
    set_seed(config.seed)
    if init is not None:
        task, student = init.task, init.model
        task.aligner.knowledge_budget = config.knowledge_budget if config.uses_knowledge else 0
    else:
        tokenizer, encoder = load_backbone(config.backbone)
        task = make_task(config, tokenizer, entity_types)
        student = task.build(config, encoder)
    if config.freeze_word_embeddings:
        student.encoder.get_input_embeddings().weight.requires_grad_(False)
    model = _WithLoss(student, task, config)
    train = subsample(train, config.train_fraction, config.seed)

    generator = torch.Generator().manual_seed(config.seed)
    dropout_rng = random.Random(config.seed)
    loader = DataLoader(list(train), batch_size=config.batch_size, shuffle=True, generator=generator,
                        collate_fn=_batcher(task, config, train, dropout_rng))
    optimizer = torch.optim.AdamW(_param_groups(model, config))
    steps = config.epochs * math.ceil(len(train) / config.batch_size)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup * steps), steps)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)

    result = TrainResult(model, task, config, best_epoch=-1, best_valid={"f1": -1.0})
    best_state = None
    bar = tqdm(total=steps, disable=not progress or not accelerator.is_main_process, desc=f"{config.task}/{config.variant}")
    step = 0
    for epoch in range(config.epochs):
        model.train()
        t0 = time.perf_counter()
        running = 0.0
        for batch in loader:
            loss, _parts = model(batch)
            accelerator.backward(loss)
            accelerator.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            running += loss.item()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if callback:
                callback.on_step(step, steps, loss.item())
                if callback.should_cancel():
                    result.stopped = "cancelled"
                    break
        result.seconds_per_epoch.append(time.perf_counter() - t0)
        if result.stopped == "cancelled":
            break
        metrics = task.evaluate(accelerator.unwrap_model(model).model, valid, config, accelerator.device)
        record = {"epoch": epoch + 1, "train_loss": running / max(1, len(loader)), "valid": metrics,
                  "seconds": result.seconds_per_epoch[-1]}
        result.history.append(record)
        if callback:
            callback.on_eval(epoch + 1, metrics)
        if metrics["f1"] > result.best_valid["f1"]:
            result.best_valid, result.best_epoch = metrics, epoch + 1
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in accelerator.unwrap_model(model).model.state_dict().items()}
        elif epoch + 1 - result.best_epoch >= config.patience:
            result.stopped = "early-stopped"
            break
    bar.close()
    model = accelerator.unwrap_model(model).model
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    result.model = model
    # Accelerate keeps references to what it prepared (the optimizer's state is twice the
    # model): drop them, or every round of a long-running app keeps its predecessor alive.
    accelerator.free_memory()
    del optimizer, scheduler, loader, best_state
    return result
