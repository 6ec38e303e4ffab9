"""The record of every import (what file, what it gave), for model manifests and the UI."""

from __future__ import annotations

import json

from .core import Store, utc_now


def record_import(store: Store, kind: str, path: str, sha256: str, dataset: str, split: str | None,
                  summary: dict) -> None:
    store.db["imports"].insert({"kind": kind, "path": path, "sha256": sha256, "dataset": dataset, "split": split,
                                "summary": json.dumps(summary), "created_at": utc_now()})


def earlier_imports_of(store: Store, kind: str, sha256: str) -> list[tuple[str, str | None]]:
    """(dataset, split) of each earlier import of the same file as the same kind."""
    return [(r[0], r[1]) for r in store.conn.execute(
        "SELECT dataset, split FROM imports WHERE kind = ? AND sha256 = ? ORDER BY id", (kind, sha256))]


def newest_imported_split(store: Store, leaving_out: tuple[str, ...] = ()) -> tuple[str, str, str] | None:
    """(dataset, split, when) of the newest import that named a split, outside the datasets
    `leaving_out`."""
    marks = ",".join("?" * len(leaving_out)) or "''"
    row = store.conn.execute(f"SELECT dataset, split, created_at FROM imports WHERE split IS NOT NULL "
                             f"AND dataset NOT IN ({marks}) ORDER BY created_at DESC, id DESC LIMIT 1",
                             tuple(leaving_out)).fetchone()
    return (row[0], row[1], row[2]) if row else None
