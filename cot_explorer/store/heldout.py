"""Each dataset's held-out posts: chosen by the first distillation round on the dataset, and
never trained on, so every later version is scored on the same posts. Chosen again only where
they turn out to be posts the round's parent was trained on (fixed before that was known);
their source then says "chosen again", which the versions plot keeps apart."""

from __future__ import annotations

from typing import Sequence

from .core import Store, utc_now


def heldout_ids(store: Store, dataset: str) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT post_id FROM heldout_posts WHERE dataset = ? ORDER BY post_id",
                                             (dataset,))]


def heldout_source(store: Store, dataset: str) -> str | None:
    row = store.conn.execute("SELECT chosen_by FROM heldout_posts WHERE dataset = ? LIMIT 1", (dataset,)).fetchone()
    return row[0] if row else None


def fix_heldout(store: Store, dataset: str, post_ids: Sequence[str], chosen_by: str,
                replacing: Sequence[str] | None = None) -> list[str]:
    """Record the held-out posts of a dataset, unless it has them already (then those stand).
    `replacing`: the stored set this one takes the place of (posts the parent was trained on,
    fixed before that was known), unless another round replaced it meanwhile."""
    with store.write():
        known = heldout_ids(store, dataset)
        if known and replacing is not None and sorted(known) == sorted(replacing):
            store.conn.execute("DELETE FROM heldout_posts WHERE dataset = ?", (dataset,))
            known = []
        if known:
            return known
        now = utc_now()
        store.db["heldout_posts"].insert_all(
            [{"dataset": dataset, "post_id": pid, "chosen_by": chosen_by, "created_at": now} for pid in post_ids])
    return heldout_ids(store, dataset)


def held_out(store: Store, dataset: str, split: str, post_id: str) -> bool | None:
    """Whether rounds on `dataset` hold the post out (measure on it, never train on it): True
    where its held-out set has it, or, none fixed yet, where the post is of the test split the
    first round will hold out; False where it trains; None where the first round will sample
    the held-out set (a dataset with no test split) and nobody knows yet."""
    if heldout_source(store, dataset) is not None:
        return store.conn.execute("SELECT 1 FROM heldout_posts WHERE dataset = ? AND post_id = ?",
                                  (dataset, post_id)).fetchone() is not None
    if split == "test":
        return True
    has_test = store.conn.execute("SELECT 1 FROM posts WHERE dataset = ? AND split = 'test' LIMIT 1",
                                  (dataset,)).fetchone() is not None
    return False if has_test else None
