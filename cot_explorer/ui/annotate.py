"""The Annotate tab: a queue of posts, the visual span editor with the student's and the
teacher's suggestions, the post's image and the teacher's chain of thought beside it,
relations of MNRE posts, a history that undo and redo walk, conflicts resolved span by span,
search across every dataset, progress and annotator agreement."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

import gradio as gr

from ..access import LOCAL_USER, AccessPolicy, Action, User, require
from ..errors import ConflictError, CotExplorerError, NameNeeded, PairChangedMeanwhile, ValidationError
from ..evaluate import agreement
from ..labels import (
    DEFAULT_ENTITY_TYPES,
    MRE_RELATIONS,
    MnerSchema,
    mnre_type_names,
    relation_argument_table,
    teacher_spans,
)
from ..predict_budget import PredictBudget
from ..schema import LabelSet, Post
from ..store import blind as blind_store
from ..store import labels as label_store
from ..store import open_store
from ..store.heldout import held_out
from ..store.images import image_path
from ..store.knowledge import earlier_teachers, knowledge_for, knowledge_for_split, posts_with_knowledge
from ..store.posts import dataset_schema, existing_ids, get_post, list_posts
from ..store.shown_images import shown_image
from ..student.registry import Registry
from ..uploads import UPLOAD_DATASET
from .cancel import Stopped, announce_work, begin_work, request_stop
from .common import (
    NAME_NEEDED,
    DatasetSplit,
    dataset_splits,
    find_posts,
    found_said,
    knowledge_view_post,
    markdown_literal,
    not_done,
    post_label,
    reach,
    refusal_said,
    snippet,
    student,
    who_saves,
)
from .explore import READ_POST_IN_ADDRESS, cot_markdown
from .first_open import first_open_stands, user_opened
from .guard import guarded
from .predicted import (
    ChargeFn,
    ProgressFn,
    ProgressReporter,
    all_predicted,
    cached_predictions,
    cached_relations,
    viewer_charge,
)
from .relations import pairs_view, relation_student_available, set_relation
from .span_editor import EditorDoc, ErrorFocus, PairSaved, SpanEditor, span_dict, spans_from_value, token_cells
from .versions import TASK_NAMES

HISTORY_COLUMNS = ["version", "what", "task", "author", "saved at (UTC)", "change", "labels"]
# The annotator's name lives in the browser too (localStorage, this page's origin only): a
# reload, or the next session on the same browser, saves under it again without asking
NAME_KEY = "cot-explorer-annotator"
REMEMBER_NAME = ("(name) => { try { localStorage.setItem('%s', (name || '').trim()); } catch (e) {} return []; }"
                 % NAME_KEY)
# and the post last on show in the editor: a reload opens it again, not the queue's first post
POST_KEY = "cot-explorer-post"
REMEMBER_POST = ("(doc) => { try { if (doc && doc.post_id) localStorage.setItem('%s', doc.post_id); } catch (e) {} "
                 "return []; }" % POST_KEY)
# and the queue on show, as made: its dataset/split (a reload came back to the first split, the
# demo's, whatever the user had been correcting) and its filters (a reload unticked them, and
# only the count "7 / 40" in place of "1 / 15" said the queue had changed), as queue_made holds
# them: [split, type, errors only, not corrected, order]. Kept when a queue is made, not when a
# box changes: a box changed over unsaved edits asks first, and a reload then brought back the
# queue not yet opened. The split was kept once more under its own key; a browser that has
# only that key still comes back to it.
QUEUE_KEY, OLD_SPLIT_KEY = "cot-explorer-filters", "cot-explorer-queue"
REMEMBER_QUEUE = ("(made) => { try { if (made && made[0]) localStorage.setItem('%s', JSON.stringify(made)); } "
                  "catch (e) {} return []; }" % QUEUE_KEY)
RECALL_PLACE = ("() => { try { const made = localStorage.getItem('%s') || ''; let split = '';"
                " try { split = JSON.parse(made)[0] || ''; } catch (e) {}"
                " return [split || localStorage.getItem('%s') || '', localStorage.getItem('%s') || '', made]; }"
                " catch (e) { return ['', '', '']; } }" % (QUEUE_KEY, OLD_SPLIT_KEY, POST_KEY))

# a save refused for want of a name shows where the name goes, outlined for a few seconds. Not
# the keyboard focus: the next shortcut ("n" for the next post) became the name, and the
# next save was recorded under an annotator called "n"
# (span_editor.js askForName outlines it alike, with the cursor, when a button asks for the name)
# A relation picked without a name is kept beside its pair, which says to type the name: the
# page stays there (on a phone it scrolled the pair out of sight, up to the name)
SHOW_NAME_WHEN_ASKED = ("(said) => { if (!(said || '').includes(%s)) return []; "
                        "const box = document.getElementById('annotator'); if (!box) return []; "
                        "box.classList.add('cot-asked'); setTimeout(() => box.classList.remove('cot-asked'), 4000); "
                        "setTimeout(() => { if (!document.querySelector('.se-pair-waiting')) "
                        "box.scrollIntoView({ block: 'nearest' }); }, 100); return []; }"
                        % json.dumps(NAME_NEEDED))
# the name typed after such a refusal: the refusal leaves the status line (it stayed beside
# the name it asked for, over later local edits and undos)
LET_NAME_REFUSAL_GO = ("(name, said) => ((name || '').trim() && (said || '').includes(%s) ? '' : said)"
                       % json.dumps(NAME_NEEDED))
RECALL_NAME = "() => { try { return localStorage.getItem('%s') || ''; } catch (e) { return ''; } }" % NAME_KEY
# What Save, Undo or Next answered, said at the foot of the window while the status line above
# the editor is out of view (on a phone, below a long post: "Saved version 12", a refusal, a
# conflict's word were above the screen's top, and the bar's "saved" was all that showed); Show
# scrolls up to it. Gone after 8 s, with another post, or by ×.
STATUS_IN_SIGHT = """(said) => {
  setTimeout(() => {
    document.getElementById('status-toast')?.remove();
    const box = document.getElementById('annotate-status');
    const text = ((box && box.innerText) || '').trim();
    // the editor's own word of relations saved is said there already (span_editor.js confirmInSight)
    if (!text || !box.offsetParent || document.getElementById('se-toast')) return;
    const r = box.getBoundingClientRect();
    if (r.top > -8 && r.top < window.innerHeight - 24) return;   // its first line in view (not cut at the top)
    const toast = document.createElement('div');
    toast.id = 'status-toast'; toast.setAttribute('role', 'status');
    const line = document.createElement('span');
    line.textContent = text.length > 220 ? text.slice(0, 220) + '…' : text;
    const show = document.createElement('button');
    show.textContent = 'Show';
    show.onclick = () => { toast.remove(); box.scrollIntoView({ block: 'start' }); };
    const close = document.createElement('button');
    close.textContent = '×'; close.setAttribute('aria-label', 'close');
    close.onclick = () => toast.remove();
    toast.append(line, show, close);
    document.body.append(toast);
    setTimeout(() => toast.remove(), 8000);
  }, 60);
  return [];
}"""


OPENING = "Opening the first post of the queue…"
CHOOSE = "Choose a dataset/split (or search) to start annotating."


class QueueOrder(StrEnum):
    FILE = "file order"
    UNCERTAINTY = "student uncertainty"
    DISAGREEMENT = "teacher-student disagreement"


@dataclass(frozen=True)
class QueueFilters:
    """What a queue is made from, as the page keeps it (queue_made, and the browser's storage)."""
    dataset_split: str
    type_filter: str = "any"
    only_errors: bool = False
    not_corrected: bool = False
    order: str = QueueOrder.FILE.value

    @classmethod
    def remembered(cls, stored: str | None, dataset_split: str | None, types: Sequence[str]) -> "QueueFilters | None":
        """The filters this browser kept, where they are of `dataset_split` and still make sense
        (a type the dataset has, an order there is); else none."""
        try:
            d, t, e, c, o = json.loads(stored or "null")
        except (TypeError, ValueError):
            return None
        if d != dataset_split or o not in {q.value for q in QueueOrder} or not isinstance(e, bool) or not isinstance(c, bool):
            return None
        return cls(d, t if t in types else "any", e, c, o)

    @property
    def made(self) -> list:
        """As `queue` takes them, and as the queue_made state holds them."""
        return [self.dataset_split, self.type_filter, self.only_errors, self.not_corrected, self.order]

    @property
    def is_whole(self) -> bool:
        """The whole split in file order."""
        return self == QueueFilters(self.dataset_split)

    def predicted_words(self) -> str:
        """The filters read from the student's answers, in the words of their boxes."""
        words = ["“Student errors only”"] if self.only_errors else []
        if self.order != QueueOrder.FILE:
            words.append(f"the order by {self.order}")
        return " and ".join(words)


@dataclass(frozen=True)
class QueuePlace:
    """Where someone was in a queue before a post opened elsewhere (Explore, an Errors row, a
    search) moved Annotate to that post's split: the queue as it was made, and its post. The
    way back ("↩ Back to …"): an annotator who tried a tweet in Explore came back to
    uploads/user and had to find their split, filters and post again."""
    made: tuple                      # QueueFilters.made of that queue
    ids: tuple[str, ...]             # the queue as it was (a "not yet corrected" one no longer holds the post saved)
    post_id: str

    @property
    def dataset_split(self) -> str:
        return self.made[0]

    def label(self) -> str:
        at = f"post {self.ids.index(self.post_id) + 1} of {len(self.ids)}" if self.post_id in self.ids else "its post"
        return f"↩ Back to {self.dataset_split} ({at})"


@dataclass(frozen=True)
class KeptQueue:
    """The queue a page load makes again from the filters this browser kept (queue_as_kept)."""
    filters: QueueFilters            # what it was made with (the kept ones, less any not ready to read)
    ids: list[str]
    made: list | None                # for queue_made: None where it was made without some of the kept ones
    boxes: list                      # the updates of "Student errors only" and the order box
    said: str                        # whose answers ordered it, or which filters it opened without


@dataclass(frozen=True)
class Followed:
    """The queue a post opened elsewhere comes with (follow_post)."""
    outs: list                       # the updates of the queue's outputs (queue_outs)
    ids: list[str]                   # the queue
    made: list | None = None         # the filters it was made with, where made anew (else the queue on show's)
    said: str = ""                   # a word on how it was made (filters it opened without)


# -- the queue ------------------------------------------------------------------------------

def reads_predictions(only_errors: bool, order: str) -> bool:
    """Whether a queue is made from the student's predictions (errors only, or an order by them)."""
    return bool(only_errors) or QueueOrder(order) != QueueOrder.FILE


def predictions_ready(home: Path, filters: "QueueFilters", seen_by: str | None = None) -> bool:
    """Whether a queue made from the student's answers (errors only, or an order by them) reads
    the store only: the student the queue would ask, as `queue` picks it, has answered every
    post the queue reads (those its type and "not yet corrected" filters keep: a queue of the
    PER posts, made and remembered, was reopened in file order by a link, the other posts never
    having been predicted)."""
    ds = DatasetSplit.parse(filters.dataset_split)
    posts, _, relations = _queue_candidates(home, ds, filters.type_filter, filters.not_corrected, seen_by)
    return all_predicted(home, posts, "mre" if relations and relation_student_available(home) else "mner")


def order_basis(home: Path, filters: "QueueFilters") -> str:
    """Whose answers a queue made from the student's (errors only, an order by them) was made
    from: the default model's, named. A promote or a roll back makes such a queue anew from the
    new default's the next time it is made, and nothing said so (a reload reordered it)."""
    if not reads_predictions(filters.only_errors, filters.order):
        return ""
    ds = DatasetSplit.parse(filters.dataset_split)
    with open_store(home) as store:
        relations = label_store.labelled_task(store, ds.dataset, ds.split) == "mre"
    task = "mre" if relations and relation_student_available(home) else "mner"
    disagreement = QueueOrder(filters.order) == QueueOrder.DISAGREEMENT
    with open_store(home) as store:
        try:
            name = Registry(store).default_name(task)
        except CotExplorerError:   # no model of the task: the queue said why already
            return ""
        teacher = posts_with_knowledge(store, ds.dataset, ds.split, task) if disagreement else None
    what = filters.predicted_words()
    verb = "come" if " and " in what else "comes"
    said = f"{what[0].upper()}{what[1:]} {verb} from the answers of {name}, the default {TASK_NAMES[task]} model now."
    # with no teacher answer on the split the disagreement order is the file's order, said so
    # (MNRE's posts have none: the order was offered, and its "first post" was the file's first)
    if disagreement and not teacher:
        said += (f" No post of {ds.label} has the teacher's answers yet, so that order is the file's order (ask "
                 "Claude about posts in Explore, or import the teacher's knowledge).")
    return said


def queue(home: Path, dataset_split: str, type_filter: str = "any", only_errors: bool = False,
          not_corrected: bool = False, order: str = QueueOrder.FILE, on_progress: ProgressFn | None = None,
          charge: ChargeFn | None = None, seen_by: str | None = None) -> list[str]:
    """The posts of a split to correct, filtered and ordered. On a split with entity pairs
    (MNRE) and a relation student, errors, uncertainty and disagreement are the relations'.
    `charge`: what predicting the split costs the user (a viewer's share), before any is.
    `seen_by`: in a blind split, the filters read that person's labels (`queue_viewer`)."""
    ds = DatasetSplit.parse(dataset_split)
    order = QueueOrder(order)
    posts, current, relations = _queue_candidates(home, ds, type_filter, not_corrected, seen_by)
    if not reads_predictions(only_errors, order):
        return [p.id for p in posts]
    if relations and relation_student_available(home):
        return [p.id for p in _relation_queue(home, ds, posts, relations, only_errors, order, on_progress, charge)]
    preds = cached_predictions(home, posts, on_progress=on_progress, charge=charge)
    if only_errors:
        posts = [p for p in posts if p.id in current and
                 {(s.start, s.end, s.type) for s in current[p.id].spans} != {(a, b, t) for a, b, t, _ in preds[p.id]}]
    if order == QueueOrder.UNCERTAINTY:
        posts.sort(key=lambda p: min([c for *_, c in preds[p.id]], default=1.0))
    elif order == QueueOrder.DISAGREEMENT:
        with open_store(home) as store:
            known = knowledge_for_split(store, ds.dataset, ds.split)
        tspans = {p.id: {(e.span.start, e.span.end) for e in (known[(p.id, None)].entities
                                                           if (p.id, None) in known else ()) if e.span}
                  for p in posts}
        posts.sort(key=lambda p: -len(tspans[p.id] ^ {(a, b) for a, b, *_ in preds[p.id]}))
    return [p.id for p in posts]


def beside_in_queue(home: Path, ids: Sequence[str], post_id: str, order: str, delta: int = 1) -> str | None:
    """Where Next (`delta` > 0) or Previous goes from a post of the queue's split that the queue
    leaves out (a post corrected to agree with the student, in a "Student errors only" queue
    made again by a reload): the queue's nearest post after it (before it) in the split's file
    order. None where the queue is in another order, the post is another split's, or no post of
    the queue lies that way (a reload put an annotator back on the queue's first post, 60 posts
    behind where they were)."""
    if not ids or QueueOrder(order) != QueueOrder.FILE:
        return None
    with open_store(home) as store:
        post = get_post(store, post_id)
        whole = [p.id for p in list_posts(store, post.dataset, post.split)] if post else []
    rank = {pid: i for i, pid in enumerate(whole)}
    if post_id not in rank or any(pid not in rank for pid in ids):
        return None
    here = rank[post_id]
    way = [pid for pid in ids if rank[pid] > here] if delta > 0 else [pid for pid in ids if rank[pid] < here][::-1]
    return way[0] if way else None


def left_out_because(home: Path, filters: QueueFilters, post_id: str, seen_by: str | None = None) -> str:
    """Why a queue made with `filters` leaves out a post of its split, in the words of the box
    that does ("" where none of them does): a link to such a post, or a reload made the queue
    again without the post one was on, read "not in the queue" with no reason."""
    ds = DatasetSplit.parse(filters.dataset_split)
    typed, _, relations = _queue_candidates(home, ds, filters.type_filter, False, seen_by)
    if post_id not in {p.id for p in typed}:
        kind = "relation" if _relation_split(relations) else "label"
        return f"it has no {filters.type_filter} {kind} now (the type filter)"
    if filters.not_corrected:
        kept, _, _ = _queue_candidates(home, ds, filters.type_filter, True, seen_by)
        if post_id not in {p.id for p in kept}:
            return "it has been corrected (“Not yet corrected”)"
    if filters.only_errors:
        return "the student's answers agree with its labels now (“Student errors only”)"
    return ""


def _relation_split(relations: dict) -> bool:
    """Whether a split's current relation labels make it a relation split (labels.labelled_task's rule)."""
    return any(ls.relations for ls in relations.values())


def filter_choices(home: Path, dataset_split: str) -> tuple[list[str], bool]:
    """What Annotate's type filter offers on a split: its dataset's entity types, or, on a split
    with relation labels (MNRE), the relations its pairs are labelled with, the commonest first
    (None last); and whether they are relations."""
    ds = DatasetSplit.parse(dataset_split)
    with open_store(home) as store:
        relations = label_store.current_for_split(store, ds.dataset, ds.split, "mre")
        if not _relation_split(relations):
            return list(dataset_schema(store, ds.dataset).types), False
    counts = Counter(r.label for ls in relations.values() for r in ls.relations)
    named = sorted((lab for lab in counts if lab != "None"), key=lambda lab: (-counts[lab], lab))
    return named + (["None"] if "None" in counts else []), True


def _queue_candidates(home: Path, ds: DatasetSplit, type_filter: str, not_corrected: bool,
                      seen_by: str | None) -> tuple[list[Post], dict, dict]:
    """The posts of a queue before the student is read (its type and "not yet corrected"
    filters), with the entity and relation labels the filters read."""
    with open_store(home) as store:
        posts = list_posts(store, ds.dataset, ds.split)
        current = (label_store.current_for_split(store, ds.dataset, ds.split, "mner") if seen_by is None
                   else blind_store.seen_by_split(store, ds.dataset, ds.split, seen_by))
        relations = label_store.current_for_split(store, ds.dataset, ds.split, "mre")
    if type_filter and type_filter != "any" and _relation_split(relations):
        # a relation split's filter names a relation: the posts with a pair labelled so (its
        # entity types matched nothing, its posts having no entity labels)
        posts = [p for p in posts if p.id in relations and any(r.label == type_filter for r in relations[p.id].relations)]
    elif type_filter and type_filter != "any":
        posts = [p for p in posts if p.id in current and any(s.type == type_filter for s in current[p.id].spans)]
    if not_corrected:
        posts = [p for p in posts if (p.id not in current or current[p.id].source == "gold")
                 and (p.id not in relations or relations[p.id].source == "gold")]
    return posts, current, relations


def _relation_queue(home: Path, ds: DatasetSplit, posts: list[Post], relations: dict, only_errors: bool,
                    order: QueueOrder, on_progress: ProgressFn | None, charge: ChargeFn | None = None) -> list[Post]:
    guesses = cached_relations(home, posts, on_progress=on_progress, charge=charge)
    if only_errors:
        posts = [p for p in posts if any(g.label != r.label for g, r in zip(guesses.get(p.id, []),
                                                                               relations[p.id].relations))]
    if order == QueueOrder.UNCERTAINTY:
        posts.sort(key=lambda p: min([g.confidence for g in guesses.get(p.id, [])], default=1.0))
    elif order == QueueOrder.DISAGREEMENT:
        with open_store(home) as store:
            said = {p.id: [k.relation.label if (k := knowledge_for(store, p.id, "mre", (r.head, r.tail))) and k.relation
                           else None for r in relations[p.id].relations] for p in posts if p.id in relations}
        posts.sort(key=lambda p: -sum(t is not None and t != g.label for t, g in zip(said.get(p.id, []),
                                                                                      guesses.get(p.id, []))))
    return posts


# -- one post in the editor ----------------------------------------------------------------

def suggestions_for(home: Path, post: Post, schema: MnerSchema) -> list[dict]:
    """The student's entities (with confidence), its knowledge view's where they differ (the
    post has CoT), and the teacher's (with its rationale)."""
    predictor = student(home)
    predicted = cached_predictions(home, [post])[post.id]  # once per post and model version, kept in the store
    out = [dict(start=s, end=e, type=t, source="student", origin=f"student:{predictor.manifest.name}",
                confidence=round(c, 3), rationale="")
           for s, e, t, c in predicted]   # in the dataset's type names already
    with open_store(home) as store:
        k = knowledge_for(store, post.id)
    text_view = {(s["start"], s["end"], s["type"]) for s in out}
    view = knowledge_view_post(home, post, k)
    for s, e, t, c in schema.translate_scored(view.spans) if view else ():  # the CoT-reading view, where it differs
        if (s, e, t) not in text_view:
            out.append(dict(start=s, end=e, type=t, source="knowledge",
                            origin=f"{'student-knowledge-view' if view.own else 'teacher-knowledge-view'}:{view.model}",
                            confidence=round(c, 3),
                            rationale="the student's knowledge view, which reads the teacher's CoT" if view.own else
                            f"the knowledge view of {view.model}, which the student was distilled from; it reads "
                            "the teacher's CoT"))
    for sp, e in teacher_spans(k.entities if k else (), schema.types):
        out.append(dict(start=sp.start, end=sp.end, type=sp.type, source="teacher", origin=f"teacher:{k.model}",
                        confidence=None, rationale=e.rationale or f"the teacher calls it {e.type}"))
    return out


def pairs_for(home: Path, post: Post) -> tuple[list[dict], int | None]:
    """The editor's entity pairs, the least certain first, each with its suggestions."""
    view = pairs_view(home, post)
    pairs = [{"index": p.index, "head": [p.relation.head.start, p.relation.head.end],
              "tail": [p.relation.tail.start, p.relation.tail.end], "label": p.relation.label,
              # the pair's types as the student read them: the editor lists first the relations
              # that fit the types the annotator gives its words, these where none is given
              "head_type": p.student.head.type if p.student else None,
              "tail_type": p.student.tail.type if p.student else None,
              "student": {"label": p.student.label, "confidence": p.student.confidence, "model": p.student.model}
              if p.student else None,
              "teacher": {"label": p.teacher.label, "rationale": p.teacher.rationale, "model": p.teacher.model}
              if p.teacher else None}
             for p in view.pairs]
    return pairs, view.version


def blind_viewer(store, dataset: str, split: str, user: User) -> str | None:
    """Whose own entity labels Annotate shows of the posts of a blind split: the signed-in
    person's ("" for a visitor: nobody's, so the imported ones). None where the split is not
    blind, or for the one local user (telling annotators apart needs them signed in)."""
    if user.name == LOCAL_USER or not blind_store.is_blind(store, dataset, split):
        return None
    return user.name or ""


def queue_viewer(home: Path, dataset_split: str, user: User) -> str | None:
    """`blind_viewer` of a queue's split: its filters read that person's labels."""
    ds = DatasetSplit.parse(dataset_split)
    with open_store(home) as store:
        return blind_viewer(store, ds.dataset, ds.split, user)


BLIND_UNDO = ("in a blind split Undo and Redo step only your own change while it is the post's newest, and "
              "someone has saved this post since: correct the labels on show and save them instead")


BLIND_SAID = "you see only your own labels (the imported ones until you save), never another annotator's"
BLIND_SAID_ADMIN = ("the editor shows your own labels (the imported ones until you save); each annotator's labels of a "
                    "disagreement are in the agreement panel below, for admins")


def progress_line(home: Path, post: Post, user: User) -> str:
    with open_store(home) as store:
        viewer = blind_viewer(store, post.dataset, post.split, user)
        saves = user.may(Action.SAVE_LABELS)   # a viewer read "0 by you", of work they may not do
        if viewer is not None:   # no count of others' work, and no name of theirs
            if not saves:
                return (f"{post.dataset}/{post.split} is annotated blind: you see the labels it was imported with, "
                        "never an annotator's")
            mine = blind_store.saved_by(store, post.dataset, post.split, viewer) if viewer else 0
            total = store.conn.execute("SELECT count(*) FROM posts WHERE dataset = ? AND split = ?",
                                       (post.dataset, post.split)).fetchone()[0]
            # an admin reads each annotator's labels of a disagreement in the agreement panel: the line
            # that said "never another annotator's" stood above that panel
            said = BLIND_SAID_ADMIN if user.may(Action.SET_BLIND) else BLIND_SAID
            if user.may(Action.SET_BLIND) and blind_store.is_unsettled(store, post.id):
                # at the post itself (an annotator's save over a lead's settling one reopened it unseen)
                now = label_store.head(store, post.id, "mner")
                said += (". ⚠ Annotators disagree on this post and no save has settled it since: its current labels "
                         f"are {now.author if now is not None and now.author else 'the newest save'}'s; put the "
                         "version to keep in the editor from the agreement panel and save it")
            return f"{post.dataset}/{post.split} is annotated blind: {mine} of {total} posts saved by you; {said}"
        pr = label_store.progress(store, post.dataset, post.split, confirmed=True)
        signed_in = saves and user.name not in (None, "local")  # the one local user saves under a typed name
        # the posts one saved, whoever saved over them since ("5 by you" fell to "1 by you" as a
        # lead settled four of them, which read as work lost)
        saved = blind_store.saved_by(store, post.dataset, post.split, user.name) if signed_in else 0
    mine = pr.by_author.get(user.name or "", 0)
    by_you = (f" · you saved {saved}, {mine} of them still as you left them" if saved > mine
              else f" · {mine} by you")
    others = ", ".join(f"{a} ({n})" for a, n in list(pr.by_author.items())[:4])
    # named: the post on show may be of another split than the queue's (an upload, a search)
    confirmed = f" ({pr.unchanged} of them confirmed as they were)" if pr.unchanged else ""
    return (f"{post.dataset}/{post.split}: {pr.corrected} of {pr.total} posts corrected{confirmed}"
            + (by_you if signed_in else "")
            # counted under the author of the labels each post has now; labels one saved and
            # another confirmed count for both, said where that makes the counts add up to more
            # (they read as shares of the posts corrected)
            + (f" · labels now by: {others}" if others else "")
            + (" (a post whose labels one annotator saved and another confirmed counts for both)"
               if sum(pr.by_author.values()) > pr.corrected else ""))


# editor_doc's `based_on` when the editor shows the stored spans: they are the newest version's
FROM_STORE = object()


def editor_doc(home: Path, post_id: str, user: User, ids: list[str] | None = None, *, spans: list[dict] | None = None,
               based_on: int | None | object = FROM_STORE, conflict: dict | None = None, clear_draft: bool = False,
               rev: int = 0, focus_pair: int | None = None, pair_saved: PairSaved | None = None,
               reveal: bool = False, focus_error: dict | None = None, refresh_of: str | None = None) -> EditorDoc:
    """The editor's document for a post. Unsaved `spans` carried over (a relation saved or
    refused beside them) keep the version they were `based_on`: on the newest one, a save
    would go on top of a co-annotator's spans saved meanwhile, without a conflict."""
    with open_store(home) as store:
        post = get_post(store, post_id)
        if post is None:
            raise ValidationError(f"no post {post_id!r}")
        cur = label_store.current(store, post_id, "mner")
        base = label_store.head_version(store, post_id, "mner")
        schema = dataset_schema(store, post.dataset)
        undoable = label_store.newest_undoable(store, post_id)
        held = held_out(store, post.dataset, post.split, post_id)
        viewer = blind_viewer(store, post.dataset, post.split, user)
        if viewer is not None:
            # their own labels, kept (as a draft is) against their own version: others' saves
            # on top of the post move nothing here
            seen = blind_store.seen_by(store, post_id, viewer)
            cur, base = seen.labels, seen.version
            if undoable is not None and undoable.author != viewer:
                undoable = None   # another's change: not said, and refused (step_history)
    saved = [span_dict(s) for s in (cur.spans if cur else ())]
    pairs, rel_version = pairs_for(home, post)
    ids = ids or []
    return EditorDoc(
        post_id=post.id, dataset=post.dataset, tokens=token_cells(post), types=list(schema.types), saved=saved,
        spans=spans if spans is not None else [dict(s) for s in saved],
        base_version=base if based_on is FROM_STORE else based_on,
        suggestions=suggestions_for(home, post, schema), pairs=pairs, relation_labels=list(MRE_RELATIONS),
        relation_arguments=relation_argument_table() if pairs else {},
        type_names=mnre_type_names([*schema.types, *DEFAULT_ENTITY_TYPES]) if pairs else {},
        relation_version=rel_version,
        pos={"index": ids.index(post_id) if post_id in ids else -1, "total": len(ids),
             "progress": progress_line(home, post, user) + (HELD_OUT_SAID.format(post.dataset) if held else "")},
        readonly=not user.may(Action.SAVE_LABELS), conflict=conflict, clear_draft=clear_draft, rev=rev,
        focus_pair=focus_pair, student_unread=reach(student(home), post).sentence(), pair_saved=pair_saved,
        reveal=reveal, focus_error=error_focus_of(focus_error, len(post.tokens), *scored_labels(home, post_id, user))
        if focus_error else None,
        drafts_of="" if user.name in (None, LOCAL_USER) else user.name,
        undo_of={"author": undoable.author, "version": undoable.version}
        if undoable is not None and undoable.source == "annotator" and undoable.author else None,
        blind_of=viewer, refresh_of=refresh_of)


STALE_ERROR = " (the labels have changed since this analysis: press Analyse in Errors again)"


def scored_labels(home: Path, post_id: str, user: User) -> tuple[list[dict], str | None]:
    """The labels an error analysis scored for a post (its newest, whoever saved them), and,
    where the editor shows the user's own labels of a blind split instead and those scored are
    another's save, whose (error_focus_of's `blind_shown`)."""
    with open_store(home) as store:
        post = get_post(store, post_id)
        scored = label_store.current(store, post_id, "mner")
        viewer = blind_viewer(store, post.dataset, post.split, user) if post is not None else None
    other = (scored.author or "") if (viewer is not None and scored is not None and scored.source == "annotator"
                                      and scored.author != viewer) else None
    return [span_dict(s) for s in (scored.spans if scored else ())], other


def error_focus_of(d: object, n_tokens: int, labels: list[dict], blind_shown: str | None = None
                   ) -> ErrorFocus | None:
    """The entity error an Errors row names (errors_tab.error_focus), checked against the post
    (the row was made from the server's own answer, but it travels through the browser), and
    against its labels now, those the analysis scored: a row from before a correction said
    "missed: The (ORG) in the labels" of a label gone. `blind_shown`: the editor shows the
    viewer's own labels of a blind split, not those scored, which are another's save (whose)."""
    if not isinstance(d, dict) or not isinstance(d.get("said"), str):
        return None

    def span(v):
        ok = isinstance(v, list) and len(v) == 3 and all(isinstance(x, int) for x in v[:2]) and 0 <= v[0] < v[1] <= n_tokens
        return v if ok else None
    gold, pred = span(d.get("gold")), span(d.get("pred"))
    now = {(s.get("start"), s.get("end"), s.get("type")) for s in labels}
    stale = (tuple(gold) not in now) if gold else (pred is not None and tuple(pred) in now)
    source = d.get("source") if d.get("source") in ("Errors", "Distill") else "Errors"
    # the editor shows one's own labels of a blind split: the row's labels may not be on show, said
    # so (the row read "the labels have changed since this analysis", which Analyse did not mend)
    blind = (" (the split is annotated blind: the analysis scored the newest save of each post"
             f"{f', {blind_shown}' + chr(39) + 's here' if blind_shown else ''}; the editor shows your own labels)"
             if blind_shown is not None else "")
    return ErrorFocus(d["said"][:300] + (STALE_ERROR if stale else "") + blind, gold, pred, source)


def history_rows(home: Path, post_id: str, blind_of: str | None = None) -> list[list]:
    """The post's versions, newest first, each with what it changed against the version of its
    task before it (every row listed all six relations, to be compared by eye) and its labels.
    `blind_of`: in a blind split, that person's entity versions and the imported ones only."""
    with open_store(home) as store:
        post = get_post(store, post_id)
        hist = label_store.post_history(store, post_id)
    if blind_of is not None:
        hist = [h for h in hist if h.task != "mner" or h.imported or (blind_of and h.author == blind_of)]
    rows, before = [], {}
    for h in hist:
        labels = None if h.action == "undo" and h.restores is None else h.labels
        if labels is None:
            what = "(no labels)"
        elif h.task == "mner":
            # in text order, whichever order they were saved in (versions read alike are compared by eye)
            what = "; ".join(f"{post.span_text(s)}/{s.type}" for s in sorted(labels.spans, key=lambda s: (s.start, s.end))
                             ) or "(no entities)"
        else:
            what = "; ".join(f"{post.span_text(r.head)}→{post.span_text(r.tail)}: {r.label}" for r in labels.relations)
        change = label_change(post, before.get(h.task), labels) if h.task in before else "(first labels)"
        before[h.task] = labels
        rows.append([h.version, h.what, h.task, h.author, h.created_at[:19].replace("T", " "), change, what])
    return rows[::-1]


def label_change(post: Post, old: LabelSet | None, new: LabelSet | None) -> str:
    """What one version changed against the one before it, in the post's words: spans added (+)
    and removed (−), a pair's relation from → to."""
    if old is not None and old.task == "mre" or new is not None and new.task == "mre":
        was = {(r.head, r.tail): r.label for r in (old.relations if old else ())}
        now = {(r.head, r.tail): r.label for r in (new.relations if new else ())}
        said = [f"{post.span_text(h)}→{post.span_text(t)}: {was.get((h, t), '—')} → {now.get((h, t), '—')}"
                for h, t in [*now, *(k for k in was if k not in now)] if was.get((h, t)) != now.get((h, t))]
    else:
        was = set(old.spans if old else ())
        now = set(new.spans if new else ())
        said = ([f"+{post.span_text(s)}/{s.type}" for s in sorted(now - was, key=lambda s: s.start)]
                + [f"−{post.span_text(s)}/{s.type}" for s in sorted(was - now, key=lambda s: s.start)])
    return "; ".join(said) or "(no change)"


def context(home: Path, post_id: str) -> tuple[str | None, str, str]:
    """The post's image (or its caption), and the teacher's chain of thought by grain."""
    with open_store(home) as store:
        post = get_post(store, post_id)
        img = image_path(store, post.image_sha256) if post and post.image_sha256 else None
        k = knowledge_for(store, post_id)
        earlier = earlier_teachers(store, post_id)
    caption = f"*Caption:* {post.caption}" if post and post.caption else ("" if img else "*No image or caption.*")
    return (str(shown_image(img)) if img else None), caption, cot_markdown(k, in_annotate=True, earlier=earlier)


# -- what the editor asks the server -------------------------------------------------------

def _span_keys(spans: list[dict] | None) -> list[tuple]:
    """The editor's spans as a comparable list (their order and origin aside)."""
    return sorted((s.get("start"), s.get("end"), s.get("type")) for s in spans or [])


def _is_dirty(doc: dict) -> bool:
    return bool(doc and doc.get("post_id")) and _span_keys(doc.get("spans")) != _span_keys(doc.get("saved"))


def echoed(doc: dict, **changes) -> dict:
    """The editor's own value sent back with `changes`, without the last answer's one-time flags:
    clear_draft would drop the draft of unsaved spans, a refusal left on would have the editor
    read nothing else, and a question answered already (pending_open) was asked again."""
    return {**doc, "refused": False, "clear_draft": False, "note": None, "pending_open": None, **changes}


def _has_unsaved(doc: dict) -> bool:
    """Span edits, relations the editor keeps until a name is typed (`waiting`), or one reached
    with the keys and kept until Enter (`held`), all of which it writes into its value: opening
    another post asks first (a search result dropped them)."""
    return _is_dirty(doc) or bool(doc and doc.get("post_id") and (doc.get("waiting") or doc.get("held")))


def left_post_said(doc: dict, n_words: int = 8) -> str:
    """The post an editor's document is of, by its first words, as the post left: a save made
    on leaving it is said above the next one."""
    words = [t.get("t", "") for t in doc.get("tokens") or []]
    snippet = " ".join(words[:n_words]) + (" …" if len(words) > n_words else "")
    return f"On the post you left (“{snippet}”):"


def save_doc(home: Path, doc: dict, author: str, user: User, ids: list[str]) -> tuple[EditorDoc, str]:
    """Save the editor's spans on top of the version it was based on. A stale save comes back
    as a conflict to resolve, the edits kept; bad spans are refused with a sentence."""
    author = who_saves(author)
    spans = spans_from_value(doc.get("spans"))
    post_id = doc["post_id"]
    if doc.get("conflict"):
        # Save (or "s") again over the conflict panel went on top of their version with mine
        # alone: the colleague's change the panel had ticked to keep was undone, unsaid
        c = doc["conflict"]
        whose = ("your other save" if c.get("their_author") == author
                 else f"{c.get('their_author')}'s save" if c.get("their_author") else "another save")
        choices = ("Merge ticked spans, Take the other save or Keep this tab's as it is" if c.get("own")
                   else "Merge ticked spans, Take theirs or Keep mine as it is")
        raise ValidationError(f"your edits conflict with {whose} (version {c.get('their_version')}) and were not "
                              f"saved: choose {choices}, below")
    mine = LabelSet("mner", spans=spans, source="annotator", author=author)
    with open_store(home) as store:
        head = label_store.head(store, post_id, "mner")
        post = get_post(store, post_id)
        viewer = blind_viewer(store, post.dataset, post.split, user) if post is not None else None
    if viewer:
        return _save_blind(home, doc, mine, viewer, user, ids)
    if (head is not None and head.version == doc.get("base_version") and head.action in ("save", "merge")
            and head.source == "annotator" and head.author == author and mine.same_labels(head.labels)):
        # the same labels saved again by the same annotator: no version that changes nothing
        # (it would pad the history, and an undo of it would seem to do nothing)
        return (editor_doc(home, post_id, user, ids, clear_draft=True, rev=doc.get("rev", 0) + 1),
                f"Nothing changed since version {head.version}, saved by {author}: nothing saved.")
    try:
        with open_store(home) as store:
            saved = label_store.save(store, post_id, mine, doc.get("base_version"))
    except ConflictError:
        with open_store(home) as store:
            theirs = label_store.head(store, post_id, "mner")  # their labels, or their undo of all of them
            # where both started, from the store: a draft kept in the browser on an older
            # version is sent with that version, not with the labels on show now
            started = label_store.labels_at(store, post_id, "mner", doc["base_version"]) \
                if doc.get("base_version") is not None else None
        started_spans = list(started.spans) if started is not None else []
        if mine.same_labels(LabelSet("mner", spans=started_spans)):
            # no edits of mine over the version I opened: nothing to merge, and nothing to vouch
            # for that I have seen (a red conflict panel came up over nothing)
            return (editor_doc(home, post_id, user, ids, clear_draft=True, rev=doc.get("rev", 0) + 1),
                    f"{theirs.author} saved version {theirs.version} meanwhile; you had no edits, so nothing was "
                    "saved: their labels are on show now.")
        if mine.same_labels(theirs.labels):   # we agree: mine goes on top of theirs, no panel
            with open_store(home) as store:
                saved = label_store.save(store, post_id, mine, theirs.version)
            return (editor_doc(home, post_id, user, ids, clear_draft=True, rev=doc.get("rev", 0) + 1),
                    f"Saved version {saved.version}: {theirs.author} had saved the same labels meanwhile.")
        # with the version both started from, so that the merge keeps each side's changes (ticked
        # by theirs and mine alone, "Keep mine" undid a colleague's retyping the saver never touched)
        conflict = {"theirs": [span_dict(s) for s in theirs.labels.spans], "their_version": theirs.version,
                    "their_author": theirs.author, "their_time": (theirs.created_at or "")[11:19],
                    "own": theirs.author == author,   # one's own save from another tab: said so, not by name
                    "base": [span_dict(s) for s in started_spans],
                    "base_version": doc.get("base_version")}
        # the edits stay on the version they were made on (kept as the draft so): on theirs, a
        # reload restored them as if new, and the next Save went over their change unasked
        return (editor_doc(home, post_id, user, ids, spans=doc.get("spans"), based_on=doc.get("base_version"),
                           conflict=conflict, rev=doc.get("rev", 0) + 1),
                f"**Conflict:** {theirs.author} saved version {theirs.version} meanwhile; your edits are kept below.")
    # what undo would bring back, in the user's words ("replaces version 70" read as internals)
    # the version a post was imported with, named so ("undo brings back version 1" beside "Saved
    # version 66" read as 65 saves lost in between: the numbers are the store's, not the post's)
    imported = head is not None and head.version == saved.replaces and head.source == "gold"
    replaced = (f"undo brings back the imported labels, version {saved.replaces}" if imported
                else f"undo brings back version {saved.replaces}" if saved.replaces is not None
                else "the post's first entity labels; undo takes them back")
    fresh = editor_doc(home, post_id, user, ids, clear_draft=True, rev=doc.get("rev", 0) + 1)
    cleared = head is not None and head.action == "undo" and head.restores is None   # no labels to confirm
    if (head is not None and not cleared and head.version == doc.get("base_version")
            and saved.same_labels(head.labels)):
        # Save on labels left as they were (the dataset's, a colleague's): a version that vouches
        # for them, said as such (it read as an edit, and the count of corrections rose by it);
        # after an undo, the labels it brought back are whoever made them, not the undoer's
        whose = ("the dataset's" if head.source == "gold" else "these" if head.action in ("undo", "redo")
                 else f"{head.author}'s")
        return fresh, (f"Confirmed {whose} labels unchanged as version {saved.version}: the post counts as "
                       f"corrected by you and {what_rounds_do(home, post_id)} ({replaced}).")
    return fresh, f"Saved version {saved.version} ({replaced})."


def what_rounds_do(home: Path, post_id: str) -> str:
    """What a round does with a post's corrected labels, as a save says it: a held-out post was
    said to train in the next round, which it never does."""
    with open_store(home) as store:
        post = get_post(store, post_id)
        out = held_out(store, post.dataset, post.split, post_id) if post is not None else False
    if out:
        return f"measures the next round: it is one of {post.dataset}'s held-out posts, which never train"
    if out is None:
        return (f"trains in the next round, unless that round, {post.dataset}'s first, holds it out to measure on "
                "(it samples its held-out posts where there is no test split)")
    return "trains in the next round"


# the progress line's word on a held-out post (nothing in Annotate said which they were)
HELD_OUT_SAID = " · held out: your labels of this post measure rounds on {}, never train"


def _save_blind(home: Path, doc: dict, mine: LabelSet, viewer: str, user: User, ids: list[str]) -> tuple[EditorDoc, str]:
    """A save in a blind split: on top of the post's newest version, whoever saved it (another
    annotator's save is no conflict: neither sees the other's), said against the labels this
    person had on show (their own, else the imported ones)."""
    post_id = doc["post_id"]
    with open_store(home) as store:
        seen = blind_store.seen_by(store, post_id, viewer)
        started = (label_store.labels_at(store, post_id, "mner", doc["base_version"])
                   if isinstance(doc.get("base_version"), int) else None)
        current = label_store.current(store, post_id, "mner")
    fresh = lambda: editor_doc(home, post_id, user, ids, clear_draft=True, rev=doc.get("rev", 0) + 1)  # noqa: E731
    # an admin's own labels saved again over an annotator's newer save settle the post again
    # ("Nothing changed since your version 67" left it unsettled, the annotator's labels current)
    settles_again = user.may(Action.SET_BLIND) and current is not None and not mine.same_labels(current)
    if seen.own and mine.same_labels(seen.labels) and not settles_again:
        return fresh(), f"Nothing changed since your version {seen.version}: nothing saved."
    if seen.own and seen.version != doc.get("base_version"):
        # one's own save from another tab or browser since this editor drew the post: saved on
        # top, these edits replaced it unsaid (others' saves are unseen, and no conflict)
        if mine.same_labels(started or LabelSet("mner")):   # no edits here: nothing to keep
            return fresh(), (f"You saved this post in another tab or browser (version {seen.version}) since this one "
                             "drew it, and you had no edits here: nothing was saved, and those labels are on show now.")
        with open_store(home) as store:
            own = label_store.head_version(store, post_id, "mner") == seen.version and label_store.head(store, post_id, "mner")
        conflict = {"theirs": [span_dict(s) for s in seen.labels.spans], "their_version": seen.version,
                    "their_author": viewer, "their_time": ((own.created_at or "")[11:19] if own else ""),
                    "base": [span_dict(s) for s in (started.spans if started else ())],
                    "base_version": doc.get("base_version"), "blind": True, "own": True}
        return (editor_doc(home, post_id, user, ids, spans=doc.get("spans"), based_on=doc.get("base_version"),
                           conflict=conflict, rev=doc.get("rev", 0) + 1),
                f"**Conflict:** you saved this post in another tab or browser (version {seen.version}) since this "
                "one drew it; your edits here are kept below.")
    for attempt in range(3):
        try:
            with open_store(home) as store:
                saved = label_store.save(store, post_id, mine, label_store.head_version(store, post_id, "mner"))
            break
        except ConflictError:   # another annotator's save landed between the read and the write
            if attempt == 2:
                raise
    said = (f"Confirmed the imported labels unchanged as version {saved.version}" if not seen.own
            and mine.same_labels(seen.labels) else f"Saved version {saved.version}")
    if user.may(Action.SET_BLIND):
        # an admin settling a disagreement read "unseen by you" of the labels just read in the panel,
        # and nothing said the save was now the post's current labels
        return fresh(), (f"{said}: your labels of this post are its current ones now (what Errors scores and a "
                         "round learns); its annotators, blind, do not see them.")
    return fresh(), (f"{said}: your own labels of this post (blind: other annotators' labels of it stay as they "
                     "saved them, unseen by you, and theirs never show yours).")


def resolve_conflict(home: Path, doc: dict, choice: str, merged: list, author: str, user: User,
                     ids: list[str]) -> tuple[EditorDoc, str]:
    conflict = doc.get("conflict") or {}
    theirs_version = conflict.get("their_version")
    if choice not in ("theirs", "mine", "merge"):
        raise ValidationError(f"unknown way to resolve a conflict: {choice!r}")
    author = who_saves(author)
    if conflict.get("blind"):   # with one's own other save, in a blind split
        return _resolve_blind(home, doc, choice, merged, author, user, ids)
    if choice == "theirs":
        return _take_theirs(home, doc, author, user, ids)
    spans = spans_from_value(doc.get("spans") if choice == "mine" else merged)
    with open_store(home) as store:
        saved = label_store.save(store, doc["post_id"], LabelSet("mner", spans=spans, source="annotator", author=author),
                                 theirs_version, action="merge" if choice == "merge" else "save")
    what = "Kept your version" if choice == "mine" else "Saved the merge"
    return (editor_doc(home, doc["post_id"], user, ids, clear_draft=True, rev=doc.get("rev", 0) + 1),
            f"{what} as version {saved.version}, on top of version {theirs_version}.")


def _resolve_blind(home: Path, doc: dict, choice: str, merged: list, author: str, user: User,
                   ids: list[str]) -> tuple[EditorDoc, str]:
    """A conflict with one's own other save in a blind split, resolved: on top of the post's
    newest version, whoever saved it (others' saves are no conflict there), as long as one's
    own labels are still those the conflict showed."""
    post_id, their_version = doc["post_id"], (doc.get("conflict") or {}).get("their_version")
    fresh = dict(clear_draft=True, rev=doc.get("rev", 0) + 1)
    with open_store(home) as store:
        post = get_post(store, post_id)
        viewer = blind_viewer(store, post.dataset, post.split, user) if post is not None else None
        seen = blind_store.seen_by(store, post_id, viewer) if viewer is not None else None
    if seen is None or seen.version != their_version:
        return (editor_doc(home, post_id, user, ids, **fresh),
                "Not done: your labels of this post changed again since the conflict came up; they are on show, "
                "and these edits were discarded.")
    if choice == "theirs":
        return editor_doc(home, post_id, user, ids, **fresh), "Took your other save; these edits were discarded."
    spans = spans_from_value(doc.get("spans") if choice == "mine" else merged)
    mine = LabelSet("mner", spans=spans, source="annotator", author=author)
    with open_store(home) as store:
        saved = label_store.save(store, post_id, mine, label_store.head_version(store, post_id, "mner"),
                                 action="merge" if choice == "merge" else "save")
    what = "Kept this tab's version" if choice == "mine" else "Saved the merge"
    return (editor_doc(home, post_id, user, ids, **fresh),
            f"{what} as version {saved.version}, over your other save (version {their_version}).")


def _take_theirs(home: Path, doc: dict, author: str, user: User, ids: list[str]) -> tuple[EditorDoc, str]:
    """Their labels, taken as the taker's own: saved under the taker's name on top of theirs
    (as Save on another annotator's labels vouches for them), so that agreement compares
    them and not the taker's older save, which it counted as a disagreement the taker had
    given up. Saved again meanwhile by someone else: the newest is shown, nothing saved."""
    conflict = doc.get("conflict") or {}
    post_id, theirs_version = doc["post_id"], conflict.get("their_version")
    fresh = dict(clear_draft=True, rev=doc.get("rev", 0) + 1)
    with open_store(home) as store:
        theirs = label_store.head(store, post_id, "mner")
        if theirs is None or theirs.version != theirs_version:
            newest = f"{theirs.author} saved version {theirs.version}" if theirs else "the labels changed"
            return (editor_doc(home, post_id, user, ids, **fresh),
                    f"Not taken: {newest} since the conflict came up; the newest labels are on show, "
                    "and your edits were discarded.")
        if theirs.author == author:   # one's own labels (saved from another tab): nothing to vouch for
            return editor_doc(home, post_id, user, ids, **fresh), "Took your other save; these edits were discarded."
        if theirs.action not in ("save", "merge") or theirs.source != "annotator":
            # their undo (back to the imported labels, or to none): saved as the taker's, it
            # would count the post as corrected and reverse the undo; there is no save to agree with
            return (editor_doc(home, post_id, user, ids, **fresh),
                    f"Took {theirs.author}'s undo (version {theirs.version}): their labels are on show, nothing was "
                    "saved, and your edits were discarded.")
        saved = label_store.save(store, post_id, LabelSet("mner", spans=theirs.labels.spans, source="annotator",
                                                          author=author), theirs.version)
    return (editor_doc(home, post_id, user, ids, **fresh),
            f"Took {theirs.author}'s labels as yours too (version {saved.version}), so agreement counts you as "
            f"agreeing with them; your edits were discarded.")


def drawn_versions_now(home: Path, post_id: str, user: User) -> tuple[int | None, int | None] | None:
    """The versions an editor drawn now would stand on (editor_doc's `base_version` and
    `relation_version`), read alone; None for a post deleted."""
    with open_store(home) as store:
        post = get_post(store, post_id)
        if post is None:
            return None
        viewer = blind_viewer(store, post.dataset, post.split, user)
        base = (blind_store.seen_by(store, post_id, viewer).version if viewer is not None
                else label_store.head_version(store, post_id, "mner"))
        relations = label_store.current(store, post_id, "mre")
    return base, (relations.version if relations else None)


def step_history(home: Path, doc: dict, forward: bool, author: str, user: User, ids: list[str],
                 change: int | None = None) -> tuple[EditorDoc, str]:
    """Undo or redo the newest change of this post, spans or relations: one version per press.
    With unsaved span edits only a relation may be stepped (they stay); `change`: the
    version an undo must take back (the Undo beside the relation it saved), or nothing."""
    author = who_saves(author)
    dirty = _is_dirty(doc)
    only = "mre" if dirty else None
    kept = {"spans": doc.get("spans"), "based_on": doc.get("base_version")} if dirty else {"clear_draft": True}
    if change is None and drawn_versions_now(home, doc["post_id"], user) != (doc.get("base_version"),
                                                                           doc.get("relation_version")):
        # the post changed since the editor drew it (a colleague's save, one's own in another
        # tab): the newest change is one the user never saw, and an undo took a colleague's save
        # back unasked (the question "Undo ann2's change?" is asked from what the editor shows)
        word = "redone" if forward else "undone"
        return (editor_doc(home, doc["post_id"], user, ids, rev=doc.get("rev", 0) + 1, **kept),
                f"Nothing {word}: this post was saved again since it was drawn here; it is on show as it is now. "
                f"Press {'Redo' if forward else 'Undo'} again to step from here.")
    with open_store(home) as store:
        post = get_post(store, doc["post_id"])
        viewer = blind_viewer(store, post.dataset, post.split, user) if post is not None else None
        newest = label_store.head(store, doc["post_id"], "mner") if forward else \
            label_store.newest_undoable(store, doc["post_id"])
    if viewer is not None and newest is not None and newest.author != viewer:
        raise ValidationError(BLIND_UNDO)
    with open_store(home) as store:
        stood = {task: label_store.current(store, doc["post_id"], task) for task in ("mner", "mre")}
        before = stood["mre"]
        undone = None if forward else label_store.newest_undoable(store, doc["post_id"])
        if forward:
            now = label_store.redo_newest(store, doc["post_id"], author, only_task=only)
        else:
            now = label_store.undo_newest(store, doc["post_id"], author, only_task=only, change=change)
        after = label_store.current(store, doc["post_id"], now.task)
        post = get_post(store, doc["post_id"])
    word = "Redid" if forward else "Undid"
    left = f" The post has no {'relation' if now.task == 'mre' else 'entity'} labels again." if after is None else ""
    what = f"the last {'relation' if now.task == 'mre' else 'span'} change"
    if now.task == "mre" and before is not None and after is not None and post is not None:
        # the pair named, as its save named it ("Undid the last relation change" said which not)
        changed = [(a, b) for a, b in zip(before.relations, after.relations) if a.label != b.label]
        if len(changed) == 1:
            a, b = changed[0]
            what = (f"the relation {post.span_text(a.head)} → {post.span_text(a.tail)}: {a.label} → **{b.label}**")
    # someone else's change taken back is said as theirs (it read as the user's own)
    whose = (f" ({undone.author}'s, version {undone.version})" if undone is not None and undone.author
             and undone.author != author else "")
    # a step over a Save that confirmed labels unchanged: nothing on screen moves (a walker
    # pressed Undo again, taking back a real change)
    same = after is not None and after.same_labels(stood[now.task])
    unchanged = " The labels read as before: that version confirmed them unchanged." if same else ""
    return (editor_doc(home, doc["post_id"], user, ids, rev=doc.get("rev", 0) + 1, **kept),
            f"{word} {what}{whose}: now version {now.version}.{left}{unchanged}")


def save_relation(home: Path, doc: dict, index: int, label: str, author: str, user: User,
                  ids: list[str]) -> tuple[EditorDoc, str]:
    try:
        saved, old, post, over = set_relation(home, doc["post_id"], index, label, doc.get("relation_version"), author)
    except PairChangedMeanwhile as e:   # the editor is handed the pairs as they are now (`said`)
        with open_store(home) as store:
            e.pairs_now, e.relation_version_now = pairs_for(home, get_post(store, doc["post_id"]))
        raise
    # the editor's unsaved spans stay as they are, and say so: a relation is saved at once,
    # spans wait for Save (the bar's "unsaved changes" seemed to contradict "Saved")
    new = editor_doc(home, doc["post_id"], user, ids, spans=doc.get("spans"), based_on=doc.get("base_version"),
                     rev=doc.get("rev", 0) + 1, focus_pair=index, pair_saved=PairSaved(index, saved.version))
    unsaved = (" Your span edits are not saved yet: Save keeps them." if _is_dirty(doc) else "")
    on_top = (f" It goes on top of {markdown_literal(over.author)}'s version {over.version}, which changed another "
              "pair of this post."
              if over else "")
    return new, (f"Saved the relation {post.span_text(old.head)} → {post.span_text(old.tail)}: {old.label} → "
                 f"**{label}** as version {saved.version} (undo takes it back).{on_top}{unsaved}")


def still_there(home: Path, ids: Sequence[str]) -> list[str]:
    """`ids` less the posts deleted since they were queued, in their order."""
    with open_store(home) as store:
        there = set(existing_ids(store, ids))
    return [i for i in ids if i in there]


def left_after_deletion(home: Path, doc: dict, ids: list[str]) -> tuple[str | None, list[str], str | None, str]:
    """Where Annotate goes when its open post, an upload, was deleted in Explore: its neighbour
    in the queue (the one after it, else before it: the queue's first was a screen of another
    text), or, its split's last upload gone, the store's first split (returned, to switch to;
    None: the queue stays). Then the post to open (None: the queue's first) and the sentence
    that says so, in the post's words: it named a raw id ("The post uploads/user/71dc… was
    deleted")."""
    words = "".join(c.get("t", "") + c.get("gap", "") for c in doc.get("tokens") or []).strip()
    message = f"The upload “{markdown_literal(snippet(words))}” was deleted in Explore."
    kept = set(still_there(home, ids))
    gone = doc.get("post_id")
    at = ids.index(gone) if gone in ids else None
    after_then_before = ids if at is None else ids[at + 1:] + ids[:at][::-1]
    neighbour = next((i for i in after_then_before if i in kept), None)
    ids = [i for i in ids if i in kept]
    if ids:
        return None, ids, neighbour, message + " Here is the post next to it in the queue."
    first = next((d.label for d in dataset_splits(home)), None)
    if first is None:
        return None, [], None, message
    return first, [], None, message + f" Here is the first post of {first}."   # its queue comes with the switch


AGREEMENT_COLUMNS = ["dataset", "annotators", "posts", "span F1 (%)", "token kappa (1 = full, 0 = chance)",
                     "F1 per type (%)"]


def agreement_rows(home: Path, with_blind: bool = True) -> tuple[list[list], list[tuple[str, str]]]:
    """Span-level agreement per dataset where two or more annotators saved a post: all pairs
    pooled, then each pair of annotators on the posts both saved (the table mixed every pair
    with no name, so a low score could not be traced to whose). A split annotated blind has
    rows of its own ("demo/test (blind)"); `with_blind` False leaves its posts out (they show
    each annotator's labels, which its annotators must not see)."""
    with open_store(home) as store:
        by_post = label_store.labels_by_annotator(store)
        posts = {pid: get_post(store, pid) for pid in by_post}
        periods = blind_store.blind_periods(store)   # every split ever blind, opened since or not
        blind = blind_store.blind_splits(store)      # blind now
        apart = {pid: blind_store.labels_made_apart(store, pid, periods[(p.dataset, p.split)])
                 for pid, p in posts.items() if (p.dataset, p.split) in periods}
    per_dataset: dict[str, list] = {}
    for pid, by in by_post.items():
        p = posts[pid]
        key = (p.dataset, p.split)
        if key in periods:
            if not with_blind and key in blind:
                continue
            # labels made apart: those saved while the split was blind (walkers' saves from before
            # it, the second made over the first, were counted in its blind row; made blind a
            # second time, the saves of the first time were not counted at all), a lead's
            # settling save left out (it counted as a third annotator)
            if len(apart[pid]) >= 2:
                per_dataset.setdefault(f"{p.dataset}/{p.split} (blind)", []).append((pid, len(p.tokens), apart[pid]))
            # what was saved seeing each other's labels, with the rest of the dataset
            by = {a: ls for a, ls in by.items() if not blind_store.made_apart(periods[key], ls.created_at)}
            if len(by) < 2:
                continue
        per_dataset.setdefault(p.dataset, []).append((pid, len(p.tokens), {a: ls.spans for a, ls in by.items()}))
    rows, disagree = [], []
    per_type = lambda a: ", ".join(f"{t} {f:.1f}" for t, f in sorted(a.per_type_f1.items()))  # noqa: E731
    for ds, items in sorted(per_dataset.items()):
        a = agreement(items)
        names = sorted({name for _, _, by in items for name in by})
        if len(names) > 2:   # two annotators: their pair's row is the whole
            rows.append([ds, f"all {len(names)} annotators", a.posts, a.f1, a.kappa, per_type(a)])
        for i, x in enumerate(names):
            for y in names[i + 1:]:
                both = [(pid, n, {x: by[x], y: by[y]}) for pid, n, by in items if x in by and y in by]
                if both:
                    b = agreement(both)
                    rows.append([ds, f"{x} · {y}", b.posts, b.f1, b.kappa, per_type(b)])
        listed = {pid for _, pid in disagree}   # a post in its split's blind row and its dataset's row: once
        disagree += [(post_label(posts[pid], note=newest_said(home, pid)), pid) for pid in a.disagreements
                     if pid not in listed]
    # blind: one file imported once per annotator, each split corrected by its own; the posts
    # with the same words compared split against split (in one split the second annotator starts
    # from the first one's labels, which is not agreement of independent judgements)
    with open_store(home) as store:
        twins = label_store.twins_across_splits(store)
    blind_names = {f"{d}/{sp}" for d, sp in blind}
    for (x, y), items in sorted(twins.items()):
        if not with_blind and (x in blind_names or y in blind_names):   # a blind split's labels, named by whose
            continue
        b = agreement([(f"{i}", t.n_tokens, {x: t.spans[x], y: t.spans[y]}) for i, t in enumerate(items)])
        who = " · ".join(", ".join(sorted({t.authors[s] for t in items})) for s in (x, y))
        rows.append([f"{x} × {y} (blind)", who, b.posts, b.f1, b.kappa, per_type(b)])
    return rows, disagree


def newest_said(home: Path, post_id: str) -> str:
    """Whose labels a post of the disagreements has now: a lead's settling save is seen in the
    list (it listed the same posts after every one was settled, none marked)."""
    with open_store(home) as store:
        now = label_store.head(store, post_id, "mner")
        if now is None or now.source != "annotator" or not now.author:
            return ""
        post = get_post(store, post_id)
        if post is None or not blind_store.is_blind(store, post.dataset, post.split):
            return f" · now {now.author}'s (newest save)"
        # a blind split's: settled or not (a post reopened since its settling read as before)
        settled = not blind_store.is_unsettled(store, post_id)
    return f" · {'settled' if settled else 'not settled'}: now {now.author}'s (newest save)"


def split_is_blind(home: Path, dataset_split: str | None) -> bool:
    if not dataset_split:
        return False
    ds = DatasetSplit.parse(dataset_split)
    with open_store(home) as store:
        return blind_store.is_blind(store, ds.dataset, ds.split)


def set_split_blind(home: Path, dataset_split: str | None, on: bool, user: User) -> str:
    """Make the split blind, or open again (an admin's), in words of what that does."""
    require(user, Action.SET_BLIND)
    if not dataset_split:
        raise ValidationError("choose a dataset/split first")
    if on and user.name == LOCAL_USER:
        raise ValidationError("blind annotation needs people signed in (a users file, or a Space's sign-in): with "
                              "the one local user, the app cannot tell annotators apart")
    ds = DatasetSplit.parse(dataset_split)
    with open_store(home) as store:
        # opened with disagreements not settled: said (their current labels are whoever saved last)
        unsettled = len(blind_store.unsettled_posts(store, ds.dataset, ds.split)) if not on else 0
        changed = blind_store.set_blind(store, ds.dataset, ds.split, on, user.label)
    if on:
        return ((f"{dataset_split} is annotated blind now" if changed else f"{dataset_split} was annotated blind already")
                + ": in Annotate each signed-in annotator sees only their own labels of its posts (the imported "
                "ones until they save), and Explore shows them theirs; its error analysis is an admin's meanwhile. "
                "Agreement compares labels made apart (rows “" + dataset_split + " (blind)”). A post's current "
                "labels, which a round trains on, are its newest save: settle the disagreements before a round.")
    return ((f"{dataset_split} is open again" if changed else f"{dataset_split} was not blind")
            + ": everyone sees each post's current labels, its newest save."
            + (f" Agreement keeps what its annotators labelled apart while it was blind (rows “{dataset_split} "
               "(blind)”)." if changed else "")
            + (f" **{unsettled} post{'s' if unsettled != 1 else ''} its annotators saved differently "
               f"{'were' if unsettled != 1 else 'was'} not settled**: {'their' if unsettled != 1 else 'its'} current "
               "labels are whoever saved last (Posts they disagree on, after Measure agreement, lists them)."
               if changed and unsettled else ""))


def _annotators_labels(home: Path, post_id: str | None, user: User | None) -> tuple[Post | None, dict[str, LabelSet]]:
    """The post and each annotator's standing labels of it, where two or more saved it; refused
    where the user may not see them (of a post of a blind split, admins only)."""
    if not post_id:
        return None, {}
    with open_store(home) as store:
        by = label_store.labels_by_annotator(store, post_id=post_id).get(post_id, {})
        post = get_post(store, post_id)
        hidden = (post is not None and user is not None and not user.may(Action.SET_BLIND)
                  and blind_viewer(store, post.dataset, post.split, user) is not None)
    if hidden:
        raise ValidationError(f"{post.dataset}/{post.split} is annotated blind: each annotator's labels of its posts "
                              "are for admins")
    return post, by if post is not None else {}


@dataclass(frozen=True)
class AnnotatorsView:
    """The agreement panel's view of one post: what each annotator's labels say, and whose a
    lead may put in the editor (`take_labels`)."""

    said: str = ""
    to_take: tuple[str, ...] = ()


def annotators_view(home: Path, post_id: str | None, user: User | None) -> AnnotatorsView:
    """Read once per post opened (each open drew the panel from two reads of the labels)."""
    try:
        post, by = _annotators_labels(home, post_id, user)
    except ValidationError:
        return AnnotatorsView()   # not theirs to read, and not said: the panel stays empty
    if post is None or len(by) < 2:
        return AnnotatorsView()
    takes = user is not None and user.may(Action.SAVE_LABELS)
    return AnnotatorsView(_each_said(home, post, by), tuple(sorted(by)) if takes else ())


def annotators_said(home: Path, post_id: str | None, user: User | None = None) -> str:
    """Each annotator's standing labels of one post, in its words, the spans not all of them
    gave in bold: a disagreement opened showed only the current labels, so who said what had
    to be dug out of the history. Of a post of a blind split, to admins only."""
    return annotators_view(home, post_id, user).said


def annotators_to_take(home: Path, post_id: str | None, user: User) -> list[str]:
    """Whose labels of the post a lead may put in the editor to settle it (`take_labels`)."""
    return list(annotators_view(home, post_id, user).to_take)


def _each_said(home: Path, post: Post, by: dict[str, LabelSet]) -> str:
    with open_store(home) as store:
        settling = blind_store.settlers(store, post.id)   # a lead's settling save: no third opinion
    key = lambda s: (s.start, s.end, s.type)  # noqa: E731
    apart = [ls for a, ls in by.items() if a not in settling] or list(by.values())
    shared = set.intersection(*({key(s) for s in ls.spans} for ls in apart))

    def said(s) -> str:
        words = markdown_literal(" ".join(post.tokens[s.start:s.end]))
        return f"{words} ({s.type})" if key(s) in shared else f"**{words} ({s.type})**"

    lines = [f"- **{markdown_literal(a)}** (version {ls.version}{', settling' if a in settling else ''}): "
             + (", ".join(said(s) for s in sorted(ls.spans, key=key)) or "no entities")
             for a, ls in sorted(by.items())]
    head = ("in bold: what not all of them gave" if any(key(s) not in shared for ls in apart for s in ls.spans)
            else "they agree")
    return f"**What each annotator's labels of this post say** ({head})\n\n" + "\n".join(lines)


def take_labels(home: Path, doc: dict, annotator: str, user: User) -> tuple[dict, str]:
    """One annotator's labels of the post on show put in the editor, unsaved, for the user to
    check and save: in a blind split a lead's editor shows the lead's own labels, and settling
    a disagreement meant typing an annotator's version again by hand."""
    if not doc or not doc.get("post_id"):
        raise ValidationError("open a post first")
    if doc.get("conflict"):
        raise ValidationError("settle the conflict on show first")
    post, by = _annotators_labels(home, doc["post_id"], user)
    if annotator not in by:
        raise ValidationError(f"{annotator} has no labels of this post that still stand" if by else
                              "two annotators' labels of this post are needed first")
    theirs = by[annotator]
    spans = [span_dict(s) for s in theirs.spans]
    if _span_keys(spans) == _span_keys(doc.get("spans")):
        said = f"{annotator}'s labels are the ones on show already: Save to settle the post with them."
        return echoed(doc, rev=doc.get("rev", 0) + 1, reveal=True), said
    # what to do next is the editor's own note, which u replaces (on the status line it stayed,
    # saying "not saved" over labels u had taken back); the status line says what was done
    note = f"{annotator}'s labels, not saved: check them, change what needs it, and Save to settle the post."
    return (echoed(doc, spans=spans, rev=doc.get("rev", 0) + 1, took=annotator, clear_draft=True, reveal=True,
                   note=note),
            f"Put {annotator}'s labels (version {theirs.version}) in the editor; u goes back to what was on show.")


# -- layout and wiring -----------------------------------------------------------------------

def build_annotate_tab(home: Path, post_state: gr.State, policy: AccessPolicy, model_work: dict,
                       pair_state: gr.State | None = None, predictions: PredictBudget | None = None) -> dict:
    def charged(user: User):
        """A queue that reads a whole split's predictions: a viewer's share pays for it."""
        return viewer_charge(predictions, user, policy.someone_unlimited) if predictions is not None else None

    with gr.Tab("Annotate", id="annotate") as annotate_tab:
        with gr.Row(equal_height=False):
            ds = gr.Dropdown(label="Dataset/split", choices=[], elem_id="queue-dataset", scale=2)
            type_filter = gr.Dropdown(["any"], value="any", label="Entity type", elem_id="queue-type")
            order = gr.Dropdown([o.value for o in QueueOrder], value=QueueOrder.FILE.value, label="Order",
                                elem_id="queue-order")
            only_errors = gr.Checkbox(label="Student errors only", elem_id="queue-errors-only")
            not_corrected = gr.Checkbox(label="Not yet corrected", elem_id="queue-not-corrected")
            # shown only while a queue that reads the student's predictions is being made
            stop = gr.Button("Stop predicting", size="sm", elem_id="queue-stop", scale=0, min_width=90,
                             visible=False)
            author = gr.Textbox(label="Annotator", placeholder="your name", elem_id="annotator")
        with gr.Row(equal_height=False):
            search = gr.Textbox(label="Find a post by its text (every dataset)", elem_id="post-search", scale=3)
            found = gr.Dropdown(label="Matches", choices=[], elem_id="post-found", scale=3)
            # shown while a post opened elsewhere has moved the queue off the split one worked in
            back = gr.Button(visible=False, size="sm", elem_id="queue-back", scale=1, min_width=200)
        back_state = gr.State(None)   # the QueuePlace that `back` returns to
        queue_state = gr.State([])
        # the filters that made the queue in queue_state: Stay, asked before another queue is
        # opened over unsaved edits, puts them back (the split box named the queue not opened)
        queue_made = gr.JSON(None, visible=False, elem_id="queue-made")   # not a State: the browser keeps it
        remembered_split = gr.Textbox(visible=False, elem_id="remembered-split")   # the page load reads it
        remembered_post = gr.Textbox(visible=False, elem_id="remembered-post")     # and fills this one
        remembered_filters = gr.Textbox(visible=False, elem_id="remembered-filters")   # and this one
        # the address's post and how the page was opened, read as the first queue is asked for
        link, link_how = gr.Textbox(visible=False), gr.Textbox(visible=False)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                # above the editor, beside its bar: what Save, Undo or Next answered is read where
                # the button is (below a long post it was out of sight, on a phone most of all)
                status = gr.Markdown(elem_id="annotate-status")
                # the page load opens a post (the first model load can take seconds): said so, not
                # "choose a dataset/split" beside a split already chosen
                editor = SpanEditor(value={"empty": OPENING}, elem_id="span-editor")
            with gr.Column(scale=2, min_width=280):
                image = gr.Image(label="Post image", interactive=False, height=220, elem_id="annotate-image",
                                 visible=False)
                caption = gr.Markdown(elem_id="annotate-caption")
                with gr.Accordion("The teacher's chain of thought", open=False):
                    cot = gr.Markdown(elem_id="annotate-cot")
        with gr.Accordion("History of this post (spans and relations, newest first)", open=False):
            history = gr.Dataframe(headers=HISTORY_COLUMNS, interactive=False, elem_id="annotate-history", wrap=True,
                                   column_widths=["7%", "18%", "6%", "10%", "13%", "22%", "24%"])
        with gr.Accordion("Annotator agreement", open=False):
            gr.Markdown("Each pair of annotators is compared on the posts both saved; in one split the second "
                        "starts from the first one's labels, unless the split is annotated **blind** (below: each "
                        "signed-in annotator sees only their own labels, and its rows say *blind*). Or import the file "
                        "once per annotator, as splits of their own (`--split alice`, `--split bob`): the posts with "
                        "the same words, corrected in both, are compared split against split.",
                        elem_id="agreement-how")
            blind_box = gr.Checkbox(label="Blind annotation of the split in the Dataset/split box", elem_id="blind-split",
                                    info="an admin's choice; each signed-in annotator then sees only their own labels")
            blind_note = gr.Markdown(elem_id="blind-note")
            agree_btn = gr.Button("Measure agreement", elem_id="agreement-btn")
            agree = gr.Dataframe(headers=AGREEMENT_COLUMNS, interactive=False, elem_id="agreement-table")
            agree_note = gr.Markdown(elem_id="agreement-note")   # under the table, where its answer is looked for
            disagreed = gr.Dropdown(label="Posts they disagree on (opens it)", choices=[], elem_id="agreement-posts")
            who_said = gr.Markdown(elem_id="agreement-said")
            # a lead settles a disagreement from one annotator's version (in a blind split the
            # lead's editor shows the lead's own labels: the version on screen had to be typed again)
            take = gr.Dropdown(label="Put one annotator's labels of the post on show in the editor", choices=[],
                               elem_id="agreement-take", visible=False,
                               info="unsaved: check them, then Save to settle the post with them")

        # status last: many answers skip all but the editor and the status line
        post_outs = [editor, image, caption, cot, history, who_said, take, status]
        # a split's predictions under way: one bar, over the editor (Gradio drew one over every
        # output, six copies of "1024/3372 posts predicted" squeezed over the filters)
        work = {**model_work, "show_progress_on": [editor]}
        # what opening a post elsewhere may change besides the editor: its split's queue
        queue_outs = [ds, queue_state, type_filter, only_errors, not_corrected, order, queue_made, back_state, back]
        n_queue = len(queue_outs)

        def keep_queue() -> list:
            return [gr.skip()] * n_queue

        def show(doc: EditorDoc, message: str = "", *, user: User) -> list:
            img, cap, thought = context(home, doc.post_id)
            return [doc.to_value(), gr.update(value=img, visible=bool(img)), cap, thought,
                    history_rows(home, doc.post_id, doc.blind_of), *annotators_of(doc.post_id, user), message]

        def annotators_of(post_id: str | None, user: User) -> list:
            """The agreement panel's view of the post on show: what each annotator's labels say,
            and whose a lead may put in the editor (it showed the disagreement picked last)."""
            view = annotators_view(home, post_id, user)
            # on show where there is someone's to take (an annotator of a blind split read an empty,
            # greyed box under a panel that is not theirs)
            return [view.said, gr.update(choices=list(view.to_take), value=None, visible=bool(view.to_take))]

        def types_update(d: str, current: str = "any", keep: bool = False):
            """The type filter's choices for split `d` (its entity types; on a relation split,
            its relations); the type picked stays where `d` has it (the queue the split box
            asked for was made with it)."""
            types, relations = filter_choices(home, d) if d else ([], False)
            label = "Relation" if relations else "Entity type"
            if keep and (current == "any" or current in types):
                # the split box's change: the value left as it is, since this answer can read it
                # before the page load's own update lands (a type put back from the browser's
                # storage went back to "any")
                return gr.update(choices=["any"] + types, label=label)
            return gr.update(choices=["any"] + types, value=current if current in types else "any", label=label)

        def load_queue(d, t, e, c, o, doc, made, progress=gr.Progress(), user=None):
            begin_work()   # first: the Stop put on show for it is this event's (stop_while_predicting)
            if made and [d, t, e, c, o] == list(made):
                # the filters of the queue on show: a dropdown left by Tab, its value unchanged,
                # sent its input event, and the queue was made again from its first post (a
                # keyboard user passing the filter bar was thrown back there, and saved there)
                return [gr.skip()] * (2 + len(filters) + len(post_outs))
            user_opened()
            try:
                ids = queue(home, d, t, e, c, o, ProgressReporter(progress), charged(user),
                            seen_by=queue_viewer(home, d, user))
            except Stopped as stopped:
                # the queue on show stays, and so must the boxes that say how it was made: "student
                # uncertainty" stayed in the Order box over a queue in file order
                if made:
                    d0, t0, e0, c0, o0 = made
                    # where that leaves one, and how to go on (the split box went back without a word)
                    stays = "the queue on show stays as it was" if d0 == d else f"the queue on show stays, of {d0}"
                    again = f"pick {d} again" if d0 != d else "set the filters again"
                    return ([gr.skip(), gr.skip(), gr.update(value=d0), types_update(d0, t0), e0, c0, o0]
                            + [gr.skip()] * (len(post_outs) - 1)
                            + [f"{not_done(stopped)}; {stays}. To go on from there, {again}."])
                raise
            if not ids:
                return ([ids, [d, t, e, c, o]] + [gr.skip()] * (len(filters) + len(post_outs) - 1)
                        + ["No post matches these filters."])
            here = (doc or {}).get("post_id")
            # only the order changed: its first post is why one orders (a walker was left on the
            # post on show, at 2269 of 3373, and Next went on to posts the student is surer of)
            reordered = bool(made) and list(made)[:4] == [d, t, e, c] and made[4] != o and o != QueueOrder.FILE
            basis = order_basis(home, QueueFilters(d, t, e, c, o))
            if reordered and here in ids and ids[0] != here and not _has_unsaved(doc):
                return ([ids, [d, t, e, c, o]] + [gr.skip()] * len(filters)
                        + show(editor_doc(home, ids[0], user, ids),
                               f"{basis} This is its first post; the one you were on is "
                               f"{ids.index(here) + 1} of {len(ids)} now.", user=user))
            if here in ids:
                # the post on show is in the new queue too: it stays open, unsaved edits and all,
                # at its place in it (unticking a filter threw a walker back to the queue's first post);
                # a line about the queue before goes ("… 176 of 723 now" stayed over a queue of 696)
                return ([ids, [d, t, e, c, o]] + [gr.skip()] * len(filters)
                        + [echoed(doc, pos={**(doc.get("pos") or {}), "index": ids.index(here), "total": len(ids)})]
                        + [gr.skip()] * (len(post_outs) - 2) + [basis])
            if _has_unsaved(doc):
                # the open post has unsaved edits: asked first, the queue not yet changed. Leaving
                # makes it again (`requeue`); Stay puts the filters back (`stay`; see navigate)
                # (echoed: a Save's clear_draft sent back dropped the draft of these very edits)
                return [gr.skip(), gr.skip()] + [gr.skip()] * len(filters) + [echoed(doc, pending_open={
                    "post_id": ids[0], "label": f"the new queue of {d} (these filters)", "requeue": True})] + \
                    [gr.skip()] * (len(post_outs) - 1)
            # the post on show left out by the new filters: said why (ticking "Not yet corrected" on
            # a post just corrected jumped to the queue's first post without a word)
            with open_store(home) as store:
                on_show = get_post(store, here) if here else None
            why = (left_out_because(home, QueueFilters(d, t, e, c, o), here, queue_viewer(home, d, user))
                   if on_show is not None and f"{on_show.dataset}/{on_show.split}" == d else "")
            gone = f"The post you were on is not in this queue: {why}. This is its first post." if why else ""
            return ([ids, [d, t, e, c, o]] + [gr.skip()] * len(filters)
                    + show(editor_doc(home, ids[0], user, ids), " ".join(x for x in (gone, basis) if x), user=user))

        def navigate(doc, ids, author_name, dataset_split, t, e, c, o, made, place, evt: gr.EventData, user):
            user_opened()
            data = evt._data or {}
            if data.get("stay"):   # another queue was asked for, and the user stays: its filters go back
                if not made:
                    return keep_queue() + [gr.skip()] * len(post_outs)
                d0, t0, e0, c0, o0 = made
                return ([gr.update(value=d0), gr.skip(), types_update(d0, t0), e0, c0, o0, gr.skip(), gr.skip(), gr.skip()]
                        + [gr.skip()] * len(post_outs))
            if data.get("requeue") and dataset_split:   # leaving for the queue asked for: made now
                ids = queue(home, dataset_split, t, e, c, o, charge=charged(user),
                            seen_by=queue_viewer(home, dataset_split, user))
                if not ids:
                    raise ValidationError("no post matches these filters")
            elif not ids and dataset_split:  # the page's first queue may still be loading: count it here
                ids = queue(home, dataset_split)
            message = ""
            if data.get("then") == "save" and _is_dirty(doc):
                saved, message = save_doc(home, doc, _author(home, author_name, user), user, ids)
                if saved.conflict:  # stay here: the conflict is to be resolved first
                    return keep_queue() + show(saved, message, user=user)
                # said above the next post: "Saved version 1073: your own labels of this post"
                # read as of the post now on show
                message = f"{left_post_said(doc)} {message}"
            target = data.get("post_id")
            if target:
                with open_store(home) as store:
                    gone = get_post(store, target) is None
                if gone:  # a draft left on a post deleted since
                    raise ValidationError(f"{target} no longer exists (it was deleted), so its unsaved edits cannot "
                                          "be saved; \"forget\" beside it in the list drops them")
            switch = keep_queue()
            if data.get("back") and isinstance(place, QueuePlace):   # the way back, asked for over unsaved edits
                switch, ids = back_to(place)
                target = place.post_id
            elif data.get("requeue"):
                target = ids[0]
                switch = [gr.skip(), ids, gr.skip(), gr.skip(), gr.skip(), gr.skip(), [dataset_split, t, e, c, o],
                          gr.skip(), gr.skip()]
            elif target:   # a draft's post, or one asked for elsewhere: its own split's queue comes with it
                followed = follow_post(target, ids, boxes_of(dataset_split, t, e, c, o), user,
                                       left_from(doc, ids, made, place))
                switch, ids = followed.outs, followed.ids
                message = " ".join(x for x in (message, followed.said) if x)
            else:
                if not ids:
                    raise ValidationError("pick a dataset/split first")
                here, delta = doc.get("post_id"), int(data.get("delta", 1))
                if here in ids:
                    target = ids[max(0, min(len(ids) - 1, ids.index(here) + delta))]
                else:   # a post the queue leaves out: its neighbour in the queue, that way (else its first)
                    target = (beside_in_queue(home, ids, here, made[4], delta) if here and made else None) or ids[0]
            # a draft of the post opened stays: it comes back (the post was left by a reload, say)
            return switch + show(editor_doc(home, target, user, ids, rev=doc.get("rev", 0) + 1), message, user=user)

        def do_save(doc, ids, author_name, user):
            return show(*save_doc(home, doc, _author(home, author_name, user), user, ids), user=user)

        def do_undo(doc, ids, author_name, evt: gr.EventData, user):
            change = (evt._data or {}).get("version")   # the Undo beside a relation just saved
            return show(*step_history(home, doc, False, _author(home, author_name, user), user, ids,
                                      change if isinstance(change, int) else None), user=user)

        def do_redo(doc, ids, author_name, user):
            return show(*step_history(home, doc, True, _author(home, author_name, user), user, ids), user=user)

        def do_relation(doc, ids, author_name, evt: gr.EventData, user):
            data = evt._data or {}
            out = show(*save_relation(home, doc, data.get("index"), data.get("label"), _author(home, author_name, user),
                                      user, ids), user=user)
            return [{**out[0], "answers": doc.get("req")}, *out[1:]]   # the request it answers (see `said`)

        def do_resolve(doc, ids, author_name, evt: gr.EventData, user):
            data = evt._data or {}
            return show(*resolve_conflict(home, doc, data.get("choice"), data.get("spans") or [],
                                          _author(home, author_name, user), user, ids), user=user)

        def open_elsewhere(pid, doc, ids, d, t, e, c, o, made, place, remembered, user):
            return open_post(pid, doc, ids, boxes_of(d, t, e, c, o), made, place, user, None, remembered)

        def open_focused(pid, focus, doc, ids, d, t, e, c, o, made, place, remembered, user):
            return open_post(pid, doc, ids, boxes_of(d, t, e, c, o), made, place, user, focus, remembered)

        def boxes_of(d, t, e, c, o) -> QueueFilters | None:
            """The filter boxes as on show (None before the page load set the split box)."""
            return QueueFilters(d, t or "any", bool(e), bool(c), o or QueueOrder.FILE.value) if d else None

        def open_post(pid, doc, ids, boxes: QueueFilters | None, made, place, user, focus, remembered=None):
            """A post picked in Explore, an error row or a search: opened here, and the queue
            becomes its dataset/split's (so Next goes on through it; an upload's too),
            unless the open post has unsaved edits, in which case the editor asks first. `focus`:
            the entity pair a relation error row is about, shown first. The way back is to a
            queue the user chose, or this browser's own (`remembered`), not to the one the page
            load made for a first visit (a link's first visitor was offered "Back to junk3/valid")."""
            if not pid:
                return keep_queue() + [gr.skip()] * len(post_outs)
            chosen = not first_open_stands() or bool((remembered or "").strip())
            user_opened()
            if _has_unsaved(doc) and doc.get("post_id") == pid and not focus:
                # opened already (a link's post, by the page load's first queue), and edited since:
                # it stays as it is (it asked whether to leave the post for itself)
                return keep_queue() + [gr.skip()] * len(post_outs)
            if _has_unsaved(doc):
                # asked in the post's words ("Save them before you open demo/test/16_05_01_360?")
                with open_store(home) as store:
                    asked = get_post(store, pid)
                label = f"the post “{snippet(asked.text, 50)}”" if asked is not None else pid
                return keep_queue() + [echoed(doc, pending_open={"post_id": pid, "label": label})] + \
                    [gr.skip()] * (len(post_outs) - 1)
            followed = follow_post(pid, ids, boxes, user, left_from(doc, ids, made, place) if chosen else None)
            mine = bool(focus) and focus.get("post_id") == pid
            said_now = " ".join(x for x in (not_queued_said(pid, followed.ids, followed.made or made, user),
                                            followed.said) if x)
            return followed.outs + show(editor_doc(home, pid, user, followed.ids, rev=(doc or {}).get("rev", 0) + 1,
                                                   focus_pair=focus["pair"] if mine else None, reveal=True,
                                                   focus_error=focus.get("span") if mine else None), said_now, user=user)

        def not_queued_said(pid: str | None, ids: list[str], made, user: User, opened: str = "This post") -> str:
            """Why a post of the queue's own split opened outside the queue (a link, a search, a
            reload after it was corrected), and where Next goes from it ("" where it is in the
            queue, or of another split): it read "not in the queue", with no reason."""
            if not pid or not ids or pid in ids or not made:
                return ""
            filters = QueueFilters(*made)
            with open_store(home) as store:
                post = get_post(store, pid)
            if post is None or f"{post.dataset}/{post.split}" != filters.dataset_split:
                return ""
            why = left_out_because(home, filters, pid, queue_viewer(home, filters.dataset_split, user))
            goes = ("Next goes on to the queue's next post after it" if beside_in_queue(home, ids, pid, filters.order)
                    else "Next opens the queue's first post")
            return f"{opened} is not in the queue on show{': ' + why if why else ''}. {goes}."

        def left_from(doc, ids, made, place) -> QueuePlace | None:
            """The place a post opened elsewhere leaves, to come back to: the post on show in the
            queue on show. Already away from one's place (`place` is of another split than the
            queue on show), that first place stays the way back: an Errors row opened after an
            Explore upload still leads back to the split one worked in, not to the uploads."""
            if isinstance(place, QueuePlace) and made and place.dataset_split != made[0]:
                return place
            here = (doc or {}).get("post_id")
            if not here or not made or not ids:
                return None
            return QueuePlace(tuple(made), tuple(ids), here)

        def follow_post(pid: str, ids: list[str], boxes: QueueFilters | None, user: User,
                        left: QueuePlace | None = None) -> Followed:
            """The queue a post opens in: its own dataset/split's, so that Next goes on through it
            (a filtered queue of its own split that does not hold it stays, and the post reads
            "not in the queue"; an upload's split is queued again, as it grows). An upload's too: it kept the queue, and the split box, the
            position ("not in the queue") and the progress line (its uploads) told three
            stories. Another split's queue is that whole split in file order, and the filters say
            so (they kept showing "errors only" or an order the new queue did not follow); the
            dataset's change resets the type filter. `boxes`: the filter boxes as on show."""
            dataset_split = boxes.dataset_split if boxes else None
            with open_store(home) as store:
                post = get_post(store, pid)
            own = f"{post.dataset}/{post.split}" if post else None
            # the uploads grow while the page is open (each analysis in Explore stores one): a
            # queue of them made before lacks the newest, which read "not in the queue"
            not_queued = post is not None and post.dataset == UPLOAD_DATASET and pid not in (ids or [])
            if own and (own != dataset_split or not_queued):
                # another split's: the way back to `left` is offered (its own split: none needed)
                outs, ids = switch_queue(own, left if left and left.dataset_split != own else None)
                return Followed(outs, ids, outs[6])
            if not ids and boxes:
                # the page's first queue still on its way (a link opened as the page loads): the
                # queue it makes, from the filters it put back, is made here (it made the whole
                # split, in file order, and this browser's filters were unticked and forgotten)
                kept = queue_as_kept(boxes, user)
                return Followed([gr.skip(), kept.ids, gr.skip(), *kept.boxes[:1], gr.skip(), kept.boxes[1], kept.made,
                                 gr.skip(), gr.skip()], kept.ids, kept.filters.made, kept.said)
            # the page load has not even set the split box: the queue it will show, counted here
            first = dataset_split or next((d.label for d in dataset_splits(home)), None)
            if not ids and first:
                ids = queue(home, first)
                # kept: the page load's late first queue leaves it be
                return Followed([gr.skip(), ids, gr.skip(), gr.skip(), gr.skip(), gr.skip(), QueueFilters(first).made,
                                 gr.skip(), gr.skip()], ids, QueueFilters(first).made)
            return Followed(keep_queue(), ids)

        def switch_queue(dataset_split: str, left: QueuePlace | None = None) -> tuple[list, list[str]]:
            """`queue_outs` for the whole of `dataset_split` in file order, and that queue. The
            split box's choices are the store's now: an upload's split may be new since the page
            loaded, or gone (its last upload deleted). `left`: the place left for it, offered as
            the way back; without one, the way back stays as it is."""
            ids = queue(home, dataset_split)
            ds_box, *boxes = whole_boxes(dataset_split)
            way_back = [left, gr.update(value=left.label(), visible=True)] if left else [gr.skip(), gr.skip()]
            return [ds_box, ids, *boxes, QueueFilters(dataset_split).made, *way_back], ids

        def whole_boxes(dataset_split: str) -> list:
            """The filter boxes (`filters`) set to the whole of `dataset_split` in file order; the
            split box's choices are the store's now."""
            labels = [d.label for d in dataset_splits(home)]
            whole = QueueFilters(dataset_split)
            return [gr.update(value=dataset_split, choices=labels), types_update(dataset_split), whole.only_errors,
                    whole.not_corrected, whole.order]

        def back_to(place: QueuePlace) -> tuple[list, list[str]]:
            """`queue_outs` for the queue `place` was in, as it was made (its filters in their
            boxes, its posts as they were, less any deleted since), and that queue; the way back
            is spent."""
            d, t, e, c, o = place.made
            ids = still_there(home, place.ids)
            if place.post_id not in ids:
                raise ValidationError(f"the post you were on in {d} no longer exists (it was deleted)")
            labels = [x.label for x in dataset_splits(home)]
            return [gr.update(value=d, choices=labels), ids, types_update(d, t), e, c, o, list(place.made),
                    None, gr.update(visible=False)], ids

        def go_back(place, doc, user):
            """The way back to the place a post opened elsewhere left (asked first over unsaved
            edits). The post handed over from elsewhere is let go (`post_state`, the first
            output): the same post shown in Explore again opens here again (no change, no event)."""
            if not isinstance(place, QueuePlace):
                return [gr.skip()] + keep_queue() + [gr.skip()] * len(post_outs)
            user_opened()
            if _has_unsaved(doc):
                return [gr.skip()] + keep_queue() + [echoed(doc, pending_open={
                    "post_id": place.post_id, "back": True, "label": f"your place in {place.dataset_split}"})] + \
                    [gr.skip()] * (len(post_outs) - 1)
            switch, ids = back_to(place)
            return [None] + switch + show(editor_doc(home, place.post_id, user, ids, rev=(doc or {}).get("rev", 0) + 1,
                                                     reveal=True), user=user)

        def show_pair(focus, doc, ids, d, t, e, c, o, made, place, remembered, user):
            """An error row picked again. Of the post already open: its pair comes on show (the
            editor keeps its unsaved spans as its draft). Of the post Errors had picked before
            while the editor has moved on (`reopen`: no post change event comes): that post
            opens again. Otherwise the post change opens it (open_focused)."""
            skip = keep_queue() + [gr.skip()] * len(post_outs)
            if not focus or not doc or doc.get("pending_open"):
                return skip
            if doc.get("post_id") != focus.get("post_id"):
                return (open_post(focus["post_id"], doc, ids, boxes_of(d, t, e, c, o), made, place, user, focus,
                                  remembered)
                        if focus.get("reopen") else skip)
            error = error_focus_of(focus.get("span"), len(doc.get("tokens") or []), *scored_labels(home, doc["post_id"], user))
            if focus.get("pair") is None and error is None:
                return skip
            return keep_queue() + [echoed(doc, focus_pair=focus["pair"], rev=doc.get("rev", 0) + 1,
                                          focus_error=asdict(error) if error else None)] + [gr.skip()] * (len(post_outs) - 1)

        def do_search(q, user):
            matches = find_posts(home, q)
            return gr.update(choices=matches, value=None), found_said(q, matches) if q.strip() else ""

        def do_agreement(user):
            sees_blind = user.may(Action.SET_BLIND) or user.name == LOCAL_USER
            rows, posts = agreement_rows(home, with_blind=sees_blind)
            with open_store(home) as store:
                blind = blind_store.blind_splits(store) if not sees_blind else set()
            # where blind splits are left out, "no post has been saved by two" was false of them
            elsewhere = " outside the splits annotated blind" if blind else ""
            note = "" if rows else (f"No post{elsewhere} has been saved by two or more annotators yet, and no post "
                                    "imported into two splits is corrected in both.")
            if blind:
                note += (" The posts of splits annotated blind (" + ", ".join(f"{d}/{sp}" for d, sp in sorted(blind))
                         + ") are left out: their agreement shows each annotator's labels, and is for admins "
                         "while the split is blind.")
            # said under the table, where the answer is looked for (in the status line above the
            # editor it was a screen away from the empty table); the status line's last answer goes
            return rows, gr.update(choices=posts, value=None), note.strip(), ""

        def toggle_blind(d, on, user):
            """The split in the box made blind, or open again; its current state back where refused."""
            try:
                said = set_split_blind(home, d, bool(on), user)
            except CotExplorerError as e:
                return split_is_blind(home, d), not_done(e)
            return bool(on), said

        def said(fn, n_outputs: int, editor_at: int | None = None, names_request: bool = False,
                 navigates: bool = False):
            """A refusal goes to the status line (the last output); the editor keeps what it
            shows. An editor's own request (`editor_at`: where the editor is among the outputs,
            its document the first input) is answered too, marked `refused`: a save left
            waiting for an answer held the next save back for seconds. A relation change's
            answer names its request (`answers`: the `req` its document carried), so that the
            editor tells it from other answers: answers come back in any order. A refused Next
            or Previous says so (`navigates`): the editor's keys wait for the post asked for
            until an answer, and a refusal is the answer (Next did nothing for 15 s after a
            draft's post was found deleted)."""
            def answer_editor(out: list, args: tuple, e: CotExplorerError) -> None:
                doc = args[0] if args else None
                if isinstance(doc, dict) and doc.get("post_id"):
                    # `name_needed`: a relation picked with no name typed is kept, and saved
                    # once one is (the walker had to find the pair and pick again)
                    out[editor_at] = {**doc, "refused": True, "name_needed": isinstance(e, NameNeeded),
                                      "rev": doc.get("rev", 0) + 1,
                                      "answers": doc.get("req") if names_request else None,
                                      "refused_navigate": navigates}
                    if isinstance(e, PairChangedMeanwhile) and e.pairs_now is not None:   # theirs on show
                        out[editor_at].update(pairs_now=e.pairs_now, relation_version_now=e.relation_version_now)
                    if names_request and isinstance(e, NameNeeded):   # kept, not refused ("Not done" read as lost)
                        out[-1] = f"**Kept, not saved yet:** {e}; it is saved as soon as you do."
            return refusal_said(n_outputs, answer_editor if editor_at is not None else None)(fn)

        n = len(post_outs)
        filters = [ds, type_filter, only_errors, not_corrected, order]
        load_queue, navigate, do_save, do_undo, do_redo, do_relation, do_resolve, open_elsewhere, open_focused = (
            said(load_queue, n + 2 + len(filters)), said(navigate, n + n_queue, n_queue, navigates=True), said(do_save, n, 0), said(do_undo, n, 0),
            said(do_redo, n, 0), said(do_relation, n, 0, names_request=True), said(do_resolve, n, 0), said(open_elsewhere, n + n_queue),
            said(open_focused, n + n_queue))
        go_back = said(go_back, n + n_queue + 1)

        # the queue the filter boxes ask for (asked first over unsaved edits)
        queue_event = dict(fn=guarded(policy, Action.EXPLORE, load_queue), inputs=filters + [editor, queue_made],
                           outputs=[queue_state, queue_made] + filters + post_outs, api_visibility="private", **work)
        for f in filters:  # what the user changes; the page load fills the first queue itself (first_queue)
            f.input(stop_while_predicting, [only_errors, order], [stop], queue=False, api_visibility="private").then(
                **queue_event).then(
                lambda: gr.update(visible=False), None, [stop], queue=False, api_visibility="private")

        def refresh(doc, ids, user):
            """The open post again with what changed elsewhere (the teacher was asked in
            Explore, or the post, an upload, was deleted there); a post with unsaved edits or a
            conflict is left as it is."""
            pruned = still_there(home, ids or [])
            # a post deleted elsewhere leaves the queue, whichever post is open: the queue kept
            # it, counted "1 / 4" beside "3 posts", and Next stopped at it ("no post …")
            leave = ([gr.skip(), pruned] + [gr.skip()] * (n_queue - 2)) if len(pruned) != len(ids or []) else keep_queue()
            if not doc or not doc.get("post_id") or _is_dirty(doc) or doc.get("conflict"):
                return leave + [gr.skip()] * len(post_outs)
            with open_store(home) as store:
                gone = get_post(store, doc["post_id"]) is None
            if not gone:
                return leave + show(editor_doc(home, doc["post_id"], user, pruned, rev=doc.get("rev", 0) + 1,
                                               refresh_of=doc["post_id"]), user=user)
            split, ids, target, message = left_after_deletion(home, doc, ids or [])
            switch = leave
            if split:
                switch, ids = switch_queue(split)
            if not ids:
                return switch + [gr.skip()] * (len(post_outs) - 1) + [message]
            return switch + show(editor_doc(home, target or ids[0], user, ids, rev=doc.get("rev", 0) + 1,
                                            refresh_of=doc["post_id"]), message, user=user)

        refresh_event = dict(fn=guarded(policy, Action.EXPLORE, said(refresh, n_queue + n), quiet=True),
                             inputs=[editor, queue_state], outputs=queue_outs + post_outs, api_visibility="private",
                             **work)
        stop.click(stop_work, None, [status], queue=False, api_visibility="private")
        def changed_since_drawn(doc, ids, user):
            """A new mark where the post on show changed since it was drawn (a save, an undo, a
            relation, or it was deleted), which draws it again (`refresh`); else nothing. An event
            with the editor among its outputs, even one that changed nothing, redrew it: the word
            an error opened from Errors had the keyboard on lost it, and tests measuring the
            editor's words on a phone found them gone (CI)."""
            if not doc or not doc.get("post_id") or _is_dirty(doc) or doc.get("conflict"):
                return gr.skip()
            now = drawn_versions_now(home, doc["post_id"], user)
            if now is not None and now == (doc.get("base_version"), doc.get("relation_version")):
                return gr.skip()
            return time.time()   # changed, or deleted: `refresh` moves on

        # the tab opened again: the post on show as it is now, where it changed (a colleague's
        # save was found only by the conflict at Save, and the progress line was the page load's)
        changed_mark = gr.Number(visible=False, elem_id="annotate-changed")
        annotate_tab.select(guarded(policy, Action.EXPLORE, changed_since_drawn, quiet=True), [editor, queue_state],
                            [changed_mark], api_visibility="private", show_progress="hidden")
        changed_mark.change(**refresh_event)
        # the split's state for everyone; the box changed only by who may (an annotator's click was refused)
        # and the note under it goes (a refusal of another split stayed under this one's box)
        ds.change(guarded(policy, Action.EXPLORE, lambda d, user: [gr.update(
            value=split_is_blind(home, d), interactive=user.may(Action.SET_BLIND) or user.name == LOCAL_USER), ""],
            quiet=True), [ds], [blind_box, blind_note],
                  api_visibility="private", show_progress="hidden")
        # the open post drawn again as the split now shows it (its own labels, or everyone's)
        blind_box.input(guarded(policy, Action.EXPLORE, toggle_blind), [ds, blind_box], [blind_box, blind_note],
                        api_visibility="private").then(**refresh_event)
        ds.change(guarded(policy, Action.EXPLORE, lambda d, t, user: types_update(d, t, keep=True)), [ds, type_filter], [type_filter],
                  api_visibility="private")
        common = [editor, queue_state, author]
        opened_outs = queue_outs + post_outs
        # what opening a post elsewhere reads
        where = [editor, queue_state, *filters, queue_made, back_state, remembered_split]
        editor.navigate(guarded(policy, Action.EXPLORE, navigate),
                        common + [ds, type_filter, only_errors, not_corrected, order, queue_made, back_state], opened_outs,
                        api_visibility="private",
                        **work)
        editor.save(guarded(policy, Action.SAVE_LABELS, do_save), common, post_outs, api_visibility="private")
        editor.undo(guarded(policy, Action.SAVE_LABELS, do_undo), common, post_outs, api_visibility="private")
        editor.redo(guarded(policy, Action.SAVE_LABELS, do_redo), common, post_outs, api_visibility="private")
        # "multiple": a pick sent after an answer took over 10 s is not dropped while that one is pending
        editor.relation(guarded(policy, Action.SAVE_LABELS, do_relation), common, post_outs, api_visibility="private",
                        trigger_mode="multiple")
        editor.resolve(guarded(policy, Action.SAVE_LABELS, do_resolve), common, post_outs, api_visibility="private")
        if pair_state is None:
            post_state.change(guarded(policy, Action.EXPLORE, open_elsewhere), [post_state, *where],
                              opened_outs, api_visibility="private", **work)
        else:
            post_state.change(guarded(policy, Action.EXPLORE, open_focused),
                              [post_state, pair_state, *where], opened_outs, api_visibility="private",
                              **work)
            pair_state.change(guarded(policy, Action.EXPLORE, said(show_pair, n + n_queue)),
                              [pair_state, *where], opened_outs, api_visibility="private",
                              **work)
        found.change(guarded(policy, Action.EXPLORE, open_elsewhere), [found, *where], opened_outs,
                     api_visibility="private", **work)
        disagreed.change(guarded(policy, Action.EXPLORE, open_elsewhere), [disagreed, *where],
                         opened_outs, api_visibility="private", **work)
        back.click(guarded(policy, Action.EXPLORE, go_back), [back_state, editor], [post_state] + opened_outs,
                   api_visibility="private", **work)
        # back in that split by the split box: the way back is not needed (it stays kept: the
        # filters or the post may differ, and another post opened elsewhere offers it again)
        ds.change(lambda d, place: gr.update(visible=isinstance(place, QueuePlace) and place.dataset_split != d),
                  [ds, back_state], [back], queue=False, api_visibility="private")

        def do_take(annotator: str | None, doc: dict, user: User) -> list:
            if not annotator:   # the box emptied by the post opened
                return [gr.skip()] * len(post_outs)
            value, said_now = take_labels(home, doc, annotator, user)
            return [value] + [gr.skip()] * (len(post_outs) - 3) + [gr.update(value=None), said_now]

        take.input(guarded(policy, Action.SAVE_LABELS, said(do_take, n)), [take, editor], post_outs,
                   api_visibility="private")
        search.submit(guarded(policy, Action.EXPLORE, do_search), [search], [found, status], api_visibility="private")
        agree_btn.click(guarded(policy, Action.EXPLORE, do_agreement), None, [agree, disagreed, agree_note, status],
                        api_visibility="private")
    def filters_on_load(dataset_split: str | None, stored: str | None) -> list:
        """The filter boxes as this browser left them on `dataset_split` (set by the page load,
        before its first queue reads them), else as they are."""
        if not stored or not dataset_split:   # nothing kept: no read of the dataset on the page load
            return [gr.skip()] * 4
        types, relations = filter_choices(home, dataset_split)
        kept = QueueFilters.remembered(stored, dataset_split, types)
        if kept is None:
            return [gr.skip()] * 4
        return [gr.update(choices=["any"] + types, value=kept.type_filter, label="Relation" if relations else "Entity type"),
                kept.only_errors, kept.not_corrected, kept.order]

    def queue_as_kept(kept: QueueFilters, user: User) -> KeptQueue:
        """The queue of the filters this browser kept, as a page load makes it again: without the
        filters that read the student's answers where it has not read the posts yet (made again
        here, it would predict the rest of the split with no Stop on show: a Stop part-way left
        the boxes ticked, and the reload went on). A queue opened without them is not kept in
        place of what the browser kept (`made` None: queue_made's change is what the browser
        keeps): after a promote, a reload opened without "Student errors only", and so did every
        reload after the roll back, the new default having read the split by then."""
        viewer = queue_viewer(home, kept.dataset_split, user)
        if reads_predictions(kept.only_errors, kept.order) and not predictions_ready(home, kept, viewer):
            said = (f"Opened without {kept.predicted_words()}: the student has not read all of {kept.dataset_split} "
                    "yet. Pick it again to make that queue, with progress and Stop.")
            opened = QueueFilters(kept.dataset_split, kept.type_filter, False, kept.not_corrected)
            return KeptQueue(opened, queue(home, *opened.made, seen_by=viewer), None, [False, opened.order], said)
        return KeptQueue(kept, queue(home, *kept.made, seen_by=viewer), kept.made, [gr.skip(), gr.skip()],
                         order_basis(home, kept))

    def linked_post(link: str | None, how: str | None) -> str | None:
        """The post a link opened in a new page names (`?post=`), where it is in the store; not
        on a reload or back and forward, which come back to where Annotate was."""
        if how != "navigate" or not (link or "").strip():
            return None
        with open_store(home) as store:
            post = get_post(store, link.strip())
        return post.id if post is not None else None

    def first_queue(dataset_split: str | None, t: str, e: bool, c: bool, o: str, doc, remembered: str | None,
                    link: str | None, how: str | None, user: User) -> list:
        """The queue of the dataset the page opens on, and the post this browser showed last
        if the queue holds it, else its first (after the page load: a reload put a 4,000-post
        queue back on its first post). The post shown last opens too where the queue made again
        leaves it out (corrected to agree with the student), outside the queue, with why. A post the user opened meanwhile (picked in Explore while
        the page loaded, say) stays, and so does the queue that opening chose (an error row's
        split, say), which this late answer, read from the dropdown at the page load, must not
        replace. A page opened from a colleague's link opens the linked post here, in its
        split's queue, as Explore's opening of it does: whichever of the two answers lands
        last, the linked post stays (the first queue's post, landing last, replaced it)."""
        skip_all = [gr.skip()] * (n_queue + len(post_outs))
        if not first_open_stands():   # before any work, and again once it is done
            return skip_all
        # with the filters the page load put back (filters_on_load)
        boxes = QueueFilters(dataset_split, t or "any", bool(e), bool(c), o or QueueOrder.FILE.value) if dataset_split else None
        linked = linked_post(link, how)
        if linked is not None and not (doc or {}).get("post_id"):
            followed = follow_post(linked, [], boxes, user)
            said = " ".join(x for x in (not_queued_said(linked, followed.ids, followed.made, user), followed.said) if x)
            opened = show(editor_doc(home, linked, user, followed.ids, reveal=True), said, user=user)
            return followed.outs + opened if first_open_stands() else skip_all
        kept = queue_as_kept(boxes, user) if boxes else None
        ids, said = (kept.ids, kept.said) if kept else ([], "")
        # the post one was on, though the queue made again leaves it out (corrected to agree with
        # the student, say): it opens again, and the line says why and where Next goes (the
        # queue's first post opened, with no word, and the annotator's place was lost)
        left_out = not_queued_said(remembered, ids, kept.filters.made, user, "The post you were on last") if kept else ""
        first = remembered if remembered in ids or left_out else ids[0] if ids else None
        said = " ".join(x for x in (left_out, said) if x)
        opened = show(editor_doc(home, first, user, ids), said, user=user) if first and not (doc or {}).get("post_id") else None
        if not first_open_stands():
            return skip_all
        made, (errors_box, order_box) = (kept.made, kept.boxes) if kept else (None, [gr.skip(), gr.skip()])
        # queue_outs: [ds, queue_state, type_filter, only_errors, not_corrected, order, queue_made, back_state, back]
        queue_now = [gr.skip(), ids, gr.skip(), errors_box, gr.skip(), order_box, made, gr.skip(), gr.skip()]
        if opened is None:   # nothing to open: what to do instead of "opening"
            waiting = not (doc or {}).get("post_id") and (doc or {}).get("empty") == OPENING
            empty = CHOOSE if not kept or kept.filters.is_whole else "No post matches these filters."
            return (queue_now + ([{"empty": empty}] if waiting else [gr.skip()])
                    + [gr.skip()] * (len(post_outs) - 2) + [said or gr.skip()])
        return queue_now + opened

    status.change(None, [status], None, js=SHOW_NAME_WHEN_ASKED, api_visibility="private")
    status.change(None, [status], None, js=STATUS_IN_SIGHT, api_visibility="private")
    editor.change(None, [editor], None, js=REMEMBER_POST, api_visibility="private")
    queue_made.change(None, [queue_made], None, js=REMEMBER_QUEUE, api_visibility="private")
    # .change, not .input: a pasted or autofilled name is remembered too
    author.change(None, [author], None, js=REMEMBER_NAME, api_visibility="private")
    author.blur(None, [author, status], [status], js=LET_NAME_REFUSAL_GO, api_visibility="private")
    author.blur(guarded(policy, Action.EXPLORE, lambda typed, user: name_as_known(home, typed, user), quiet=True),
                [author], [author], api_visibility="private", show_progress="hidden")
    recall_name = dict(fn=None, inputs=None, outputs=[author], js=RECALL_NAME, api_visibility="private")
    first_queue_event = dict(fn=guarded(policy, Action.EXPLORE, first_queue, quiet=True),
                             inputs=[*filters, editor, remembered_post, link, link_how],
                             outputs=queue_outs + post_outs, api_visibility="private",
                             js=f"(...a) => [...a.slice(0, -2), ...({READ_POST_IN_ADDRESS})()]", **work)

    def whole_split(dataset_split: str | None, user: User) -> list:
        """The filter boxes set to the whole of `dataset_split` in file order, and Annotate to the
        front (the split just imported in the Store tab); `queue_event` then makes that queue."""
        if not dataset_split:
            return [gr.skip()] * (len(filters) + 1)
        return [*whole_boxes(dataset_split), gr.Tabs(selected="annotate")]

    return {"queue_dataset": ds, "remembered": [remembered_split, remembered_post, remembered_filters],
            "filters": filters, "whole_split": whole_split, "queue_event": queue_event,
            "recall_place": RECALL_PLACE, "filter_boxes": filters[1:], "filters_on_load": filters_on_load,
            "author": author,
            "first_queue_event": first_queue_event, "recall_name": recall_name, "refresh_event": refresh_event}


def stop_while_predicting(only_errors: bool, order: str, request: gr.Request):
    """The Stop button, on show while a queue is made that reads the student's predictions
    (errors only, or an order by them): the first pass over a split predicts every post. On
    show before that queue's event begins: a Stop pressed from now on stops it."""
    shown = reads_predictions(only_errors, order)
    if shown:
        announce_work(getattr(request, "session_hash", None))
    return gr.update(visible=shown)


def stop_work(request: gr.Request) -> str:
    """The Stop button: the first predictions over a split stop after the chunk under way
    (what was predicted is kept); only this browser session's work is stopped."""
    request_stop(getattr(request, "session_hash", None))
    return ("Stop asked: predictions under way stop after the chunk in hand, and what was predicted is kept "
            "(nothing happens if none are running).")


def _author(home: Path, typed: str, user: User) -> str:
    """A signed-in user saves under their own name; the one local user under the typed one,
    spelt as this store first saw it (`known_author`: "Bob" is bob's work, not a second
    annotator's)."""
    if user.name not in (None, "local"):
        return user.name
    if not (typed or "").strip():
        return typed   # refused by who_saves, in its words
    with open_store(home) as store:
        return label_store.known_author(store, typed)


def name_as_known(home: Path, typed: str, user: User):
    """The Annotator box, once left: the name as this store spells it, where it knows it
    already under other capitals or spaces (the work is saved under that one all the same)."""
    if user.name not in (None, "local") or not (typed or "").strip():
        return gr.skip()
    known = _author(home, typed, user)
    return gr.update(value=known) if known != typed else gr.skip()
