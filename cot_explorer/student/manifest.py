"""A checkpoint's manifest: one dataclass, written and read everywhere, so every version a
training, a round or a benchmark made answers the same questions (its headline F1 and on
which set it was measured, its parent, its data)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

FORMAT = 1
# Which figure speaks for a version, best first: held-out (a round's fixed evaluation set),
# then test, then valid (the set that chose the epoch: optimistic).
HEADLINE_SETS = ("held_out", "test", "valid")
SET_NAMES = {"held_out": "held-out", "test": "test", "valid": "valid"}


@dataclass(frozen=True)
class Int8Verdict:
    """What `models quantize` measured about a checkpoint's int8 export (quantize.py): whether
    it may serve, whether it was faster one post at a time, and the certainty under which fp32
    re-reads a post. Only a verdict on the int8 method today's code builds counts."""
    qualifies: bool
    faster_than_fp32: bool
    recheck_below: float
    method: str


@dataclass
class Manifest:
    name: str
    task: str
    variant: str
    backbone: str
    labels: list[str]
    config: dict
    weights: list[str]
    dtype: str = "float32"
    omitted_from_backbone: list[str] = field(default_factory=list)
    created_at: str = ""
    metrics: dict[str, dict] = field(default_factory=dict)   # set name -> scores (f1, precision, ...)
    data: dict = field(default_factory=dict)                  # what it was trained and measured on
    training: dict = field(default_factory=dict)              # how: parent, epochs, command, machine
    format: int = FORMAT
    extra: dict = field(default_factory=dict)                 # anything else a writer recorded

    def int8_verdict(self, method: str) -> Int8Verdict | None:
        """The recorded int8 verdict if it was made on `method` (onnx_export.INT8_METHOD), else None."""
        q = (self.extra.get("onnx") or {}).get("int8") or {}
        if q.get("method") != method or q.get("recheck_below") is None:
            return None
        return Int8Verdict(bool(q.get("qualifies")), bool(q.get("faster_than_fp32")), float(q["recheck_below"]),
                           method)

    @property
    def parent(self) -> str | None:
        return self.training.get("parent")

    def headline_f1(self) -> tuple[float, str] | None:
        """(F1, the set it is on), from the most trustworthy set measured; None if none was."""
        for key in HEADLINE_SETS:
            f1 = (self.metrics.get(key) or {}).get("f1")
            if f1 is not None:
                # the split that chose the epoch by its name: `--valid-split test` read "(valid)"
                chose = self.data.get("valid") if key == "valid" else None
                return float(f1), (f"{chose} split" if chose and chose != "valid" else SET_NAMES[key])
        return None

    def to_json(self) -> dict:
        d = asdict(self)
        extra = d.pop("extra")
        return {**d, **extra}

    @classmethod
    def from_json(cls, d: dict) -> "Manifest":
        known = {f.name for f in fields(cls)} - {"extra"}
        return cls(**{k: v for k, v in d.items() if k in known},
                   extra={k: v for k, v in d.items() if k not in known})

    def write(self, folder: Path) -> None:
        (folder / "manifest.json").write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        f = Path(folder) / "manifest.json"
        if not f.exists():
            raise FileNotFoundError(f"{folder} is not a checkpoint (no manifest.json)")
        return cls.from_json(json.loads(f.read_text()))
