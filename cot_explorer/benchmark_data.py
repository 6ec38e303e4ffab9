"""The project's benchmark data (`shared/data`): the one place that spells its layout, and how
to import all of it."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .importer import ImportReport, import_captions, import_knowledge, import_mnre, import_twitter
from .paths import captions_file, data_dir, knowledge_file, mnre_file, twitter_file
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
            run(import_twitter(store, str(twitter_file(dataset, split, root)), dataset, split,
                               repair_bio=dataset == "twitter2015"))
            run(import_knowledge(store, str(knowledge_file(dataset, split, root)), dataset, split))
        run(import_captions(store, str(captions_file(dataset, root)), dataset))
    for split in MNRE_SPLITS:
        run(import_mnre(store, str(mnre_file(split, root)), "mnre", split))
    return reports
