"""Model versions: checkpoints in the store's `models/` and the ones shipped in the repo's
`models/`; which one is the default is recorded in the store (promote, roll back). Reads
manifests only: no torch here (loading weights is checkpoint.load_checkpoint's job)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import CotExplorerError, ValidationError
from ..store import Store, utc_now
from ..store.model_versions import (
    all_versions,
    demote_default,
    get_version,
    note_restored,
    promoted,
    set_promoted,
    upsert_version,
)
from .manifest import Manifest
from .model_folders import NameTaken, check_version_name, recover, release, reserve

SHIPPED_ENV = "COT_EXPLORER_MODELS"
SHIPPED_DEFAULT = {"mner": "mner-default", "mre": "mre-default"}


SHIPPED_KNOWLEDGE = "mner-knowledge"   # the shipped kd default's teacher, beside it for the knowledge view


def shipped_dir() -> Path:
    env = os.environ.get(SHIPPED_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "models"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path
    manifest: Manifest
    shipped: bool
    promoted_at: str | None
    parent: str | None


class Registry:
    def __init__(self, store: Store):
        self.store = store
        self.user_dir = store.home / "models"
        self.recover()

    def recover(self) -> list[str]:
        """Undo what a killed save left behind (see model_folders.recover); run at start."""
        return recover(self.user_dir)

    def name_taken(self, name: str) -> bool:
        return any((root / name).exists() for root, _ in self._dirs()) or get_version(self.store, name) is not None

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
        """Every version on disk (trained here, then shipped), oldest first."""
        rows = {r.name: r for r in all_versions(self.store)}
        out: list[ModelInfo] = []
        for root, shipped in self._dirs():
            if not root.exists():
                continue
            for d in sorted(root.iterdir()):
                if d.name.startswith(".") or not (d / "manifest.json").exists():
                    continue
                m = Manifest.read(d)
                row = rows.get(d.name)
                out.append(ModelInfo(d.name, d, m, shipped, row.promoted_at if row else None,
                                     (row.parent if row else None) or m.parent))
        return sorted(out, key=lambda i: i.manifest.created_at)

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
        for row in promoted(self.store, task):
            if (Path(row.path) / "manifest.json").exists():
                return Path(row.path)
        shipped = shipped_dir() / SHIPPED_DEFAULT.get(task, "")
        if (shipped / "manifest.json").exists():
            return shipped
        raise CotExplorerError(f"no default {task} model: train one with `cot-explorer train` and promote it")

    def is_registered(self, name: str) -> bool:
        return get_version(self.store, name) is not None

    def default_name(self, task: str = "mner") -> str:
        return self.default_path(task).name

    def manifest(self, name_or_path: str, task: str = "mner") -> Manifest:
        return Manifest.read(self.path(name_or_path, task))

    def register(self, path: Path, parent: str | None = None) -> str:
        """Record a version (again); its lineage is kept: the parent given, else the one its
        manifest names, else the one already recorded."""
        m = Manifest.read(path)
        parent = parent or m.parent
        with self.store.write():
            if parent is not None and get_version(self.store, parent) is None:
                parent_path = next((root / parent for root, _ in self._dirs() if (root / parent / "manifest.json").exists()), None)
                if parent_path is None:
                    parent = None  # a parent that no longer exists anywhere cannot be referenced
                else:
                    self.register(parent_path)
            upsert_version(self.store, name=m.name, task=m.task, variant=m.variant, path=str(Path(path).resolve()),
                           backbone=m.backbone, parent=parent, manifest=m.to_json(),
                           created_at=m.created_at or utc_now())
        return m.name

    def promote(self, name: str, by: str | None = None, reason: str | None = None) -> str:
        path = self.path(name)
        with self.store.write():   # the default it replaces, read under the same lock
            registered = self.register(path)
            task = self.manifest(registered).task
            replacing = self.default_name(task)
            set_promoted(self.store, registered, by, reason,
                         replacing=replacing if replacing != registered else None)
        return registered

    def rollback(self, task: str, by: str | None = None, reason: str | None = None) -> Path:
        """Demote the current default; the previously promoted version (or the shipped one) is default again."""
        with self.store.write():
            if demote_default(self.store, task, by, reason) is None:
                raise CotExplorerError(self._nothing_to_roll_back(task))
            restored = self.default_path(task)
            note_restored(self.store, task, restored.name)
        return restored

    def _nothing_to_roll_back(self, task: str) -> str:
        what = {"mner": "entity", "mre": "relation"}.get(task, task)
        return (f"nothing to roll back: the {what} default is the shipped one, {self.default_name(task)} (every "
                "promotion of the task was rolled back already, or none was made)")

    def roll_back(self, version: str | None, by: str | None = None, reason: str | None = None
                  ) -> tuple[str, str, str]:
        """Undo the promotion of `version`, the default of its task (entities or relations);
        returns (task, the default before, the default now). Refused without a version, and for
        a version that is not the default: with one version picked, the last promotion, another
        version's, was undone (a walker rolled back the default while picking the one before)."""
        if not version:
            raise ValidationError("pick the version to roll back: the default of its task, entities or relations "
                                  "(the default before it comes back)")
        task = self.manifest(version).task
        was = self.default_name(task)
        if not promoted(self.store, task):
            raise CotExplorerError(self._nothing_to_roll_back(task))
        if self.path(version, task) != self.default_path(task):
            raise ValidationError(f"{version} is not the default, {was} is: a roll back undoes the default's "
                                  f"promotion, so pick {was} to roll it back (to make {version} the default, "
                                  "promote it)")
        return task, was, self.rollback(task, by, reason).name
