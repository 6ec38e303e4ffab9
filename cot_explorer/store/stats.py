"""Counts per dataset and split, for `cot-explorer stats` and the app's overview."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .core import Store
from .knowledge import posts_with_knowledge
from .labels import confirmed_unchanged


@dataclass
class SplitStats:
    dataset: str
    split: str
    posts: int = 0
    spans_per_type: dict[str, int] = field(default_factory=dict)
    relations: int = 0
    posts_with_knowledge: int = 0
    posts_with_caption: int = 0
    corrected_posts: int = 0
    confirmed_posts: int = 0   # of the corrected, those saved as they were imported (checked, not changed)

    def to_json(self) -> dict:
        return asdict(self)


def compute_stats(store: Store) -> list[SplitStats]:
    """`corrected_posts` counts posts whose current label (either task) is not the imported gold;
    `confirmed_posts` those of them saved as they were imported ("6 corrected" read as six
    changed, where two were confirmed)."""
    q = store.conn.execute
    out: dict[tuple[str, str], SplitStats] = {}
    for ds, sp, n in q("SELECT dataset, split, count(*) FROM posts GROUP BY dataset, split ORDER BY dataset, split"):
        out[(ds, sp)] = SplitStats(ds, sp, posts=n)
    for ds, sp, type_, n in q(
        """SELECT p.dataset, p.split, json_extract(s.value, '$.type'), count(*)
           FROM current_labels c JOIN posts p ON p.id = c.post_id, json_each(c.payload, '$.spans') s
           WHERE c.task = 'mner' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""):
        out[(ds, sp)].spans_per_type[type_] = n
    for ds, sp, n in q(
        """SELECT p.dataset, p.split, sum(json_array_length(c.payload, '$.relations'))
           FROM current_labels c JOIN posts p ON p.id = c.post_id WHERE c.task = 'mre' GROUP BY 1, 2"""):
        out[(ds, sp)].relations = n
    for (ds, sp), st in out.items():  # chains of thought only (store.knowledge), never augmentations
        st.posts_with_knowledge = max(posts_with_knowledge(store, ds, sp, "mner"), posts_with_knowledge(store, ds, sp, "mre"))
    for ds, sp, n in q(
        """SELECT p.dataset, p.split, count(*) FROM posts p WHERE EXISTS (SELECT 1 FROM captions c
           WHERE c.dataset = p.dataset AND c.image_name = p.image_name) GROUP BY 1, 2"""):
        out[(ds, sp)].posts_with_caption = n
    for ds, sp, n in q(
        """SELECT p.dataset, p.split, count(DISTINCT p.id) FROM current_labels c JOIN posts p ON p.id = c.post_id
           WHERE c.source != 'gold' GROUP BY 1, 2"""):
        out[(ds, sp)].corrected_posts = n
        out[(ds, sp)].confirmed_posts = confirmed_unchanged(store, ds, sp)
    return list(out.values())
