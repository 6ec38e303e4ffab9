"""Model versions: checkpoints in the store's `models/` and the ones shipped in the repo's
`models/`; which one is the default is recorded in the store (promote, roll back)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import CotExplorerError
from ..store import Store, utc_now
from .checkpoint import LoadedStudent, load_checkpoint, read_manifest
from .model_folders import NameTaken, check_version_name, recover, release, reserve

SHIPPED_ENV = "COT_EXPLORER_MODELS"
SHIPPED_DEFAULT = {"mner": "mner-default"}


def shipped_dir() -> Path:
    env = os.environ.get(SHIPPED_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "models"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path
    task: str
    variant: str
    created_at: str
    metrics: dict
    shipped: bool
    promoted_at: str | None


class Registry:
    def __init__(self, store: Store):
        self.store = store
        self.user_dir = store.home / "models"
        self.recover()

    def recover(self) -> list[str]:
        """Undo what a killed save left behind (see model_folders.recover); run at start."""
        return recover(self.user_dir)

    def name_taken(self, name: str) -> bool:
        return (any((root / name).exists() for root, _ in self._dirs())
                or self.store.conn.execute("SELECT 1 FROM model_versions WHERE name = ?", (name,)).fetchone() is not None)

    def reserve(self, name: str) -> str:
        """Take a name for a training about to start; refused if any version has it."""
        name = check_version_name(name)
        if self.name_taken(name):
            raise NameTaken(f"a model version named {name!r} exists; choose another name (versions are never overwritten)")
        reserve(self.user_dir, name)
        return name

    def release(self, name: str) -> None:
        release(self.user_dir, name)

    def automatic_name(self, prefix: str) -> str:
        """`<prefix>-<UTC time>-<4 hex>`, reserved: unique even for two starts in the same second."""
        for _ in range(20):
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
            name = f"{prefix}-{stamp}-{secrets.token_hex(2)}"
            try:
                return self.reserve(name)
            except NameTaken:
                continue
        raise NameTaken(f"could not find a free name starting with {prefix!r}")

    def _dirs(self) -> list[tuple[Path, bool]]:
        return [(self.user_dir, False), (shipped_dir(), True)]

    def list(self) -> list[ModelInfo]:
        promoted = {r[0]: r[1] for r in self.store.conn.execute("SELECT name, promoted_at FROM model_versions")}
        out: list[ModelInfo] = []
        for root, shipped in self._dirs():
            if not root.exists():
                continue
            for d in sorted(root.iterdir()):
                if d.name.startswith(".") or not (d / "manifest.json").exists():
                    continue
                m = read_manifest(d)
                out.append(ModelInfo(d.name, d, m["task"], m["variant"], m.get("created_at", ""),
                                     m.get("metrics", {}), shipped, promoted.get(d.name)))
        return out

    def path(self, name_or_path: str, task: str = "mner") -> Path:
        if name_or_path == "default":
            return self.default_path(task)
        p = Path(name_or_path)
        if (p / "manifest.json").exists():
            return p
        for root, _ in self._dirs():
            if (root / name_or_path / "manifest.json").exists():
                return root / name_or_path
        raise CotExplorerError(f"no model {name_or_path!r}; known: {', '.join(m.name for m in self.list()) or 'none'}")

    def default_path(self, task: str = "mner") -> Path:
        rows = self.store.conn.execute(
            "SELECT name, path FROM model_versions WHERE task = ? AND promoted_at IS NOT NULL ORDER BY promoted_at DESC",
            (task,))
        for _name, path in rows:
            if (Path(path) / "manifest.json").exists():
                return Path(path)
        shipped = shipped_dir() / SHIPPED_DEFAULT.get(task, "")
        if (shipped / "manifest.json").exists():
            return shipped
        raise CotExplorerError(f"no default {task} model: train one with `cot-explorer train` and promote it")

    def load(self, name_or_path: str, task: str = "mner") -> LoadedStudent:
        return load_checkpoint(self.path(name_or_path, task))

    def register(self, path: Path, parent: str | None = None) -> str:
        """Record a version (again); its lineage is kept: the parent given, else the one its
        manifest names, else the one already recorded."""
        m = read_manifest(path)
        parent = parent or (m.get("training") or {}).get("parent")
        with self.store.write():
            row = self.store.conn.execute("SELECT parent FROM model_versions WHERE name = ?", (m["name"],)).fetchone()
            if parent is None and row is not None:
                parent = row[0]
            if parent is not None and self.store.conn.execute(
                    "SELECT 1 FROM model_versions WHERE name = ?", (parent,)).fetchone() is None:
                parent_path = next((root / parent for root, _ in self._dirs() if (root / parent / "manifest.json").exists()), None)
                if parent_path is None:
                    parent = None  # a parent that no longer exists anywhere cannot be referenced
                else:
                    self.register(parent_path)
            self.store.db["model_versions"].upsert({
                "name": m["name"], "task": m["task"], "variant": m["variant"], "path": str(Path(path).resolve()),
                "backbone": m["backbone"], "parent": parent, "manifest": json.dumps(m),
                "metrics": json.dumps(m.get("metrics", {})), "created_at": m.get("created_at") or utc_now(),
            }, pk="name")
        return m["name"]

    def promote(self, name: str) -> None:
        path = self.path(name)
        self.register(path)
        with self.store.write():
            self.store.conn.execute("UPDATE model_versions SET promoted_at = ? WHERE name = ?", (utc_now(), read_manifest(path)["name"]))

    def rollback(self, task: str = "mner") -> Path:
        """Demote the current default; the previously promoted version (or the shipped one) is default again."""
        with self.store.write():
            row = self.store.conn.execute(
                "SELECT name FROM model_versions WHERE task = ? AND promoted_at IS NOT NULL ORDER BY promoted_at DESC LIMIT 1",
                (task,)).fetchone()
            if row is None:
                raise CotExplorerError(f"nothing to roll back: no {task} version was promoted")
            self.store.conn.execute("UPDATE model_versions SET promoted_at = NULL WHERE name = ?", (row[0],))
        return self.default_path(task)
