"""Removing a split (or a whole dataset) imported by mistake: the wrong file, the wrong
`--types`, a name the app cannot show. Imports are all or nothing and never replace, so
without this a store kept every mistake for good, in every picker.

What goes is counted first and said; work people put in (saved corrections, the teacher's
answers, a held-out set rounds are scored on) goes only when asked for by name, and the
caller writes the labels out before (`cli`). Model versions trained on it stay: they do not
need its posts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import ValidationError
from .core import Store
from .jobs import unfinished_jobs_on
from .posts import ASKING_FOR_AT_MOST_MIN, POST_ROW_TABLES, minutes_ago


@dataclass(frozen=True)
class SplitFootprint:
    """What removing `splits` of `dataset` takes with it, counted before it goes."""

    dataset: str
    splits: tuple[str, ...]
    whole_dataset: bool          # no split of it is left: its captions and its name go too
    posts: int
    label_versions: int          # every version, the file's own labels included
    corrections: int             # versions saved in the store (by people), not read from a file
    correctors: tuple[str, ...]
    teacher_answers: int         # answered (work, paid for where the teacher is live)
    teacher_failures: int        # requests that failed (an error kept to be seen; no work in them)
    predictions: int
    held_out: int                # posts of the held-out set rounds of this dataset are scored on
    captions: int
    images: int                  # image files no post outside it shows
    teacher_asked_now: bool      # a live teacher request about one of its posts is under way
    jobs_running: tuple[str, ...]   # the kinds of the jobs queued or running on this dataset

    @property
    def backed_up(self) -> tuple[int, int, int]:
        """What the backup before a removal holds, counted: posts, label versions (append-only:
        a save adds one) and images. A prediction or a teacher answer meanwhile changes none."""
        return self.posts, self.label_versions, self.images

    @property
    def has_work(self) -> bool:
        return bool(self.corrections or self.teacher_answers or self.held_out)

    def sentence(self) -> str:
        if not self.splits:
            where = f"{self.dataset} (no posts left)"
        elif len(self.splits) == 1:
            where = f"{self.dataset}/{self.splits[0]}" + (f" (all of {self.dataset})" if self.whole_dataset else "")
        else:
            where = (f"{self.dataset} ({'all of it: ' if self.whole_dataset else ''}splits "
                     f"{', '.join(self.splits[:-1])} and {self.splits[-1]})")

        def n(count: int, what: str) -> str:
            return f"{count} {what}{'' if count == 1 else 's'}"

        items = [n(self.posts, "post"), n(self.label_versions, "label version")
                 + (f" ({self.corrections} saved by {', '.join(self.correctors)})" if self.corrections else ""),
                 n(self.teacher_answers, "teacher answer")
                 + (f" ({self.teacher_failures} failed request{'' if self.teacher_failures == 1 else 's'} besides)"
                    if self.teacher_failures else ""),
                 n(self.predictions, "cached prediction")]
        if self.held_out:
            items.append(n(self.held_out, "held-out post") + " (rounds on this dataset are scored on them)")
        if self.captions:
            items.append(n(self.captions, "caption"))
        if self.images:
            items.append(n(self.images, "image") + " no other post shows")
        return f"{where}: " + ", ".join(items[:-1]) + " and " + items[-1]


def _post_ids_sql(splits: tuple[str, ...]) -> str:
    return f"SELECT id FROM posts WHERE dataset = ? AND split IN ({', '.join('?' * len(splits))})"


def split_footprint(store: Store, dataset: str, split: str | None = None) -> SplitFootprint:
    """What `remove_splits` would take: `split` of `dataset`, or all of it when None."""
    one = store.conn.execute
    known = [s for (s,) in one("SELECT DISTINCT split FROM posts WHERE dataset = ? ORDER BY split", (dataset,))]
    datasets = [d for (d,) in one("SELECT name FROM datasets ORDER BY name")]
    if not known and (dataset not in datasets or split is not None):
        # a dataset whose posts are all gone (the uploads, each deleted) is named, and can go whole
        raise ValidationError(f"no dataset {dataset!r} in the store (it has: {', '.join(datasets) or 'none'})"
                              if dataset not in datasets else f"{dataset} has no posts, so no split {split!r}")
    if split is not None and split not in known:
        raise ValidationError(f"{dataset} has no split {split!r} (it has: {', '.join(known)})")
    splits = tuple(known if split is None else [split])
    whole = set(splits) == set(known)
    ids = _post_ids_sql(splits)
    args = (dataset, *splits)

    def count(sql: str, extra: tuple = ()) -> int:
        return one(sql, (*args, *extra)).fetchone()[0]

    correctors = tuple(a for (a,) in one(f"SELECT DISTINCT author FROM labels WHERE post_id IN ({ids}) AND NOT imported "
                                         "ORDER BY author", args))
    images = count(f"SELECT count(DISTINCT image_sha256) FROM posts p WHERE id IN ({ids}) AND image_sha256 IS NOT NULL "
                   "AND NOT EXISTS (SELECT 1 FROM posts q WHERE q.image_sha256 = p.image_sha256 "
                   f"AND q.id NOT IN ({ids}))", args)
    running = tuple(job.kind for job in unfinished_jobs_on(store, dataset))
    return SplitFootprint(
        dataset, splits, whole,
        count(f"SELECT count(*) FROM posts WHERE id IN ({ids})"),
        count(f"SELECT count(*) FROM labels WHERE post_id IN ({ids})"),
        count(f"SELECT count(*) FROM labels WHERE post_id IN ({ids}) AND NOT imported"),
        correctors,
        count(f"SELECT count(*) FROM teacher_outputs WHERE post_id IN ({ids}) AND status = 'ok'"),
        count(f"SELECT count(*) FROM teacher_outputs WHERE post_id IN ({ids}) AND status != 'ok'"),
        count(f"SELECT count(*) FROM predictions WHERE post_id IN ({ids})"),
        count(f"SELECT count(*) FROM heldout_posts WHERE post_id IN ({ids})"),
        one("SELECT count(*) FROM captions WHERE dataset = ?", (dataset,)).fetchone()[0] if whole else 0,
        images,
        count(f"SELECT count(*) FROM teacher_requests WHERE post_id IN ({ids}) AND status = 'pending' "
              "AND created_at >= ?", (minutes_ago(ASKING_FOR_AT_MOST_MIN),)) > 0,
        running)


def check_removable(gone: SplitFootprint) -> None:
    """Refuse while the teacher is asked about one of its posts or a job on the dataset runs
    (either would land on nothing)."""
    if gone.teacher_asked_now:
        raise ValidationError(f"the teacher is being asked about a post of {gone.dataset} right now; remove it "
                              "once the answer is in")
    if gone.jobs_running:
        what = "round" if gone.jobs_running[0] == "distill" else "teacher batch"
        raise ValidationError(f"a {what} on {gone.dataset} is queued or running; remove it once the {what} is done "
                              "or stopped")


def remove_splits(store: Store, dataset: str, split: str | None,
                  allowed: Callable[[SplitFootprint], None]) -> SplitFootprint:
    """Remove `split` of `dataset` (all of it when None) with every row about its posts, the
    record of their imports, and the images no other post shows; the whole dataset's captions
    and name when no split is left. `allowed` sees what would go, inside the transaction (what
    is counted is what goes), and raises to refuse; it should be quick, since saves wait on it
    (write anything slow beforehand, and again in `allowed` only if the footprint changed). Refused while the teacher is asked about
    one of its posts or a job on the dataset runs (`check_removable`)."""
    from .images import forget_image

    set_aside = []
    try:
        with store.write():
            gone = split_footprint(store, dataset, split)
            check_removable(gone)
            allowed(gone)
            ids = _post_ids_sql(gone.splits)
            args = (dataset, *gone.splits)
            shas = [s for (s,) in store.conn.execute(
                f"SELECT DISTINCT image_sha256 FROM posts p WHERE id IN ({ids}) AND image_sha256 IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM posts q WHERE q.image_sha256 = p.image_sha256 AND q.id NOT IN ({ids}))",
                (*args, *args))]
            # a version's undo chain points within its own post's versions: they go in one statement
            for table in POST_ROW_TABLES:
                store.conn.execute(f"DELETE FROM {table} WHERE post_id IN ({ids})", args)
            store.conn.execute(f"DELETE FROM posts WHERE id IN ({ids})", args)
            store.conn.execute(f"DELETE FROM imports WHERE dataset = ? AND split IN ({', '.join('?' * len(gone.splits))})",
                               args)
            # a split imported again under the name starts in the open
            store.conn.execute(f"DELETE FROM blind_periods WHERE dataset = ? AND split IN "
                               f"({', '.join('?' * len(gone.splits))})", args)
            if gone.whole_dataset:
                store.conn.execute("DELETE FROM captions WHERE dataset = ?", (dataset,))
                store.conn.execute("DELETE FROM imports WHERE dataset = ?", (dataset,))
                store.conn.execute("DELETE FROM datasets WHERE name = ?", (dataset,))
            for sha in shas:
                aside = forget_image(store, sha)
                if aside is not None:
                    set_aside.append(aside)
    except BaseException:
        for aside in set_aside:
            aside.put_back()
        raise
    for aside in set_aside:
        aside.drop()
    return gone
