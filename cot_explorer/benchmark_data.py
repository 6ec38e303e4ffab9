"""The project's benchmark data (`shared/data`): where it is and how to import all of it."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .importer import ImportReport, import_captions, import_knowledge, import_mnre, import_twitter
from .paths import data_dir
from .store import Store

TWITTER_SPLITS = {"twitter2017": ("train", "valid", "test"), "twitter2015": ("train", "valid")}
MNRE_SPLITS = ("train", "valid", "test")


def import_all(store: Store, root: Path | None = None, on_report: Callable[[ImportReport], None] | None = None) -> list[ImportReport]:
    """Twitter-2015/2017 (Twitter-2015's invalid BIO repaired), their recorded knowledge and
    captions, and MNRE."""
    root = root or data_dir()
    reports: list[ImportReport] = []

    def run(report: ImportReport) -> None:
        reports.append(report)
        if on_report:
            on_report(report)

    for dataset, splits in TWITTER_SPLITS.items():
        for split in splits:
            run(import_twitter(store, str(root / dataset / f"{split}.txt"), dataset, split,
                               repair_bio=dataset == "twitter2015"))
            run(import_knowledge(store, str(root / "knowledge" / "chatgpt-pgim" / dataset / f"{split}.txt"),
                                 dataset, split))
        run(import_captions(store, str(root / "captions" / f"blip2-{dataset}.txt"), dataset))
    for split in MNRE_SPLITS:
        run(import_mnre(store, str(root / "mnre" / f"{split}.txt"), "mnre", split))
    return reports
