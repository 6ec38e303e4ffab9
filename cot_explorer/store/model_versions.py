"""Model-version rows: which versions the store knows, their lineage, which is promoted.
The checkpoints themselves are folders (student/registry.py finds them)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .core import Store, utc_now
from .predictions import forget_predictions


@dataclass(frozen=True)
class VersionRow:
    name: str
    task: str
    variant: str
    path: str
    parent: str | None
    created_at: str
    promoted_at: str | None
    promoted_by: str | None = None
    promote_reason: str | None = None


def _row(r) -> VersionRow:
    return VersionRow(r["name"], r["task"], r["variant"], r["path"], r["parent"], r["created_at"], r["promoted_at"],
                      r["promoted_by"], r["promote_reason"])


def get_version(store: Store, name: str) -> VersionRow | None:
    rows = list(store.db.query("SELECT * FROM model_versions WHERE name = ?", [name]))
    return _row(rows[0]) if rows else None


def all_versions(store: Store) -> list[VersionRow]:
    return [_row(r) for r in store.db.query("SELECT * FROM model_versions ORDER BY created_at")]


def recorded_for_other_checkpoint(known: VersionRow | None, made: str | None) -> bool:
    """Whether a recorded version row stands for another checkpoint of its name than one whose
    manifest was made at `made` (a manifest that never said when cannot be told apart)."""
    return known is not None and bool(made) and known.created_at != made


def upsert_version(store: Store, *, name: str, task: str, variant: str, path: str, backbone: str,
                   parent: str | None, manifest: dict, created_at: str) -> None:
    """Record a version (again). A parent already recorded is never dropped. A name recorded
    for another checkpoint (its manifest made at another time: a shipped default that an
    upgrade replaced) loses its cached predictions in the same transaction: they are the
    other weights' answers."""
    with store.write():
        known = get_version(store, name)
        if parent is None and known is not None:
            parent = known.parent
        if recorded_for_other_checkpoint(known, manifest.get("created_at")):
            forget_predictions(store, name)
        store.db["model_versions"].upsert({
            "name": name, "task": task, "variant": variant, "path": path, "backbone": backbone, "parent": parent,
            "manifest": json.dumps(manifest), "metrics": json.dumps(manifest.get("metrics", {})),
            "created_at": created_at,
        }, pk="name")


def promoted(store: Store, task: str) -> list[VersionRow]:
    """Promoted versions of a task, the current default first."""
    rows = store.db.query("SELECT * FROM model_versions WHERE task = ? AND promoted_at IS NOT NULL "
                          "ORDER BY promoted_at DESC", [task])
    return [_row(r) for r in rows]


@dataclass(frozen=True)
class PromotionEvent:
    """One promotion or roll-back, as it happened: `version` promoted (replacing `other`), or
    rolled back (`other` the default again)."""

    task: str
    action: str   # 'promote' or 'rollback'
    version: str
    other: str | None
    by: str | None
    reason: str | None
    at: str

    def what(self) -> str:
        """What happened, in words (one place for the app's table and the CLI)."""
        if self.action == "promote":
            return f"promoted {self.version}" + (f", replacing {self.other}" if self.other else "")
        return f"rolled back {self.version}" + (f": {self.other} the default again" if self.other else "")


def _record(store: Store, task: str, action: str, version: str, other: str | None, by: str | None,
            reason: str | None, at: str) -> None:
    store.conn.execute("INSERT INTO promotions (task, action, version, other, by, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (task, action, version, other, by, reason, at))


def set_promoted(store: Store, name: str, by: str | None = None, reason: str | None = None,
                 replacing: str | None = None) -> None:
    """`name` becomes its task's default; the promotion is kept in the history (`replacing`:
    the default before it)."""
    with store.write():
        now = utc_now()
        store.conn.execute("UPDATE model_versions SET promoted_at = ?, promoted_by = ?, promote_reason = ? "
                           "WHERE name = ?", (now, by, reason, name))
        task = store.conn.execute("SELECT task FROM model_versions WHERE name = ?", (name,)).fetchone()[0]
        _record(store, task, "promote", name, replacing, by, reason, now)


def demote_default(store: Store, task: str, by: str | None = None, reason: str | None = None) -> str | None:
    """Un-promote the current default of `task`; returns its name (None if none was promoted).
    The roll-back is kept in the history; which default comes back is filled in by
    `note_restored`, which knows the shipped one too."""
    with store.write():
        current = promoted(store, task)
        if not current:
            return None
        store.conn.execute("UPDATE model_versions SET promoted_at = NULL WHERE name = ?", (current[0].name,))
        _record(store, task, "rollback", current[0].name, None, by, reason, utc_now())
        return current[0].name


def note_restored(store: Store, task: str, restored: str) -> None:
    """The default the latest roll-back of `task` brought back."""
    with store.write():
        store.conn.execute("UPDATE promotions SET other = ? WHERE id = (SELECT max(id) FROM promotions WHERE task = ? "
                           "AND action = 'rollback')", (restored, task))


def promotion_history(store: Store, limit: int = 50) -> list[PromotionEvent]:
    """Promotions and roll-backs, newest first."""
    rows = store.db.query("SELECT * FROM promotions ORDER BY id DESC LIMIT ?", [limit])
    return [PromotionEvent(r["task"], r["action"], r["version"], r["other"], r["by"], r["reason"], r["at"])
            for r in rows]


def versions_signature(store: Store) -> str:
    """What changes when a version is made, promoted or rolled back (one row read): a page left
    open compares it to what it shows."""
    row = store.conn.execute("SELECT (SELECT count(*) FROM model_versions), (SELECT max(id) FROM promotions)").fetchone()
    return f"{row[0]}:{row[1]}"
