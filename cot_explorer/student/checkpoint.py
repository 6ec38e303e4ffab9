"""Checkpoints: a folder with weights, a backbone reference, the label schema and a manifest.

Weights the training left equal to the backbone (frozen word embeddings) are not stored;
loading rebuilds them from the backbone. A checkpoint is written into a temporary folder
and renamed into place, so a crash mid-save never leaves a half-written version behind,
and an existing version is never overwritten (model_folders).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import torch
from safetensors.torch import load_file, save_file

from .backbone import load_backbone
from .config import TrainConfig
from .manifest import Manifest
from .model_folders import NameTaken, check_version_name, cleanup_failed_write, new_temp_folder, publish
from .seen_posts import write_seen
from .train import make_task

SHARD_BYTES = 15 * 1024 * 1024
WORD_EMBEDDINGS = "encoder.embeddings.word_embeddings.weight"


@dataclass
class LoadedStudent:
    model: torch.nn.Module
    task: object
    config: TrainConfig
    manifest: Manifest
    path: Path


def _shards(state: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
    shards, cur, size = [], {}, 0
    for k, v in state.items():
        n = v.numel() * v.element_size()
        if cur and size + n > SHARD_BYTES:
            shards.append(cur)
            cur, size = {}, 0
        cur[k] = v
        size += n
    if cur:
        shards.append(cur)
    return shards


def save_checkpoint(root: Path, name: str, model: torch.nn.Module, config: TrainConfig, labels: tuple[str, ...],
                    extra: dict | None = None, dtype: str = "float32", replace: bool = False,
                    seen: tuple[Iterable[str], str] | None = None) -> Path:
    """Write `root/name` atomically (see model_folders). An existing version is never
    overwritten unless `replace` (benchmark re-runs), which is safe against a kill at any instant.
    `seen`: the digests of the posts it was trained on and what they were (seen_posts), in
    the same folder, so a version never exists without them."""
    name = check_version_name(name)
    omitted = [WORD_EMBEDDINGS] if config.freeze_word_embeddings else []
    state = {}
    for k, v in model.state_dict().items():
        if k in omitted:
            continue
        v = v.detach().to("cpu")
        if dtype == "float16" and v.is_floating_point():
            v = v.half()
        state[k] = v.contiguous()
    if (root / name).exists() and not replace:
        raise NameTaken(f"a model version named {name!r} exists; choose another name (versions are never overwritten)")
    tmp = new_temp_folder(root, name)
    try:
        files = []
        for i, shard in enumerate(_shards(state), start=1):
            fname = f"weights-{i:05d}.safetensors"
            save_file(shard, str(tmp / fname))
            files.append(fname)
        extra = dict(extra or {})
        manifest = Manifest(
            name=name, task=config.task, variant=config.variant, backbone=config.backbone, labels=list(labels),
            config=config.to_json(), weights=files, dtype=dtype, omitted_from_backbone=omitted,
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            metrics=extra.pop("metrics", {}), data=extra.pop("data", {}), training=extra.pop("training", {}),
            extra=extra)
        manifest.write(tmp)
        if seen is not None:
            write_seen(tmp, *seen)
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
            f.chmod(0o644)
        tmp.chmod(0o755)
    except BaseException as e:
        cleanup_failed_write(tmp, e, f"the model version {name!r}")
        raise
    return publish(tmp, root, name, replace=replace)


def read_manifest(path: Path) -> Manifest:
    return Manifest.read(path)


def load_checkpoint(path: Path, backbone: str | None = None) -> LoadedStudent:
    path = Path(path)
    manifest = Manifest.read(path)
    config = TrainConfig.from_json(manifest.config)
    if backbone:
        config.backbone = backbone
    tokenizer, encoder = load_backbone(config.backbone)
    labels = tuple(manifest.labels)
    types = [t[2:] for t in labels if t.startswith("B-")] if config.task == "mner" else None
    task = make_task(config, tokenizer, types)
    model = task.build(config, encoder)
    state: dict[str, torch.Tensor] = {}
    for f in manifest.weights:
        state.update(load_file(str(path / f)))
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - set(manifest.omitted_from_backbone):
        raise ValueError(f"{path}: weights do not fit the model (missing {missing}, unexpected {unexpected})")
    model.eval()
    return LoadedStudent(model, task, config, manifest, path)
