"""Model versions: checkpoints in the store's `models/` and the ones shipped in the repo's
`models/`; which one is the default is recorded in the store (promote, roll back)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import CotExplorerError
from ..store import Store, utc_now
from .checkpoint import LoadedStudent, load_checkpoint, read_manifest

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
        m = read_manifest(path)
        with self.store.write():
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
