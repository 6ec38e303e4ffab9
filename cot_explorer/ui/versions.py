"""The model versions as the app lists them (Distill's table and plot, Errors' choices): one
line each, with its headline F1 and the set that figure is on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import CotExplorerError
from ..schema import TASKS
from ..store import open_store
from ..student.registry import Registry

VERSION_COLUMNS = ["version", "model of, variant", "F1", "F1 on", "created", "parent", "default", "origin"]
TASK_NAMES = {"mner": "entities", "mre": "relations"}


@dataclass(frozen=True)
class VersionLine:
    """One model version as the versions table shows it."""
    name: str
    variant: str
    f1: float | None
    f1_set: str
    low: float | None
    high: float | None
    created_at: str
    parent: str | None
    is_default: bool
    shipped: bool
    task: str = "mner"
    # its parent scored on the same held-out posts by the round that made it (the verdict's
    # "before"): the parent's own headline is on another set, so the plot showed no loss
    parent_f1: float | None = None

    def cells(self) -> list:
        return [self.name, f"{TASK_NAMES[self.task]}, {self.variant}", self.f1, self.f1_set, self.created_at[:19].replace("T", " "), self.parent or "",
                "default" if self.is_default else "", "shipped" if self.shipped else "trained here"]


def version_lines(home: Path) -> list[VersionLine]:
    """Every version, oldest first, with its headline F1 and the set that figure is on."""
    with open_store(home) as store:
        reg = Registry(store)
        defaults = {}
        for task in TASKS:
            try:
                defaults[task] = reg.default_path(task)
            except CotExplorerError:  # no model of that task at all
                pass
        out = []
        for m in reg.list():
            headline = m.manifest.headline_f1()
            interval = (m.manifest.metrics.get("held_out") or {}).get("interval") or {}
            where = headline[1] if headline else "-"
            if headline and headline[1] == "held-out":
                dataset, held = m.manifest.data.get("dataset", "?"), m.manifest.data.get("heldout_set") or ""
                # where the set is the dataset's test split, it says so: beside a shipped model's
                # "test (Twitter-2017)", "held-out of twitter2017" read as another set
                where = f"held-out (test split of {dataset})" if "(test split" in held else f"held-out of {dataset}"
                if "chosen again" in held:   # other posts: another series
                    where += " (chosen again)"
            elif headline and m.shipped:
                where = f"{headline[1]} ({'MNRE' if m.manifest.task == 'mre' else 'Twitter-2017'})"
            out.append(VersionLine(m.name, m.manifest.variant, headline[0] if headline else None, where,
                                   interval.get("low"), interval.get("high"), m.manifest.created_at, m.parent,
                                   m.path == defaults.get(m.manifest.task), m.shipped, m.manifest.task,
                                   (m.manifest.metrics.get("held_out_parent") or {}).get("f1")))
    return out
