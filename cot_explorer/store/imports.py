"""The record of every import (what file, what it gave), for model manifests and the UI."""

from __future__ import annotations

import json

from .core import Store, utc_now


def record_import(store: Store, kind: str, path: str, sha256: str, dataset: str, split: str | None,
                  summary: dict) -> None:
    store.db["imports"].insert({"kind": kind, "path": path, "sha256": sha256, "dataset": dataset, "split": split,
                                "summary": json.dumps(summary), "created_at": utc_now()})
