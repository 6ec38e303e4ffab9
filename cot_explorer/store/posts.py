"""Posts and their datasets in the store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from ..errors import ValidationError
from ..labels import MnerSchema
from ..schema import Post
from .core import Store, utc_now

_SELECT = """SELECT p.*, (SELECT c.text FROM captions c WHERE c.dataset = p.dataset
             AND c.image_name = p.image_name ORDER BY c.model LIMIT 1) AS caption FROM posts p"""


def ensure_dataset(store: Store, name: str, schema: MnerSchema) -> MnerSchema:
    """Register a dataset's entity types, or check they match the ones registered."""
    row = store.conn.execute("SELECT entity_types FROM datasets WHERE name = ?", (name,)).fetchone()
    if row is None:
        with store.write():
            store.db["datasets"].insert({"name": name, "entity_types": json.dumps(list(schema.types)), "created_at": utc_now()})
        return schema
    known = MnerSchema(tuple(json.loads(row[0])))
    if known != schema:
        raise ValidationError(
            f"dataset {name!r} uses entity types {list(known.types)}, not {list(schema.types)}"
        )
    return known


def dataset_schema(store: Store, name: str) -> MnerSchema:
    row = store.conn.execute("SELECT entity_types FROM datasets WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise ValidationError(f"no dataset named {name!r} in the store")
    return MnerSchema(tuple(json.loads(row[0])))


def _row(post: Post, now: str) -> dict:
    return {
        "id": post.id, "dataset": post.dataset, "split": post.split, "position": post.position,
        "text": post.text, "tokens": json.dumps(post.tokens, ensure_ascii=False),
        "offsets": json.dumps(post.offsets), "image_name": post.image_name,
        "image_sha256": post.image_sha256, "source": post.source, "created_at": now,
    }


def add_posts(store: Store, posts: Iterable[Post]) -> int:
    """Insert new posts (in the caller's transaction when there is one)."""
    now = utc_now()
    rows = [_row(p, now) for p in posts]
    with store.write():
        store.db["posts"].insert_all(rows, batch_size=1000)
    return len(rows)


def _post(row: dict) -> Post:
    return Post(
        id=row["id"], text=row["text"], tokens=tuple(json.loads(row["tokens"])),
        offsets=tuple(tuple(o) for o in json.loads(row["offsets"])), dataset=row["dataset"],
        split=row["split"], source=row["source"], image_name=row["image_name"],
        image_sha256=row["image_sha256"], caption=row["caption"], position=row["position"],
    )


def get_post(store: Store, post_id: str) -> Post | None:
    rows = list(store.db.query(_SELECT + " WHERE p.id = ?", [post_id]))
    return _post(rows[0]) if rows else None


def list_posts(store: Store, dataset: str, split: str | None = None) -> list[Post]:
    """Posts of a dataset (one split or all), in file order."""
    if split is None:
        rows = store.db.query(_SELECT + " WHERE p.dataset = ? ORDER BY p.split, p.position", [dataset])
    else:
        rows = store.db.query(_SELECT + " WHERE p.dataset = ? AND p.split = ? ORDER BY p.position", [dataset, split])
    return [_post(r) for r in rows]


def count_posts(store: Store, dataset: str, split: str | None = None) -> int:
    if split is None:
        return store.conn.execute("SELECT count(*) FROM posts WHERE dataset = ?", (dataset,)).fetchone()[0]
    return store.conn.execute(
        "SELECT count(*) FROM posts WHERE dataset = ? AND split = ?", (dataset, split)
    ).fetchone()[0]


def next_position(store: Store, dataset: str, split: str) -> int:
    row = store.conn.execute(
        "SELECT max(position) FROM posts WHERE dataset = ? AND split = ?", (dataset, split)
    ).fetchone()
    return 0 if row[0] is None else row[0] + 1


def existing_ids(store: Store, ids: Sequence[str]) -> list[str]:
    found: list[str] = []
    for i in range(0, len(ids), 500):
        chunk = list(ids[i : i + 500])
        marks = ",".join("?" * len(chunk))
        found += [r[0] for r in store.conn.execute(f"SELECT id FROM posts WHERE id IN ({marks})", chunk)]
    return found


def attach_image(store: Store, post_id: str, image_sha256: str) -> None:
    """Give a post that has none the image already stored under `image_sha256`."""
    with store.write():
        store.conn.execute("UPDATE posts SET image_sha256 = ? WHERE id = ? AND image_sha256 IS NULL",
                           (image_sha256, post_id))


def posts_without_image(store: Store, dataset: str) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT id FROM posts WHERE dataset = ? AND image_sha256 IS NULL",
                                             (dataset,))}


def dataset_splits(store: Store, first: str | None = None) -> list[tuple[str, str]]:
    """Every (dataset, split) with posts, `first`'s splits first, then by name."""
    return [(d, s) for d, s in store.conn.execute(
        "SELECT DISTINCT dataset, split FROM posts ORDER BY dataset = ? DESC, dataset, split", (first or "",))]


def splits_of(store: Store, dataset: str) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT DISTINCT split FROM posts WHERE dataset = ? ORDER BY split",
                                             (dataset,))]


def dataset_known(store: Store, name: str) -> bool:
    return store.conn.execute("SELECT 1 FROM datasets WHERE name = ?", (name,)).fetchone() is not None


def posts_with_caption(store: Store, dataset: str) -> int:
    return store.conn.execute(
        """SELECT count(*) FROM posts p WHERE p.dataset = ? AND EXISTS (SELECT 1 FROM captions c
           WHERE c.dataset = p.dataset AND c.image_name = p.image_name)""", (dataset,)).fetchone()[0]


def has_text(store: Store, dataset: str, text: str) -> bool:
    """Whether a post of `dataset` has exactly this text (an upload analysed and kept, say)."""
    return store.conn.execute("SELECT 1 FROM posts WHERE dataset = ? AND text = ? LIMIT 1", [dataset, text]
                              ).fetchone() is not None


def texts_of(store: Store, dataset: str, image_sha256: str | None | object = ...) -> list[tuple[str, str]]:
    """(id, text) of a dataset's posts, of those with this image only where one is given (None:
    the posts without an image)."""
    if image_sha256 is ...:
        rows = store.conn.execute("SELECT id, text FROM posts WHERE dataset = ? ORDER BY position", (dataset,))
    else:
        rows = store.conn.execute("SELECT id, text FROM posts WHERE dataset = ? AND image_sha256 IS ? "
                                  "ORDER BY position", (dataset, image_sha256))
    return [(pid, text) for pid, text in rows]


def search_words(query: str) -> list[str]:
    """The words a search looks for, each anywhere in a post's text: a hashtag's or a mention's
    sign left off (the corpora write "# Nashville", an upload "#Nashville"), a word of signs
    alone dropped; the query as typed where nothing else is left."""
    words = [w.lstrip("#@") for w in (query or "").split()]
    words = [w for w in words if any(c.isalnum() for c in w)]
    return words or ([query.strip()] if (query or "").strip() else [])


def search_posts(store: Store, query: str, limit: int = 50) -> list[Post]:
    """Posts of every dataset whose text holds every word of `query` (case-insensitive, in any
    order: "Trump CNN" finds "Donald Trump at CNN"), by dataset and order."""
    words = search_words(query)
    if not words:
        return []
    patterns = ["%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for w in words]
    where = " AND ".join(["p.text LIKE ? ESCAPE '\\'"] * len(patterns))
    rows = store.db.query(_SELECT + f" WHERE {where} ORDER BY p.dataset, p.split, p.position LIMIT ?",
                          [*patterns, limit])
    return [_post(r) for r in rows]


@dataclass(frozen=True)
class PostFootprint:
    """What deleting a post takes with it, counted before it goes (said to the user first)."""

    post_id: str
    label_versions: int        # saved entity and relation labels, every version (undo included)
    label_authors: tuple[str, ...]
    teacher_answers: int       # chains of thought and relations the teacher wrote (paid ones too)
    predictions: int           # cached student answers; they come back by predicting again
    held_out: bool             # a held-out post of its dataset's rounds: rounds are scored on it
    teacher_asked_now: bool    # a live teacher request about it is under way
    has_image: bool
    image_shared: bool         # another post shows the same image, so the file stays


# The tables whose rows are about one post and go with it (a post deleted, a split removed);
# `teacher_requests` stays: the daily cap counts it. One list, for every way a post goes.
POST_ROW_TABLES = ("heldout_posts", "predictions", "teacher_outputs", "labels")

ASKING_FOR_AT_MOST_MIN = 10   # a teacher request pending longer than this died with its process


def minutes_ago(minutes: int) -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) - timedelta(minutes=minutes)).isoformat(timespec="microseconds")


def post_footprint(store: Store, post_id: str) -> PostFootprint | None:
    post = get_post(store, post_id)
    if post is None:
        return None
    one = store.conn.execute
    count = lambda sql: one(sql, (post_id,)).fetchone()[0]  # noqa: E731
    authors = tuple(a for (a,) in one("SELECT DISTINCT author FROM labels WHERE post_id = ? ORDER BY author",
                                      (post_id,)))
    shared = bool(post.image_sha256) and one("SELECT count(*) FROM posts WHERE image_sha256 = ? AND id != ?",
                                             (post.image_sha256, post_id)).fetchone()[0] > 0
    return PostFootprint(
        post_id, count("SELECT count(*) FROM labels WHERE post_id = ?"), authors,
        count("SELECT count(*) FROM teacher_outputs WHERE post_id = ?"),
        count("SELECT count(*) FROM predictions WHERE post_id = ?"),
        count("SELECT count(*) FROM heldout_posts WHERE post_id = ?") > 0,
        one("SELECT count(*) FROM teacher_requests WHERE post_id = ? AND status = 'pending' AND created_at >= ?",
            (post_id, minutes_ago(ASKING_FOR_AT_MOST_MIN))).fetchone()[0] > 0,
        bool(post.image_sha256), shared)


def delete_post(store: Store, post_id: str, allowed: Callable[[PostFootprint], None]) -> PostFootprint:
    """Remove a post and every row about it (labels, teacher answers, predictions, its place in
    a held-out set), and its image where no other post shows it. `allowed` sees what would go,
    inside the transaction (so what is counted is what goes), and raises to refuse. The record
    of who asked the teacher about it stays: the daily cap counts it."""
    from .images import forget_image

    set_aside = None
    try:
        with store.write():
            gone = post_footprint(store, post_id)
            if gone is None:
                raise ValidationError(f"no post {post_id!r} in the store (deleted already?)")
            allowed(gone)
            post = get_post(store, post_id)
            for table in POST_ROW_TABLES:
                store.conn.execute(f"DELETE FROM {table} WHERE post_id = ?", (post_id,))
            store.conn.execute("DELETE FROM posts WHERE id = ?", (post_id,))
            if post.image_sha256 and not gone.image_shared:
                set_aside = forget_image(store, post.image_sha256)
    except BaseException:
        if set_aside is not None:
            set_aside.put_back()
        raise
    if set_aside is not None:
        set_aside.drop()
    return gone


def picked_image_name(store: Store, sha256: str, dataset: str) -> str | None:
    """The name an image was picked under, from the newest post of `dataset` that holds it (not
    the store's own digest name, which a kept image is handed back under)."""
    row = store.conn.execute("SELECT image_name FROM posts WHERE dataset = ? AND image_sha256 = ? AND image_name IS NOT NULL "
                             "AND image_name NOT LIKE ? ORDER BY rowid DESC LIMIT 1",
                             (dataset, sha256, f"{sha256}.%")).fetchone()
    return row[0] if row else None
