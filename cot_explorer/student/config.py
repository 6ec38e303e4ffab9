"""Training configuration: a small block of defaults saved into every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum

from .backbone import DEFAULT_BACKBONE


# text: the post only. knowledge: post + CoT (at test time too). distill-plain / distill: both
# views trained together, the text view with plain / post-conditioned soft prompts, KL from the
# knowledge view. kd: the text view with conditioned prompts, KL from the marginals of frozen,
# separately trained knowledge-view teachers (each example carries them as soft targets), so
# every post with CoT teaches, labelled or not.
class Variant(StrEnum):
    TEXT = "text"
    KNOWLEDGE = "knowledge"
    DISTILL_PLAIN = "distill-plain"
    DISTILL = "distill"
    KD = "kd"


VARIANTS: tuple[str, ...] = tuple(v.value for v in Variant)


@dataclass
class TrainConfig:
    task: str = "mner"                  # mner | mre
    variant: str = "distill"            # text | knowledge | distill-plain | distill
    backbone: str = DEFAULT_BACKBONE
    epochs: int = 12
    patience: int = 4                   # epochs without a better valid F1 before stopping
    batch_size: int = 16
    lr: float = 5e-5                    # encoder
    head_lr: float = 1e-3               # emission layer, CRF, prompt generator, shape features
    crf_lr: float | None = None         # emission layer and CRF only, when they should move faster
    word_dropout: float = 0.0           # share of training words the text view sees as [UNK]
    mention_noise: float = 0.0          # MNER: share of training posts given made-up @mentions, tagged O
    weight_decay: float = 0.01
    warmup: float = 0.1
    clip: float = 1.0
    dropout: float = 0.1
    seed: int = 42
    max_text_tokens: int = 128
    knowledge_budget: int = 160         # sub-tokens of CoT kept for the knowledge view
    n_prompts: int = 4                  # m soft prompts of the text view
    lam: float = 0.5                    # total = lam*(L_knowledge + L_text) + (1-lam)*T^2*KL
    temperature: float = 2.0
    shape_features: bool = True
    freeze_word_embeddings: bool = True  # keeps the shipped checkpoint small; see models/README.md
    train_fraction: float = 1.0
    mixed_precision: str = "no"         # no | bf16 | fp16 (GPU)
    eval_batch_size: int = 64
    relation_markers: str = "ids"       # MRE: ids ([unused0] ... ) | typed (@ * person * ... @, see mre.py)
    none_bias: float = 0.0              # MRE: added to the None logit at prediction; chosen on valid

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.task not in ("mner", "mre"):
            raise ValueError(f"task must be mner or mre, got {self.task!r}")
        if self.relation_markers not in ("ids", "typed"):
            raise ValueError(f"relation_markers must be ids or typed, got {self.relation_markers!r}")
        if not 0.0 <= self.word_dropout < 1.0:
            raise ValueError(f"word_dropout must be in [0, 1), got {self.word_dropout}")
        if not 0.0 <= self.mention_noise <= 1.0:
            raise ValueError(f"mention_noise must be in [0, 1], got {self.mention_noise}")
        if self.mention_noise and self.task != "mner":
            raise ValueError("mention_noise is for MNER: relation posts keep their words")
        if not 0.0 <= self.lam <= 1.0 or self.temperature <= 0:
            raise ValueError("lam must be in [0, 1] and temperature > 0")

    def check_trainable(self) -> "TrainConfig":
        """Refused before training, not when a saved version's settings are read (a version saved
        with 0 epochs before this check must still load): no pass over the data saved an untrained
        model, listed with F1 -1 and promotable."""
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"epochs and batch size must be at least 1 and lr above 0, got {self.epochs}, "
                             f"{self.batch_size} and {self.lr:g}")
        return self

    @property
    def has_soft_prompts(self) -> bool:
        """Whether the model has soft-prompt positions (a prompt-free kd student has none)."""
        return self.prompt_kind is not None and self.n_prompts > 0

    @property
    def uses_knowledge(self) -> bool:
        """Whether training reads the CoT itself (kd reads the teachers' marginals instead)."""
        return self.variant not in ("text", "kd")

    @property
    def prompt_kind(self) -> str | None:
        return {"distill": "conditional", "distill-plain": "plain", "kd": "conditional"}.get(self.variant)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})
