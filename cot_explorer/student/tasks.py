"""What differs between MNER and MRE for training and inference: batching, losses by
variant, prediction and scoring. The training loop is shared (train.py)."""

from __future__ import annotations

import random
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from ..evaluate import score_relations, score_spans
from ..labels import MRE_RELATIONS, MnerSchema
from .align import WordAligner
from .config import TrainConfig
from .data import MnerExample, MreExample
from .distill import masked_kl, relation_kl, total_loss
from .features import shape_tensor
from .mner import MnerInputs, MnerStudent
from .mre import MreInputs, MreStudent, encode_pairs
from .predictions import PredictedRelation, PredictedSpan, spans_from_path

# told after each batch of a prediction: (examples done, of how many)
BatchDone = Callable[[int, int], None]


class MnerTask:
    name = "mner"

    def __init__(self, schema: MnerSchema, aligner: WordAligner):
        self.schema = schema
        self.tags = schema.tags
        self.tag_id = {t: i for i, t in enumerate(self.tags)}
        self.aligner = aligner

    def build(self, config: TrainConfig, encoder) -> MnerStudent:
        return MnerStudent(encoder, self.tags, config.prompt_kind, config.n_prompts, config.shape_features, config.dropout)

    def collate(self, examples: Sequence[MnerExample], knowledge: bool, word_dropout: float = 0.0,
                rng: random.Random | None = None) -> MnerInputs:
        """A batch; in training, `word_dropout` of the words reach the text view as [UNK]
        (their shape features stay, so capitalisation still speaks for an unseen name)."""
        words = [ex.words for ex in examples]
        text_words = words
        if word_dropout > 0:
            rng = rng or random.Random(0)
            unk = self.aligner.tok.unk_token
            text_words = [tuple(unk if rng.random() < word_dropout else w for w in ws) for ws in words]
        text = self.aligner.encode(text_words)
        W = text.first_subtoken.size(1)
        tags = torch.zeros((len(examples), W), dtype=torch.long)
        for b, ex in enumerate(examples):
            for s in ex.spans:
                tags[b, s.start] = self.tag_id[f"B-{s.type}"]
                tags[b, s.start + 1 : s.end] = self.tag_id[f"I-{s.type}"]
        tags = tags * text.word_mask  # words with no sub-token are not scored
        k = self.aligner.encode(words, [ex.knowledge for ex in examples]) if knowledge else None
        labelled = torch.tensor([ex.labelled for ex in examples], dtype=torch.bool)
        soft = None
        if any(ex.soft_targets is not None for ex in examples):
            soft = torch.zeros((len(examples), W, len(self.tags)))
            for b, ex in enumerate(examples):
                if ex.soft_targets is not None:
                    t = torch.as_tensor(ex.soft_targets, dtype=torch.float32)[:W]
                    soft[b, : t.size(0)] = t
        return MnerInputs(text, shape_tensor(words, W), tags, k, labelled, soft)

    def loss(self, model: MnerStudent, x: MnerInputs, cfg: TrainConfig) -> tuple[torch.Tensor, dict]:
        mask = x.text.word_mask
        if cfg.variant == "text":
            l_text = model.nll(model.emissions(x.text, x.shapes), x.tags, mask)
            return l_text, {"text": l_text.item()}
        if cfg.variant == "kd":
            return self._kd_loss(model, x, cfg)
        em_k = model.emissions(x.knowledge, x.shapes, use_prompts=False)
        l_k = model.nll(em_k, x.tags, mask)
        if cfg.variant == "knowledge":
            return l_k, {"knowledge": l_k.item()}
        em_t = model.emissions(x.text, x.shapes, use_prompts=True)
        l_t = model.nll(em_t, x.tags, mask)
        with torch.no_grad():
            log_p = model.crf.log_marginals(em_k.detach(), mask, cfg.temperature)
        log_q = model.crf.log_marginals(em_t, mask, cfg.temperature)
        kl = masked_kl(log_p, log_q, mask)
        loss = total_loss(cfg.lam, cfg.temperature, l_k, l_t, kl)
        return loss, {"knowledge": l_k.item(), "text": l_t.item(), "kl": kl.item()}

    def _kd_loss(self, model: MnerStudent, x: MnerInputs, cfg: TrainConfig) -> tuple[torch.Tensor, dict]:
        """lam * gold NLL (labelled posts) + (1 - lam) * T^2 * KL(teachers || text view) on the
        words of posts that carry soft targets; masked like the gold loss."""
        mask = x.text.word_mask
        em = model.emissions(x.text, x.shapes, use_prompts=True)
        parts: dict[str, float] = {}
        loss = em.new_zeros(())
        if x.labelled is not None and bool(x.labelled.any()):
            rows = x.labelled
            l_text = model.nll(em[rows], x.tags[rows], mask[rows])
            loss = loss + cfg.lam * l_text
            parts["text"] = l_text.item()
        if x.soft_targets is not None:
            has = x.soft_targets.sum(-1) > 0
            kd_mask = mask & has
            if bool(kd_mask.any()):
                log_q = model.crf.log_marginals(em, mask, cfg.temperature)
                p = x.soft_targets
                kl = ((p * (torch.log(p.clamp(min=1e-8)) - log_q)).sum(-1) * kd_mask).sum() / kd_mask.sum()
                loss = loss + (1.0 - cfg.lam) * cfg.temperature ** 2 * kl
                parts["kl"] = kl.item()
        return loss, parts

    @torch.inference_mode()
    def predict(self, model: MnerStudent, examples: Sequence[MnerExample], cfg: TrainConfig,
                batch_size: int = 64, device=None, on_batch: BatchDone | None = None) -> list[list[PredictedSpan]]:
        """Spans with confidences (mean marginal of the decoded tags), in input order.

        Posts are batched by sub-token length so little time goes into padding; `on_batch`
        hears how many are done after each batch (a round's bar stood still while it scored).
        """
        if model.training:
            model.eval()
        out: list[list[PredictedSpan] | None] = [None] * len(examples)
        use_k = cfg.variant == "knowledge"
        order = sorted(range(len(examples)), key=lambda i: self.aligner.n_subtokens(examples[i].words))
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            chunk = [examples[j] for j in idx]
            x = self.collate(chunk, knowledge=use_k)
            if device is not None:
                x = x.to(device)
            batch = x.knowledge if use_k else x.text
            em = model.emissions(batch, x.shapes, use_prompts=not use_k)
            paths, marg = model.decode(em, x.text.word_mask)
            W = marg.size(1)
            path_t = torch.tensor([p + [0] * (W - len(p)) for p in paths], device=marg.device)
            conf = marg.gather(2, path_t.unsqueeze(2)).squeeze(2).float().cpu().tolist()
            for j, ex, path, c in zip(idx, chunk, paths, conf):
                out[j] = self.spans_from_path(path, c, len(ex.words))
            if on_batch is not None:
                on_batch(min(i + batch_size, len(order)), len(order))
        return out  # type: ignore[return-value]

    def spans_from_path(self, path: list[int], confidence: list[float], n_words: int) -> list[PredictedSpan]:
        return spans_from_path(self.tags, self.schema, path, confidence, n_words)

    def evaluate(self, model, examples: Sequence[MnerExample], cfg: TrainConfig, device=None) -> dict:
        pred = self.predict(model, examples, cfg, cfg.eval_batch_size, device)
        scores = score_spans([ex.spans for ex in examples], [[p.span() for p in ps] for ps in pred])
        return scores.to_json()


class MreTask:
    name = "mre"

    def __init__(self, aligner: WordAligner, labels: tuple[str, ...] = MRE_RELATIONS, markers: str = "ids"):
        self.labels = labels
        self.label_id = {lab: i for i, lab in enumerate(labels)}
        self.aligner = aligner
        self.markers = markers

    def build(self, config: TrainConfig, encoder) -> MreStudent:
        return MreStudent(encoder, self.labels, config.prompt_kind, config.n_prompts, config.dropout)

    def collate(self, examples: Sequence[MreExample], knowledge: bool, word_dropout: float = 0.0,
                rng: random.Random | None = None) -> MreInputs:
        items = [(ex.words, ex.head, ex.tail) for ex in examples]
        text_items = items
        if word_dropout > 0:  # the entity markers always stay
            rng = rng or random.Random(0)
            unk = self.aligner.tok.unk_token
            text_items = [(tuple(unk if rng.random() < word_dropout else w for w in ws), h, t) for ws, h, t in items]
        text = encode_pairs(self.aligner, text_items, style=self.markers)
        k = encode_pairs(self.aligner, items, [ex.knowledge for ex in examples], style=self.markers) if knowledge else None
        labels = torch.tensor([self.label_id[ex.label] for ex in examples], dtype=torch.long)
        return MreInputs(text, labels, k)

    def loss(self, model: MreStudent, x: MreInputs, cfg: TrainConfig) -> tuple[torch.Tensor, dict]:
        if cfg.variant == "text":
            l_text = F.cross_entropy(model.logits(x.text), x.labels)
            return l_text, {"text": l_text.item()}
        z_k = model.logits(x.knowledge, use_prompts=False)
        l_k = F.cross_entropy(z_k, x.labels)
        if cfg.variant == "knowledge":
            return l_k, {"knowledge": l_k.item()}
        z_t = model.logits(x.text, use_prompts=True)
        l_t = F.cross_entropy(z_t, x.labels)
        kl = relation_kl(z_k.detach(), z_t, cfg.temperature)
        return total_loss(cfg.lam, cfg.temperature, l_k, l_t, kl), {"knowledge": l_k.item(), "text": l_t.item(), "kl": kl.item()}

    @torch.inference_mode()
    def predict(self, model: MreStudent, examples: Sequence[MreExample], cfg: TrainConfig,
                batch_size: int = 64, device=None, on_batch: BatchDone | None = None) -> list[PredictedRelation]:
        model.eval()
        out: list[PredictedRelation] = []
        use_k = cfg.variant == "knowledge"
        for i in range(0, len(examples), batch_size):
            x = self.collate(examples[i : i + batch_size], knowledge=use_k)
            if device is not None:
                x = x.to(device)
            logits = model.logits(x.knowledge if use_k else x.text, use_prompts=not use_k).cpu()
            if cfg.none_bias and "None" in self.label_id:  # calibrated on valid after training
                logits[:, self.label_id["None"]] += cfg.none_bias
            probs = torch.softmax(logits, -1)
            for row in probs:
                j = int(row.argmax())
                out.append(PredictedRelation(self.labels[j], round(float(row[j]), 4),
                                             tuple(round(float(v), 4) for v in row)))
            if on_batch is not None:
                on_batch(len(out), len(examples))
        return out

    def evaluate(self, model, examples: Sequence[MreExample], cfg: TrainConfig, device=None) -> dict:
        pred = self.predict(model, examples, cfg, cfg.eval_batch_size, device)
        return score_relations([ex.label for ex in examples], [p.label for p in pred]).to_json()
