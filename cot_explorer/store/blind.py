"""Blind annotation of a split: each signed-in annotator sees their own entity labels of its
posts, or the labels the posts were imported with where they have saved none, never another
annotator's. Agreement measured on such a split is between labels made apart (in a split
that is not blind, the second annotator starts from the first one's save).

The label history stays one chain per post: every save goes on top of the newest version, and
the newest save is the post's current labels (what a round trains on and an admin adjudicates).
Relations are not blinded, so a split whose posts hold entity pairs is refused."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ValidationError
from ..schema import LabelSet
from . import labels as label_store  # its row readers too (_entry, _standing_changes): one package
from .core import Store, utc_now


@dataclass(frozen=True)
class SeenLabels:
    """A post's entity labels as one annotator sees them in a blind split."""

    labels: LabelSet | None   # theirs, else the imported ones, else none
    version: int | None       # the version those labels are (what their draft is kept against)
    own: bool                 # their own save (not the imported labels)


@dataclass(frozen=True)
class BlindPeriod:
    """A time a split was annotated blind: the saves made in it were made apart."""

    start: str
    end: str | None   # None while the split is blind

    def holds(self, at: str | None) -> bool:
        return at is not None and at >= self.start and (self.end is None or at < self.end)


def is_blind(store: Store, dataset: str, split: str) -> bool:
    return store.conn.execute("SELECT 1 FROM blind_periods WHERE dataset = ? AND split = ? AND ended_at IS NULL",
                              (dataset, split)).fetchone() is not None


def blind_splits(store: Store) -> set[tuple[str, str]]:
    """The splits annotated blind now."""
    return set(store.conn.execute("SELECT dataset, split FROM blind_periods WHERE ended_at IS NULL"))


def blind_periods(store: Store) -> dict[tuple[str, str], list[BlindPeriod]]:
    """{(dataset, split): each time it was annotated blind, oldest first}, of every split that
    ever was: a save made in one of them was made apart, though the split was opened since."""
    out: dict[tuple[str, str], list[BlindPeriod]] = {}
    for d, s, start, end in store.conn.execute(
            "SELECT dataset, split, set_at, ended_at FROM blind_periods ORDER BY set_at"):
        out.setdefault((d, s), []).append(BlindPeriod(start, end))
    return out


def made_apart(periods: list[BlindPeriod], at: str | None) -> bool:
    return any(p.holds(at) for p in periods)


def set_blind(store: Store, dataset: str, split: str, on: bool, by: str | None) -> bool:
    """Make a split blind (or not); whether that changed anything. Refused for a split with no
    posts, and for one whose posts hold entity pairs (their relations stay shared). Opened
    again, its time blind is kept: the labels made apart then stay so."""
    if not on:
        with store.write():
            ended = store.conn.execute("UPDATE blind_periods SET ended_at = ?, ended_by = ? WHERE dataset = ? AND "
                                       "split = ? AND ended_at IS NULL", (utc_now(), by, dataset, split))
        return ended.rowcount > 0
    if store.conn.execute("SELECT 1 FROM posts WHERE dataset = ? AND split = ? LIMIT 1",
                          (dataset, split)).fetchone() is None:
        raise ValidationError(f"there is no split {dataset}/{split} in the store")
    if label_store.labelled_task(store, dataset, split) == "mre":
        raise ValidationError(f"{dataset}/{split} holds entity pairs with relations, which blind annotation does not "
                              "hide: only entity splits can be annotated blind")
    if is_blind(store, dataset, split):
        return False
    with store.write():
        store.conn.execute("INSERT INTO blind_periods (dataset, split, set_by, set_at) VALUES (?, ?, ?, ?)",
                           (dataset, split, by, utc_now()))
    return True


def _spellings(store: Store, author: str) -> list[str]:
    """The names `author` saved under (one person under two spellings is one)."""
    spelt = label_store._first_spellings(store)
    me = spelt.get(author, author)
    return [a for a, first in spelt.items() if first == me] or [author]


def _own_saves(store: Store, post_ids: list[str] | None, dataset: str | None, split: str | None,
               author: str) -> dict[str, list[label_store.HistoryEntry]]:
    """{post id: `author`'s entity saves, newest first}."""
    names = _spellings(store, author)
    marks = ",".join("?" * len(names))
    if post_ids is not None:
        where, args = f"l.post_id IN ({','.join('?' * len(post_ids))})", list(post_ids)
    else:
        where, args = "l.post_id IN (SELECT id FROM posts WHERE dataset = ? AND split = ?)", [dataset, split]
    rows = store.db.query(
        f"""SELECT l.* FROM labels l WHERE {where} AND l.task = 'mner' AND l.source = 'annotator'
            AND l.action IN ('save', 'merge') AND l.author IN ({marks}) ORDER BY l.version DESC""", args + names)
    out: dict[str, list[label_store.HistoryEntry]] = {}
    for r in rows:
        out.setdefault(r["post_id"], []).append(label_store._entry(r))
    return out


def _imported(store: Store, post_id: str) -> label_store.HistoryEntry | None:
    rows = list(store.db.query("SELECT * FROM labels WHERE post_id = ? AND task = 'mner' AND imported = 1 "
                               "ORDER BY version LIMIT 1", [post_id]))
    return label_store._entry(rows[0]) if rows else None


def seen_by(store: Store, post_id: str, author: str) -> SeenLabels:
    """The post's entity labels as `author` sees them: their newest save that no undo has
    taken back, else the imported labels, else none."""
    saves = _own_saves(store, [post_id], None, None, author).get(post_id, [])
    if saves:
        standing = label_store._standing_changes(store, post_id, "mner")
        mine = next((e for e in saves if e.version in standing), None)
        if mine is not None:
            return SeenLabels(mine.labels, mine.version, True)
    first = _imported(store, post_id)
    return SeenLabels(first.labels, first.version, False) if first is not None else SeenLabels(None, None, False)


def seen_by_split(store: Store, dataset: str, split: str, author: str) -> dict[str, LabelSet]:
    """{post id: entity labels as `author` sees them} for a split's posts that have any."""
    rows = store.db.query("""SELECT l.* FROM labels l JOIN posts p ON p.id = l.post_id WHERE p.dataset = ?
                             AND p.split = ? AND l.task = 'mner' AND l.imported = 1""", [dataset, split])
    out = {r["post_id"]: label_store._labelset(r) for r in rows}
    for post_id, saves in _own_saves(store, None, dataset, split, author).items():
        standing = label_store._standing_changes(store, post_id, "mner")
        mine = next((e for e in saves if e.version in standing), None)
        if mine is not None:
            out[post_id] = mine.labels
    return out


def saved_by(store: Store, dataset: str, split: str, author: str) -> int:
    """How many of a split's posts `author` saved entity labels of (saves no undo took back),
    whoever saved over them since: their work, blind or not. Read on every post opened, so the
    undo chains are walked only on posts with an undo or redo: a post's history is one chain,
    and without them every save on it stands (walking each post took 0.08 s at 1,000 saves)."""
    names = _spellings(store, author)
    rows = store.conn.execute(
        f"""SELECT l.post_id, l.version, l.action FROM labels l JOIN posts p ON p.id = l.post_id
            WHERE p.dataset = ? AND p.split = ? AND l.task = 'mner'
            AND (l.action IN ('undo', 'redo') OR (l.source = 'annotator' AND l.action IN ('save', 'merge')
                 AND l.author IN ({",".join("?" * len(names))})))""", (dataset, split, *names)).fetchall()
    stepped = {pid for pid, _, action in rows if action in ("undo", "redo")}
    mine: dict[str, set[int]] = {}
    for pid, version, action in rows:
        if action not in ("undo", "redo"):
            mine.setdefault(pid, set()).add(version)
    count = sum(1 for pid in mine if pid not in stepped)
    for pid in mine.keys() & stepped:
        count += bool(mine[pid] & label_store._standing_changes(store, pid, "mner"))
    return count


def unsettled_posts(store: Store, dataset: str, split: str | None = None) -> set[str]:
    """Posts of the dataset's blind splits (of `split` alone, if given) that two or more
    annotators have saved differently while the split was blind, with no save over that
    disagreement since: their current labels, what Errors scores against and a round trains
    on, are just whoever of them saved last. A save by someone who first saved the post once
    others already disagreed on it (a lead, settling) settles it, until one of those who
    disagreed saves it again; so does their coming to agree."""
    periods = {s: p for (d, s), p in blind_periods(store).items()
               if d == dataset and split in (None, s) and is_blind(store, d, s)}
    if not periods:
        return set()
    spelt = label_store._first_spellings(store)
    out = set()
    for post_id in label_store.labels_by_annotator(store):
        post = store.conn.execute("SELECT split FROM posts WHERE id = ? AND dataset = ?", (post_id, dataset)).fetchone()
        if post is not None and post[0] in periods and _unsettled(store, post_id, periods[post[0]], spelt):
            out.add(post_id)
    return out


def _post_periods(store: Store, post_id: str) -> list[BlindPeriod]:
    post = store.conn.execute("SELECT dataset, split FROM posts WHERE id = ?", (post_id,)).fetchone()
    return blind_periods(store).get(tuple(post), []) if post is not None else []


def is_unsettled(store: Store, post_id: str) -> bool:
    """`unsettled_posts`' rule for one post (the one open in the editor): a lead reading it at
    the post learns that an annotator saved it again over their settling save."""
    post = store.conn.execute("SELECT dataset, split FROM posts WHERE id = ?", (post_id,)).fetchone()
    return (post is not None and is_blind(store, *post)
            and _unsettled(store, post_id, _post_periods(store, post_id), label_store._first_spellings(store)))


def blind_saves(store: Store, post_id: str, periods: list[BlindPeriod], spelt: dict[str, str] | None = None
                ) -> list[tuple[int, str, frozenset]]:
    """(version, annotator, spans) of the post's entity saves made while its split was blind
    that still stand, in version order."""
    spelt = label_store._first_spellings(store) if spelt is None else spelt
    standing = label_store._standing_changes(store, post_id, "mner")
    return [(r["version"], spelt.get(r["author"], r["author"]), frozenset(label_store._labelset(r).spans))
            for r in store.db.query("SELECT * FROM labels WHERE post_id = ? AND task = 'mner' AND source = 'annotator' "
                                    "AND action IN ('save', 'merge') ORDER BY version", [post_id])
            if r["version"] in standing and made_apart(periods, r["created_at"])]


def _settlers(saves: list[tuple[int, str, frozenset]]) -> set[str]:
    """Who first saved the post once others already disagreed on it: a lead settling, not a
    third annotator labelling it apart."""
    latest: dict[str, frozenset] = {}
    out = set()
    for _, author, spans in saves:
        if author not in latest and len(set(latest.values())) >= 2:
            out.add(author)
        latest[author] = spans
    return out


def settlers(store: Store, post_id: str) -> set[str]:
    """`_settlers` of a post of a split that was ever blind (none elsewhere): agreement leaves
    their saves out (a lead's settling save counted as a third annotator, "all 3 annotators")."""
    periods = _post_periods(store, post_id)
    return _settlers(blind_saves(store, post_id, periods)) if periods else set()


def _unsettled(store: Store, post_id: str, periods: list[BlindPeriod], spelt: dict[str, str]) -> bool:
    """Those who labelled the post apart disagree, and the newest save is one of theirs (a
    settler's save over their disagreement settles it, as does any save made while the split
    was open; one of them saving again while it is blind reopens it)."""
    saves = blind_saves(store, post_id, periods, spelt)
    settling = _settlers(saves)
    latest = {a: spans for _, a, spans in saves if a not in settling}   # each one's newest
    if len(set(latest.values())) < 2 or saves[-1][1] in settling:
        return False
    # a save since made while the split was open, seeing their labels, settles it too
    standing = label_store._standing_changes(store, post_id, "mner")
    later = store.conn.execute("SELECT version FROM labels WHERE post_id = ? AND task = 'mner' AND source = 'annotator' "
                               "AND action IN ('save', 'merge') AND version > ?", (post_id, saves[-1][0])).fetchall()
    return not any(v in standing for (v,) in later)


def labels_made_apart(store: Store, post_id: str, periods: list[BlindPeriod]) -> dict[str, tuple]:
    """{annotator: the spans of their newest standing save made while the post's split was
    blind}, settlers left out: what agreement compares in the split's blind row."""
    saves = blind_saves(store, post_id, periods)
    settling = _settlers(saves)
    return {a: tuple(spans) for _, a, spans in saves if a not in settling}
