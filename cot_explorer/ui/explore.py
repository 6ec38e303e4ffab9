"""The Explore tab: a post (uploaded or from the store) with its image, the teacher's chain of
thought by grain, the student's entities and where they disagree."""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import gradio as gr

from ..access import LOCAL_USER, AccessPolicy, Action, User
from ..ask_budget import AskBudget, BudgetExceeded
from ..errors import CotExplorerError, ValidationError
from ..evaluate import SpanError, span_errors
from ..labels import mner_schema_for, teacher_spans
from ..schema import COT_GRAINS, Grain, Knowledge, LabelSet, Post, Span
from ..store import blind as blind_store
from ..store import labels as label_store
from ..store import open_store
from ..store.images import image_path, read_image_file
from ..store.knowledge import earlier_teachers, knowledge_for
from ..store.posts import dataset_known, dataset_schema, get_post
from ..store.shown_images import shown_image
from ..store.teacher_outputs import add_outputs, last_error
from ..store.teacher_requests import begin_request, finish_request, spent_since
from ..teacher.error_words import error_words
from ..uploads import (
    UPLOAD_DATASET,
    check_post_text,
    delete_upload,
    footprint_sentence,
    preview_post,
    refuse_undeletable,
    same_words,
    store_upload,
    upload_footprint,
    uploaded_words,
)
from .common import (
    ASSETS,
    SpanTuple,
    find_posts,
    found_said,
    knowledge_view_post,
    markdown_literal,
    post_choices,
    post_label,
    predict_post,
    reach,
    snippet,
    student,
    teacher_available,
)
from .guard import guarded
from .named_file import NamedFile, NamedFileBox
from .post_rows import ROWS_CSS, Mark, Row, rows_html
from .relations import RELATION_COLUMNS, pairs_view

GRAIN_TITLES = {"noun": "Noun grain: what each candidate entity refers to",
                "sentence": "Sentence grain: what the post means",
                "multimodal": "Multimodal grain: how the image relates to the text"}


@dataclass
class ExploreView:
    post_id: str
    text: str
    image: str | None
    caption: str
    cot: str
    rows: str                      # the post as aligned rows: student, teacher, current labels
    disagreements: str
    student_spans: list[SpanTuple] = field(default_factory=list)
    image_name: str | None = None  # the name the image was uploaded with (the store keeps it under its digest)
    stored_before: bool = False    # an upload whose text and image were in the store already
    shown: str | None = None       # the file shown for `image`: a smaller copy of a big one (shown_images.py)


NO_KEY = ("Claude, the live teacher, needs `ANTHROPIC_API_KEY` (or a Spaces secret) and a restart of the app; "
          "without it the chain of thought shown is the recorded teacher's, where a post has one.")


def cot_markdown(knowledge: Knowledge | None, error: str | None = None, in_annotate: bool = False,
                 earlier: Sequence[Knowledge] = ()) -> str:
    """The teacher's chain of thought, grain by grain, with who wrote it. Where there is none,
    where one can be read: said in the words of the tab it is shown in (Annotate pointed to
    a picker of Explore's). `earlier`: other teachers' chains of thought about the post,
    folded under the newest (Claude's answer hid the recorded one it could be compared with)."""
    if knowledge is None:
        msg = "No teacher knowledge for this post yet."
        if not teacher_available() and in_annotate:   # Explore says it under the panel, on every post (NO_KEY)
            msg += (" Claude, the live teacher, is not enabled on this app (an admin enables it with "
                    "`ANTHROPIC_API_KEY` or a Spaces secret, and a restart).")
        # an upload or an example has none: where one can be read now (a walker never saw a grain)
        where = "the `demo/test` queue" if in_annotate else "`demo/test/…` in “…or a post of the store”"
        # (the demo's relation posts have none: "the demo's posts carry…" read as a contradiction there)
        msg += (f" The entity demo's posts ({where}) carry the teacher's recorded "
                "chain of thought: noun, sentence and multimodal grains. The recorded teacher wrote none "
                "about relation posts (MNRE, `demo-mnre`).")
        if error:
            msg += f"\n\nLast teacher error: {error_words(error)}"
        return msg
    newest = " — the newest, the one the student learns from" if earlier else ""
    parts = [f"**Teacher:** {knowledge.teacher} ({knowledge.model}){newest}", *_grains_markdown(knowledge)]
    for other in earlier:
        # folded: the panel is read grain by grain, and two teachers in full were two screens
        # (in HTML: the summary is no Markdown, its backslashes were shown)
        parts.append(f"<details class=\"cot-earlier\"><summary>{html.escape(other.teacher)} "
                     f"({html.escape(other.model)}) wrote about this post too: its chain of thought</summary>"
                     "\n\n" + "\n\n".join(_grains_markdown(other)) + "\n\n</details>")
    return "\n\n".join(parts)


def _grains_markdown(knowledge: Knowledge) -> list[str]:
    """One teacher's chain of thought, a paragraph a grain, and its entities where the noun
    grain does not list them already."""
    parts = []
    for grain in COT_GRAINS:
        g = knowledge.grain(grain)
        if g is not None:
            note = " *(derived here from the caption and the reasoning)*" if g.derived else ""
            parts.append(f"**{GRAIN_TITLES[grain.value]}**{note}\n\n{g.text}")
    if not knowledge.grains:
        parts.append(knowledge.written)
    noun = knowledge.grain(Grain.NOUN)
    listed = noun is not None and all(f"**{e.text}**" in noun.text for e in knowledge.entities)
    if knowledge.entities and not listed:  # the recorded noun grain is this very list: not twice
        parts.append("**Teacher's entities:** " + "; ".join(
            f"{markdown_literal(e.text)} ({e.type}{': ' + e.rationale if e.rationale else ''})" for e in knowledge.entities))
    return parts


def explore(home: Path, post_id: str, user: User | None = None) -> ExploreView:
    """A post as Explore shows it; `user`: where its split is annotated blind, one who is not an
    admin sees their own labels as the current ones (a colleague's save read here was no longer
    blind)."""
    with open_store(home) as store:
        post = get_post(store, post_id)
        if post is None:
            raise ValidationError(f"no post {post_id!r}")
        gold = label_store.current(store, post_id, "mner")
        named = None
        if (user is not None and not user.may(Action.SET_BLIND) and user.name != LOCAL_USER
                and blind_store.is_blind(store, post.dataset, post.split)):
            seen = blind_store.seen_by(store, post_id, user.name or "")
            gold = seen.labels
            # whose they are (they read "Current (gold)", the post's current labels being a colleague's)
            named = "Your labels (blind split)" if seen.own else "The imported labels (blind split: yours once you save)"
        knowledge = knowledge_for(store, post_id)
        earlier = earlier_teachers(store, post_id)
        error = last_error(store, post_id) if knowledge is None else None
        img = image_path(store, post.image_sha256) if post.image_sha256 else None
    return explore_view(home, post, gold, knowledge, img, error, earlier, named)


def explore_view(home: Path, post: Post, gold: LabelSet | None, knowledge: Knowledge | None,
                 img: Path | None, error: str | None = None, earlier: Sequence[Knowledge] = (),
                 labels_named: str | None = None) -> ExploreView:
    """`labels_named`: the labels' row's name, where they are not the post's current ones (a
    blind split's annotator sees their own)."""
    with open_store(home) as store:  # a visitor's preview may be of a dataset the store does not know yet
        schema = dataset_schema(store, post.dataset) if dataset_known(store, post.dataset) else mner_schema_for(post.dataset)
    # in the dataset's names, as the labels and the teacher's are (a Twitter-2015 post showed the
    # student's MISC grey, and "MISC vs OTHER" disagreements that were none)
    pred = schema.translate_scored(predict_post(home, post))
    types = list(schema.types)
    predictor = student(home)
    model = predictor.manifest.name
    reached = reach(predictor, post)   # a long post: the words after the model's limit get nothing
    unread = reached.clause()
    teacher_marks = tuple(Mark(sp.start, sp.end, sp.type, e.rationale or f"the teacher calls it {e.type}")
                          for sp, e in teacher_spans(knowledge.entities if knowledge else (), tuple(types)))
    with_cot = knowledge_view_post(home, post, knowledge)   # where the teacher wrote about the post
    relation_pairs = pairs_view(home, post).pairs   # a post with entity pairs: their relations too
    rows = [Row(f"Student ({model}, text only{unread})", tuple(Mark(s, e, t, f"confidence {c:.2f}") for s, e, t, c in pred),
                "— no entities found", words=True, read=reached.stop),
            *([Row(with_cot.label(model),
                   tuple(Mark(s, e, t, f"confidence {c:.2f}; the post and the CoT")
                         for s, e, t, c in schema.translate_scored(with_cot.spans)),
                   "— no entities found", words=True, read=with_cot.reach.stop)] if with_cot is not None else []),
            Row(f"Teacher ({knowledge.teacher})" if knowledge else "Teacher", teacher_marks,
                "no teacher knowledge for this post" if knowledge is None else "— the teacher names no entity here",
                words=knowledge is not None),
            Row(labels_named if labels_named and gold else
                f"Current ({gold.source}{': ' + gold.author if gold and gold.source == 'annotator' else ''})"
                if gold else "Current labels", tuple(Mark(s.start, s.end, s.type) for s in (gold.spans if gold else ())),
                ("no entity labels yet; the entity pairs below have relation labels" if relation_pairs else
                 "no labels yet") if gold is None else "— no entities", words=gold is not None)]
    gold_spans = [(s.start, s.end, s.type) for s in gold.spans] if gold else []
    words = lambda s, e: post.text[post.offsets[s][0]:post.offsets[e - 1][1]]  # noqa: E731
    # each disagreement with the current labels once (a wrong type read as a miss, an addition
    # and the teacher's word: three lines for one error)
    confidence = {(s, e, t): c for s, e, t, c in pred}
    notes = [_against_labels(words, err, confidence)   # none on a post without labels ("no labels to compare")
             for err in span_errors([Span(s, e, t) for s, e, t in gold_spans], [Span(s, e, t) for s, e, t, _ in pred])
             ] if gold else []
    if teacher_marks:
        for s, e, t, _ in pred:
            notes.extend(_against_teacher(words, s, e, t, teacher_marks))
        # what only the teacher names (its row showed "concert" as MISC, and the list had no word of it);
        # where the labels name it too, "the student misses" says it already
        notes.extend(f"the teacher names **{words(m.start, m.end)}** ({m.type}), the student does not"
                     for m in teacher_marks if not any(s < m.end and m.start < e for s, e, _, _ in pred)
                     and not any(s < m.end and m.start < e for s, e, _ in gold_spans))
    for p in relation_pairs:
        pair = f"**{p.head_text} → {p.tail_text}**"
        if p.student and p.student.label != p.relation.label:
            notes.append(f"for {pair} the student says {p.student.label} ({p.student.confidence:.2f}), "
                         f"the current label is {p.relation.label}")
        if p.teacher and p.teacher.label != p.relation.label:
            notes.append(f"for {pair} the teacher says {p.teacher.label}, the current label is {p.relation.label}")
    heading = "#### Where they disagree\n"
    agree = ("Student and current labels agree." if gold else
             "The student's relations agree with the current relation labels (no entity labels to compare with)."
             if relation_pairs else "No labels to compare with yet.")
    body = "\n".join(f"- {n}" for n in notes) or agree
    return ExploreView(
        post.id, post.text, str(img) if img else None,
        post.caption or ("" if img else "(no image or caption for this post)"),
        cot_markdown(knowledge, error, earlier=earlier), rows_html(post, rows, types), heading + body, pred,
        post.image_name, shown=str(shown_image(img)) if img else None)


def _against_labels(words, err: SpanError, confidence: dict) -> str:
    """One error of the student against the current labels, in words."""
    g, p = err.gold, err.pred
    sure = f"{confidence.get((p.start, p.end, p.type), 0):.2f}" if p else ""
    if err.kind == "missed":
        return f"the student misses **{words(g.start, g.end)}** ({g.type}), which the current labels have"
    if err.kind == "spurious":
        return f"the student adds **{words(p.start, p.end)}** ({p.type}, {sure}), not in the current labels"
    if err.kind == "wrong type":
        return f"the student calls **{words(g.start, g.end)}** {p.type} ({sure}); the current labels say {g.type}"
    return (f"the student marks **{words(p.start, p.end)}** ({p.type}, {sure}); the current labels mark "
            f"**{words(g.start, g.end)}** ({g.type}): other bounds")


def _against_teacher(words, s: int, e: int, t: str, teacher: tuple[Mark, ...]) -> list[str]:
    """How the teacher differs on one student span: not named at all, named with other
    bounds (and maybe another type), or with another type."""
    same = [m for m in teacher if (m.start, m.end) == (s, e)]
    if same:
        return [] if same[0].type == t else [f"the student says **{words(s, e)}** is {t}, the teacher {same[0].type}"]
    near = [m for m in teacher if m.start < e and s < m.end]
    if not near:
        return [f"the teacher does not name **{words(s, e)}** ({t}, the student's)"]
    theirs = ", ".join(f"**{words(m.start, m.end)}** ({m.type})" for m in near)
    return [f"the student marks **{words(s, e)}** ({t}), the teacher {theirs}: other bounds"]


def upload(home: Path, text: str, image: str | None, keep: bool = True) -> ExploreView:
    """Explore an upload: stored as a post (`keep`, for annotators and admins), or only
    predicted (a visitor's, which leaves nothing in the store). The image file is checked by
    its header before any decoding. A stored upload's temporary copy is deleted once handled
    (a refused text first, which leaves it: the box still holds it for the next try); a
    visitor's stays on show, and goes with Gradio's cache."""
    check_post_text(text)
    if not keep:   # Gradio's temporary copy stays in the box and on show (its cache lets it go within
        # two hours); the store is not touched. Deleted here, the visitor's picture vanished, and
        # the result said the post had no image.
        data = read_image_file(Path(image), Path(image).name) if image else None
        return explore_view(home, preview_post(text, data, Path(image).name if image else None), None, None,
                            Path(image) if image else None)
    try:
        data = read_image_file(Path(image), Path(image).name) if image else None
        name = Path(image).name if image else None
        with open_store(home) as store:
            post, stored_before = store_upload(store, text, data, name)
    finally:
        if image:
            discard_upload(Path(image))
    return replace(explore(home, post.id), stored_before=stored_before)


# The text changed after an analysis, with the image kept from it in the box. A new tweet (the
# text cleared, or another pasted over it) lets the image go: it is the stored post's, not one
# picked for the new text. An edit of the analysed text (a typo fixed) keeps it: it was let go
# too, silently, and the corrected post was stored without its image. Either is said under
# Analyse, except a text emptied (a post picked lets its text go: nothing was typed). The box's file is the kept one when its path ends in the stored file's digest name
# (its shown name is the picked one: named_file.py), as do_delete's `Path(i).name == kept`
# assumes too. `keptFor`: the text analysed with it. Alike: what the two texts share at their
# start and end is at least half the longer one.
IMAGE_LET_GO = ("The image went with the post analysed before (it is stored with it): pick one for this text "
                "if it has one.")
IMAGE_KEPT = ("The image stays for the edited text: Analyse stores it as a new upload with that image (the one "
              "analysed before stays, listed in the picker, until you delete it).")
LET_KEPT_IMAGE_GO = r"""(text, image, kept, keptFor, note) => {
  // nothing to change is answered as nothing (undefined: Gradio leaves that output be), never
  // as the values read: set back, they would undo whatever changed the box since
  const name = image && (image.path || "").split("/").pop();
  if (!kept || name !== kept) return [undefined, undefined, undefined];
  // spacing is not an edit: the same words are the same upload (uploads.same_words)
  const a = (text || "").trim().replace(/\s+/g, " "), b = (keptFor || "").trim().replace(/\s+/g, " ");
  if (a === b) return [undefined, undefined, undefined];
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  if (!a) return [null, "", undefined];   // emptied (a post picked lets its text go): said of nothing typed
  const alike = start + end >= 0.5 * Math.max(a.length, b.length);
  return alike ? [undefined, undefined, %s] : [null, "", %s];
}""" % (json.dumps(IMAGE_KEPT), json.dumps(IMAGE_LET_GO))

# The analysed upload's text let go once another post is picked, in the browser, reading the box
# as it is then: read by a call to the server, a tweet typed while that call was on its way was
# emptied by its answer. Used once: the same text typed again later is a new tweet.
LET_TEXT_GO = "(text, done) => [done && text === done ? '' : text, '']"

# On a phone the results are below the inputs: after an analysis they are brought into view (they
# began at the foot of the screen, and nothing said they had come). A refusal is said under the
# button, in view already, and leaves no post id (in code type: the first hint has none) on show.
SHOW_RESULTS_ON_A_PHONE = """() => {
  const id = document.getElementById("explore-post-id");
  if (window.innerWidth <= 640 && id && id.querySelector("code")) id.scrollIntoView({ block: "start", behavior: "smooth" });
  return [];
}"""

# The post on show is kept in the page's address (`?post=<id>`): a reload comes back to it (it
# opened on the first hint, the post to be found again), and the address is a link to it that a
# colleague can open. No post on show: no post in the address. (Annotate, while it shows, names
# its own post there: span_editor.js.)
NAME_POST_IN_ADDRESS = """(md) => {
  const m = /^`([^`]+)`$/.exec((md || "").trim());
  const url = new URL(window.location.href);
  // a visitor's preview is not stored: a link to it could only say it is not there
  if (m && !m[1].startsWith("preview/")) url.searchParams.set("post", m[1]); else url.searchParams.delete("post");
  if (url.href !== window.location.href) window.history.replaceState(window.history.state, "", url);
  return [];
}"""
# a post changed while another tab shows (Annotate names its own there) leaves the address be
KEEP_POST_IN_ADDRESS = """(md) => {
  const tab = document.getElementById("explore-tab");
  if (tab && tab.offsetParent === null) return [];
  return (%s)(md);
}""" % NAME_POST_IN_ADDRESS
# the tab shown again: its post named, where it shows one (on a page load the tab is selected
# before the linked post is read from the address, and its opening hint took the post away)
NAME_POST_AGAIN = """(md) => /^`[^`]+`$/.test((md || "").trim()) ? (%s)(md) : []""" % NAME_POST_IN_ADDRESS
# with how the page was opened: a reload keeps Annotate on its own post, a link opened takes it there
READ_POST_IN_ADDRESS = """() => [new URLSearchParams(window.location.search).get('post') || '',
  ((performance.getEntriesByType && performance.getEntriesByType('navigation')[0]) || {}).type || 'navigate']"""

# where the Ask button would be, for those who may not ask (the key's line is an admin's to act on)
ASK_IS_ADMINS = ("*Asking Claude, the live teacher, is for admins; the chain of thought shown is the recorded "
                 "teacher's, where a post has one.*")

# said under Analyse of an upload whose text and image were stored before (it came up as if new)
STORED_BEFORE = ("*This tweet (with this image, or none) was uploaded before: the stored post is shown, with its "
                 "labels and history; nothing was added.*")

# ... and of one that differs from the stored post in spacing alone (the same words: the same post)
STORED_BEFORE_SPACED = ("*This tweet differs only in spacing from one uploaded before (with this image, or none): "
                        "the stored post is shown as it was typed then, with its labels and history; nothing was "
                        "added.*")

# said under Analyse once an upload's text is back in the box (Edit its text…)
EDITING_SAID = ("*Its text is in the box, with its image: correct it and press **Analyse upload**. The corrected "
                "tweet is stored as a new upload with the image; this one stays, with its labels and the teacher's "
                "answers, until you delete it.*")

# ... and once the corrected text is analysed
EDIT_STORED = ("*Stored as a new upload with the image. The one before (“{before}”) stays, with its labels and the "
               "teacher's answers; delete it from the picker if it is not wanted.*")

# said under Analyse of a visitor's upload: what they see is all there is of it
PREVIEW_SAID = ("*Predicted and not kept: a visitor's upload is not stored, so it is not in the post list and a "
                "reload lets it go.*")

# how a refused upload is said under Analyse (another image picked takes it off: image.upload)
NOT_ANALYSED = "**Not analysed:**"

# the right half before any post is on show: what to do to fill it
FIRST_HINT = ("*Type or paste a tweet (an image is optional) and press **Analyse upload**, pick a post of the store, "
              "or click an example below: the student's entities, the teacher's chain of thought and where they "
              "disagree appear here. The demo's posts (`demo/test/…` in the picker) carry the teacher's recorded "
              "chain of thought; a new tweet has none until the teacher is asked.*")

EXAMPLES = [["Messi scores twice as Barcelona beat Real Madrid at Camp Nou", ASSETS / "demo" / "stadium.png"],
            ["Taylor Swift opens her tour in Glendale tonight !", ASSETS / "demo" / "stage.png"]]


def delete_question(home: Path, post_id: str, may_drop_work: bool = True) -> str:
    """What deleting an upload takes with it, said by the post's words (its id alone does not
    say which post goes), before anything goes; refused first where this user may not."""
    with open_store(home) as store:
        gone = upload_footprint(store, post_id)
        refuse_undeletable(post_id, gone, may_drop_work)
        post = get_post(store, post_id)
    what = f"“{markdown_literal(snippet(post.text))}” (`{post_id}`)" if post else f"`{post_id}`"
    return f"Delete the upload {what}? It takes with it {footprint_sentence(gone)}. This cannot be undone."


def example_label(text: str, image: Path, limit: int = 60) -> str:
    """An example's button: its text, cut in the middle where it must be so that the image's
    name still shows (Gradio cuts a label at 60 characters, from the end)."""
    tail = f" · {Path(image).stem} image"
    room = limit - len(tail)
    words = text.split()
    text = " ".join(words)
    if len(text) > room:   # whole words from the start and from the end, "…" between
        head: list[str] = []
        end: list[str] = []
        while len(" ".join(head + [words[len(head)]])) <= room // 2:
            head.append(words[len(head)])
        # the text is longer than the room, so the loops stop before they meet
        while len(" ".join(head + ["…", words[-len(end) - 1], *end])) <= room:
            end.insert(0, words[-len(end) - 1])
        text = " ".join(head + ["…"] + end) if head else text[: room - 1] + "…"
    return text + tail


@lru_cache(maxsize=1)
def _example_files() -> dict[int, str]:
    """Size → digest of the examples' images (a file of another size is hashed for nothing)."""
    return {Path(image).stat().st_size: hashlib.sha256(Path(image).read_bytes()).hexdigest() for _, image in EXAMPLES}


def _is_example(path: Path) -> bool:
    digest = _example_files().get(path.stat().st_size)
    return digest is not None and hashlib.sha256(path.read_bytes()).hexdigest() == digest


def discard_upload(path: Path) -> None:
    """Delete a file Gradio saved from an upload (and its folder, once empty); files
    elsewhere are never touched, nor Gradio's copy of an example's image: Gradio makes that
    copy once and hands the same path to every later click, so deleting it broke the
    example for everyone until a restart."""
    from gradio.utils import get_upload_folder  # Gradio's own setting, read when an upload is handled

    cache = Path(get_upload_folder()).resolve()
    path = path.resolve()
    if not path.is_relative_to(cache) or path == cache:
        return
    try:
        if _is_example(path):
            return
    except OSError:
        return
    path.unlink(missing_ok=True)
    parent = path.parent
    while parent != cache and parent.is_relative_to(cache):
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


@dataclass(frozen=True)
class AskAnswer:
    """What an ask shows: the post's chain of thought, and a line above it about the ask itself
    (it failed, the day's budget cut it short), in a block of its own: drawn into the chain of
    thought, the line went when the rows were drawn again after the ask."""

    cot: str
    said: str = ""


def ask_teacher(home: Path, post_id: str, user: str, budget: AskBudget,
                on_request: Callable[[int, int, str], None] | None = None) -> AskAnswer:
    """Ask Claude about one post, within the user's hourly limit and the day's dollar cap.
    Answers stored already (asked before, about this post or another of the same words and
    image) are shown, not asked for again: a second press paid for the same 1 + N answers, and
    the store, keyed by the prompt, kept the first. `on_request(i, n, what)`: before each call."""
    # The SDK is imported when someone asks Claude, not when the app starts.
    from ..teacher.anthropic_teacher import AnthropicTeacher  # noqa: I001 (the SDK, on use)
    from ..teacher.base import TeachRequest  # with it
    from ..teacher.run import still_to_ask  # with it

    if not post_id:
        raise ValidationError("pick or upload a post first")
    with open_store(home) as store:
        post = get_post(store, post_id)
        if post is None:
            raise ValidationError(f"no post {post_id!r}")
        img = image_path(store, post.image_sha256) if post.image_sha256 else None
        types = dataset_schema(store, post.dataset).types
        image = img.read_bytes() if img else None
        relations = label_store.current(store, post_id, "mre")
        # the post's chain of thought, then (an MNRE post) one answer per entity pair
        requests = [TeachRequest(post, entity_types=tuple(types), image=image)]
        pairs = sorted({(r.head, r.tail) for r in (relations.relations if relations else ())},
                       key=lambda p: (p[0].start, p[1].start))
        requests += [TeachRequest(post, "mre", entity_types=tuple(types), image=image, head=post.span_text(h),
                                  tail=post.span_text(t), pair=(h, t)) for h, t in pairs]
        teacher = AnthropicTeacher()
        todo = [req for req, _ in still_to_ask(store, teacher, requests)]
        stored = len(requests) - len(todo)
        if not todo:
            knowledge = knowledge_for(store, post_id)
            return AskAnswer(cot_markdown(knowledge, earlier=earlier_teachers(store, post_id)),
                             f"*Claude's {_answers(len(requests))} about this post {'was' if len(requests) == 1 else 'were'} "
                             "stored already (asked before, for these words and this image): shown below; nothing "
                             "was asked or spent.*")
        hour_ago, midnight = budget.windows()
        request_id, refusal = begin_request(store, user, post_id, hour_ago, midnight,
                                            budget.per_user_per_hour, budget.daily_usd)
        if refusal:
            raise BudgetExceeded(refusal)
        outs = []
        spent_before = spent_since(store, midnight)
        cut_short = ""
        try:
            for i, req in enumerate(todo):
                running = sum(o.cost_usd or 0.0 for o in outs)
                if outs and spent_before + running >= budget.daily_usd:  # the day's cap holds between calls too
                    cut_short = (f"Today's budget for Claude ran out after {len(outs)} of the {len(todo)} answers "
                                 "asked for; the rest wait for tomorrow.")
                    break
                if on_request:
                    on_request(i, len(todo), "the post" if req.pair is None else
                               f"entity pair {req.head} → {req.tail}")
                out = teacher.explain(req)
                outs.append(out)
                add_outputs(store, [(post, out)])
                if out.status != "ok":
                    break
        finally:
            finish_request(store, request_id, bool(outs) and all(o.status == "ok" for o in outs),
                           sum(o.cost_usd or 0.0 for o in outs))
        knowledge = knowledge_for(store, post_id)
        earlier = earlier_teachers(store, post_id)
    failed = next((o for o in outs if o.status != "ok"), None)
    kept = (f"{stored} of the {len(requests)} answers were stored already and not asked for again. "
            if stored else "")
    if failed is None:
        said = " ".join(x for x in (kept, cut_short) if x)
        return AskAnswer(cot_markdown(knowledge, earlier=earlier), f"*{said.strip()}*" if said else "")
    # said above what is shown: on a post with a chain of thought already, a failed ask showed
    # that one unchanged, and the user took it for Claude's answer
    got = len(outs) - 1
    said = f"**Asking Claude failed:** {error_words(failed.error)}."
    if got or stored:
        said += (f" {got + stored} of the {len(requests)} answers it asks for "
                 f"{'is' if got + stored == 1 else 'are'} stored, and shown below.")
    elif knowledge is not None:
        said += " Shown below: the chain of thought the post already had."
    return AskAnswer(cot_markdown(knowledge, earlier=earlier), said)


def _answers(n: int) -> str:
    return "answer" if n == 1 else f"{n} answers"


PICK_LABEL = "…or a post of the store"


def build_explore_tab(home: Path, post_state: gr.State, policy: AccessPolicy, budget: AskBudget,
                      model_work: dict) -> dict:
    with gr.Tab("Explore", id="explore", elem_id="explore-tab") as explore_tab:
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                text = gr.Textbox(label="Tweet text", lines=3, elem_id="post-text")
                image = NamedFileBox(label="Image (optional): JPEG, PNG, GIF or WebP, up to 20 MB", type="filepath",
                                     elem_id="post-image", height=150)
                analyse = gr.Button("Analyse upload", variant="primary", elem_id="explore-btn")
                # why an upload was refused, where the user pressed (a notice in a corner was missed)
                analyse_note = gr.Markdown(elem_id="analyse-note")
                pick = gr.Dropdown(label=PICK_LABEL, choices=[], elem_id="pick-post")
                # the picker lists the demo's posts and the uploads: the posts of an imported
                # dataset (an MNRE split, Twitter-2017 with its recorded reasoning) are found here
                find = gr.Textbox(label="Find a post of any dataset by its words", lines=1, max_lines=1,
                                  placeholder="words of the post, then Enter", elem_id="explore-find")
                with gr.Row():
                    # an upload's text back in the box with its image, to correct and analyse again
                    # (picked, its boxes were empty: it had to be typed again, the image found again)
                    # side by side on a phone too (each took a line, and the results moved down by one)
                    edit = gr.Button("Edit its text…", size="sm", visible=False, elem_id="edit-upload", min_width=100)
                    delete = gr.Button("Delete this upload…", size="sm", visible=False, elem_id="delete-upload",
                                       min_width=100)
                with gr.Group(visible=False) as confirm_box:   # what goes is said before it goes
                    confirm_note = gr.Markdown(elem_id="delete-note")
                    with gr.Row():
                        delete_yes = gr.Button("Delete it", variant="stop", size="sm", elem_id="delete-yes")
                        delete_no = gr.Button("Keep it", size="sm", elem_id="delete-no")
                deleted_note = gr.Markdown(elem_id="delete-done")
            with gr.Column(scale=2, min_width=320):
                post_id = gr.Markdown(FIRST_HINT, elem_id="explore-post-id")   # a post's id once one is on show
                rows = gr.HTML(elem_id="post-rows", css_template=ROWS_CSS)
                disagree = gr.Markdown(elem_id="explore-disagreements")
                with gr.Row(equal_height=False):
                    post_image = gr.Image(label="Post image", interactive=False, height=200, elem_id="explore-image",
                                           visible=False, scale=1)
                    with gr.Column(scale=2):
                        caption = gr.Markdown(elem_id="explore-caption")
                        # what the last ask about the post on show came to, above its chain of thought
                        ask_note = gr.Markdown(elem_id="ask-note")
                        cot = gr.Markdown(elem_id="cot")
                relations = gr.Dataframe(headers=RELATION_COLUMNS, interactive=False,
                                         label="Entity pairs, the least certain first",   # (longer, cut on a phone)
                                         elem_id="explore-relations", visible=False, wrap=True,
                                         column_widths=["4%", "15%", "15%", "22%", "23%", "21%"])
                # hidden until the page load says who this is, where people sign in
                ask = gr.Button("Ask Claude for the chain of thought", visible=teacher_available() and policy.mode == "local",
                                elem_id="ask-btn")
                # where the button would be, why it is not (nothing said so on a post with a recorded CoT)
                ask_unavailable = gr.Markdown(f"*{NO_KEY}*", visible=not teacher_available(), elem_id="ask-unavailable")

        # The post on show here. `post_state` is the post to open in Annotate: an Errors row or a
        # Distill change sets it too, and Explore's Ask, Delete and pairs table followed it
        # there (Ask paid for a post that was not on show); a reload shows a post here without
        # moving Annotate off its own (a link opened moves it there, as a pick does).
        shown = gr.State(None)

        def show(view: ExploreView):
            return (view.post_id, view.post_id, f"`{view.post_id}`", view.rows, view.disagreements, view.cot,
                    gr.update(value=view.shown, visible=bool(view.shown)), view.caption and f"*Caption:* {view.caption}")

        outs = [post_state, shown, post_id, rows, disagree, cot, post_image, caption]

        def relations_of(pid, user):
            view = pairs_view(home, pid) if pid else None
            rows_ = view.rows if view else []
            if not rows_:   # no empty table on posts without pairs
                return gr.update(value=rows_, visible=False)
            return gr.update(value={"data": rows_, "headers": view.headers}, visible=True)

        def analyse_upload(t, i, kept_before=None, text_before=None, user=None):
            """The upload shown; the picker lists it and names it (when kept). The image box then
            holds the stored image (its temporary file is gone), so that pressing Analyse again
            finds the same post instead of storing the text again without its image; a visitor's
            preview stores nothing, and the box keeps their picture (Gradio's temporary copy).
            `kept_image` names that stored file, so that typing a new text lets it go."""
            keep = user.may(Action.SAVE_LABELS)
            if not (t or "").strip() and not i:
                # nothing typed: the post on show stays (it was cleared, a picked post gone for a
                # refusal about boxes the pick had emptied)
                return [gr.skip()] * (len(outs) + 3) + [
                    f"{NOT_ANALYSED} type a tweet (and add its image, if it has one) to analyse it; the post on show "
                    "stays as it is."]
            try:
                view = upload(home, t, i, keep=keep)
            except CotExplorerError as e:
                return refused(e, i)
            kept = view.image if keep else None
            # a visitor's preview: the box keeps their picture (nothing of it was stored)
            shown_as = NamedFile(kept, view.image_name or Path(kept).name) if kept else (gr.skip() if i else None)
            choices = post_choices(home)
            # the picker names the stored upload on show (it stayed empty beside it); setting it
            # runs nothing: the picker's handler answers the user's picks only (.input)
            named = view.post_id if keep and view.post_id in {pid for _, pid in choices} else None
            shown_view = list(show(view))
            if not keep:   # not a post of the store: Annotate, which opens the post shared here, said
                # "no post 'preview/…'" and stayed on "Opening the first post of the queue…"
                shown_view[0] = gr.skip()
            # an edit of the upload analysed before (Edit its text…, a typo fixed): stored as a new
            # one, said, with what stays with the old one (it came up with no word of either)
            edited = (keep and not view.stored_before and bool(kept_before) and bool(i)
                      and Path(i).name == kept_before and bool((text_before or "").strip())
                      and same_words(text_before) != same_words(t))
            said = (PREVIEW_SAID if not keep else EDIT_STORED.format(before=markdown_literal(snippet(text_before, 50)))
                    if edited else "" if not view.stored_before
                    else STORED_BEFORE if view.text == t else STORED_BEFORE_SPACED)
            return shown_view + [shown_as, gr.update(choices=choices, value=named),
                                 Path(kept).name if kept else "", said]

        def refused(e: CotExplorerError, i: str | None) -> list:
            """A refused upload: the reason under the button, and no results of another post
            beside the new inputs (the post shown before is still listed in the picker). A refused
            image's temporary file is gone, so the box lets go of it (pressing again said the
            file did not exist); after a refused text it keeps the image for the next try."""
            gone = bool(i) and not Path(i).exists()
            return [None, None, FIRST_HINT, "", "", "", gr.update(value=None, visible=False), "",
                    None if gone else gr.skip(), gr.update(value=None), "" if gone else gr.skip(),
                    f"{NOT_ANALYSED} {str(e).rstrip('.')}."
                    + (" The image was let go: pick a usable one." if gone else "")]

        def deletable(pid, user):
            """Only uploads can be deleted, and only by someone who may save labels."""
            own = bool(pid) and str(pid).startswith(f"{UPLOAD_DATASET}/") and user.may(Action.SAVE_LABELS)
            # another post on show: the note of a deletion is old news (none on show: it was just said)
            return gr.update(visible=own), gr.update(visible=own), gr.update(visible=False), "" if pid else gr.skip()

        def edit_upload(pid, user):
            """The upload on show back in the boxes, its text and its stored image, as after its
            analysis: an edit of the text keeps the image (LET_KEPT_IMAGE_GO), and Analyse
            stores the corrected post beside this one."""
            with open_store(home) as store:
                post = get_post(store, pid) if pid else None
                img = image_path(store, post.image_sha256) if post and post.image_sha256 else None
            if post is None or post.dataset != UPLOAD_DATASET:
                return [gr.skip()] * 4 + [f"{NOT_ANALYSED} no upload on show to edit (deleted meanwhile?)."]
            box = NamedFile(str(img), post.image_name or img.name) if img else None
            return [post.text, box, img.name if img else "", post.text if img else "", EDITING_SAID]

        def ask_delete(pid, user):
            try:
                question = delete_question(home, pid, may_drop_work=user.may(Action.DELETE_WORK))
            except CotExplorerError as e:   # said before the question, not after "Delete it"
                return gr.update(visible=False), "", f"**Not deleted:** {e}"
            return gr.update(visible=True), question, ""

        def do_delete(pid, i, kept, user):
            """The upload goes; the views empty and say so. The image box lets go of the image
            kept from its analysis (its file may be gone)."""
            try:
                with open_store(home) as store:
                    post = get_post(store, pid)
                    gone = delete_upload(store, pid, may_drop_work=user.may(Action.DELETE_WORK))
            except CotExplorerError as e:
                return [gr.skip()] * (len(outs) + 4) + [gr.update(visible=False), f"**Not deleted:** {e}"]
            let_go = bool(kept) and bool(i) and Path(i).name == kept
            return [None, None, "", "", "", "", gr.update(value=None, visible=False), "",
                    gr.update(choices=post_choices(home), value=None),
                    None if let_go else gr.skip(), "" if let_go else gr.skip(),
                    gr.update(visible=False), gr.update(visible=False),
                    # by its words first, as the question named it (an id alone says no post)
                    f"Deleted the upload “{markdown_literal(snippet(post.text if post else ''))}” (`{pid}`) with "
                    f"{footprint_sentence(gone)}."]

        def pick_post(pid, shown, t, user):
            """The picked post on show. The text box empties when it holds the text of an upload
            analysed and kept (stored: nothing is lost), so that it does not sit beside another
            post as if it were that post's, whatever was shown in between (an Errors row, say);
            a draft not analysed yet stays. Emptied, the text box's change lets go of the image
            kept with it. The text to let go is handed to LET_TEXT_GO, which empties the box
            only if it still holds that text: typed while the post was predicted, a new
            tweet stays (it was emptied when this answer came)."""
            if not pid:   # the picker cleared: no post to show, no text of a pick to let go
                return [gr.skip()] * len(outs) + ["", gr.skip()]
            done_with = False
            if (t or "").strip():
                with open_store(home) as store:
                    picked = get_post(store, pid)
                    # an upload's text (spaced otherwise too), unless it is the picked post's own
                    done_with = uploaded_words(store, t) and not (picked is not None
                                                                   and same_words(picked.text) == same_words(t))
            return list(show(explore(home, pid, user))) + [t if done_with else "", ""]  # no old refusal beside it

        def open_linked(pid, how, user):
            """The post the page's address names, on show here (after a reload, or a link); the
            picker lists and names it (a post of an imported dataset is not in its list). A link
            opened takes Annotate to the post too, as a pick does (it stayed on its own: a walker
            labelled the demo's first post for the linked one); a reload leaves Annotate where it was."""
            if not (pid or "").strip():
                return [gr.skip()] * (len(outs) + 2)
            with open_store(home) as store:
                post = get_post(store, pid.strip())
            if post is None:
                return [gr.skip()] * len(outs) + [gr.update(value=None), f"The link's post {markdown_literal(pid.strip())} "
                                                  "is not in this store (deleted, or a link to another store's post)."]
            choices = post_choices(home)
            if post.id not in {c for _, c in choices}:
                choices = [(post_label(post), post.id)] + choices
            shown_now = list(show(explore(home, post.id, user)))
            if how != "navigate":   # a reload, or back and forward: Annotate stays where it was
                shown_now[0] = gr.skip()
            return shown_now + [gr.update(choices=choices, value=post.id), ""]

        def ask_claude(pid, progress=gr.Progress(), user=None):
            def asking(i: int, n: int, what: str) -> None:   # a 30 s ask of an MNRE post showed no progress
                progress((i, n), desc=f"Asking Claude about {what} ({i + 1} of {n})")

            try:
                answer = ask_teacher(home, pid, user.label, budget, asking)
            except BudgetExceeded as e:   # in the panel asked about (a toast in a corner faded unread)
                return gr.skip(), f"**Claude was not asked:** {e}.", pid
            return answer.cot, answer.said, pid

        shown.change(guarded(policy, Action.EXPLORE, relations_of), [shown], [relations], api_visibility="private")
        shown.change(guarded(policy, Action.EXPLORE, deletable), [shown], [edit, delete, confirm_box, deleted_note],
                     api_visibility="private")
        delete.click(guarded(policy, Action.SAVE_LABELS, ask_delete), [shown], [confirm_box, confirm_note, deleted_note],
                     api_visibility="private")
        delete_no.click(lambda: gr.update(visible=False), None, [confirm_box], queue=False, api_visibility="private")
        # the file name of the stored image the box holds after an analysis (a hidden box, not a
        # State: the page reads it, so a keystroke costs no call to the server)
        kept_image = gr.Textbox(visible=False, elem_id="kept-image")
        # the text analysed with the kept image (an edit of it keeps the image: LET_KEPT_IMAGE_GO),
        # noted in the page after each analysis, and as an example's analysis keeps its image
        kept_for = gr.Textbox(visible=False, elem_id="kept-for")
        analysed = dict(fn=guarded(policy, Action.PREDICT, analyse_upload), inputs=[text, image, kept_image, kept_for],
                        outputs=outs + [image, pick, kept_image, analyse_note], api_visibility="private", **model_work)
        note_kept_for = dict(fn=None, inputs=[kept_image, text], outputs=[kept_for], api_visibility="private",
                             js="(kept, text) => kept ? text : ''")
        analyse.click(**analysed).then(**note_kept_for).then(   # kept_image may not change: the same image again
            None, None, None, api_visibility="private", js=SHOW_RESULTS_ON_A_PHONE)
        # The examples, below the two columns (every component made after this one is hidden):
        # labelled buttons, not Gradio's table (on a phone the table ran off the screen, the image
        # column headed by the box's long label), analysed on their click (they only filled the
        # inputs: one more press)
        gr.Examples([[t, str(image_file)] for t, image_file in EXAMPLES], inputs=[text, image],
                    outputs=analysed["outputs"], fn=analysed["fn"], run_on_click=True, cache_examples=False,
                    elem_id="explore-examples", api_visibility="private",
                    example_labels=[example_label(t, image_file) for t, image_file in EXAMPLES])
        deleted = delete_yes.click(guarded(policy, Action.SAVE_LABELS, do_delete), [shown, image, kept_image],
                                   outs + [pick, image, kept_image, delete, confirm_box, deleted_note],
                                   api_visibility="private")
        # another image picked: a refusal of the last one is old news (it stayed, said of this one),
        # and so is what became of the image before it ("pick one for this text" stayed, picked)
        image.upload(None, [analyse_note], [analyse_note], api_visibility="private",
                     js=f"(note) => (note || '').startsWith({json.dumps(NOT_ANALYSED)}) || "
                        f"[{json.dumps(IMAGE_LET_GO)}, {json.dumps(IMAGE_KEPT)}].includes(note) ? '' : note")
        kept_image.change(**note_kept_for)
        edit.click(guarded(policy, Action.SAVE_LABELS, edit_upload), [shown],
                   [text, image, kept_image, kept_for, analyse_note], api_visibility="private")
        # The text changed after an analysis, with the image kept from it in the box: a new tweet
        # lets it go, an edit of the analysed one keeps it (LET_KEPT_IMAGE_GO). In the page, on
        # every keystroke; .change, not .input: a paste or a browser's autofill counts too.
        text.change(None, [text, image, kept_image, kept_for, analyse_note], [image, kept_image, analyse_note],
                    api_visibility="private", js=LET_KEPT_IMAGE_GO)
        done_text = gr.Textbox(visible=False, elem_id="done-text")   # an analysed upload's text, to let go
        def do_find(q, user):
            if not (q or "").strip():   # the search emptied: the picker's own list again
                return gr.update(choices=post_choices(home), value=None, label=PICK_LABEL)
            matches = find_posts(home, q)
            if not matches:   # the list stays (it was emptied, and came back only with the search box cleared)
                return gr.update(choices=post_choices(home), value=None,
                                 label=f"{PICK_LABEL}: {found_said(q.strip(), matches)}; the usual list is below")
            return gr.update(choices=matches, value=None, label=f"{PICK_LABEL}: {found_said(q.strip(), matches)}")

        find.submit(guarded(policy, Action.EXPLORE, do_find), [find], [pick], api_visibility="private")
        pick.input(guarded(policy, Action.EXPLORE, pick_post), [pick, shown, text],
                    outs + [done_text, analyse_note], api_visibility="private", **model_work).then(
            None, [text, done_text], [text, done_text], js=LET_TEXT_GO, api_visibility="private")
        def redraw(pid, asked_pid, user):
            """The post's rows and disagreements again, with the teacher's new answers (the
            post itself stays: outs[:2], the picked post, is not set again); of the post on
            show now, which a pick made while the ask ran may have changed: then the ask's line,
            about another post, goes too."""
            if not pid:
                return [gr.skip()] * (len(outs) - 1)
            return list(show(explore(home, pid, user)))[2:] + [gr.skip() if pid == asked_pid else ""]

        # the line of an ask is about the post it asked about: another post shown takes it away
        shown.change(guarded(policy, Action.EXPLORE, lambda user: "", quiet=True), None, [ask_note], queue=False,
                     api_visibility="private", show_progress="hidden")
        asked_about = gr.State(None)
        asked = ask.click(guarded(policy, Action.ASK_CLAUDE, ask_claude), [shown], [cot, ask_note, asked_about],
                          api_visibility="private",
                          **model_work).then(guarded(policy, Action.EXPLORE, relations_of), [shown], [relations],
                                             api_visibility="private", **model_work
                                             ).then(guarded(policy, Action.EXPLORE, redraw), [shown, asked_about],
                                                    outs[2:] + [ask_note], api_visibility="private", **model_work)
        post_id.change(None, [post_id], None, js=KEEP_POST_IN_ADDRESS, api_visibility="private")
        # back from Annotate, which names its own post there while it shows
        explore_tab.select(None, [post_id], None, js=NAME_POST_AGAIN, api_visibility="private")

        def labels_now(pid, user):
            """The post's rows and disagreements as its labels are now: a label or relation saved
            in Annotate on the post on show here stayed unsaid until a reload (a walker read "no
            entity labels yet" under the entity just saved)."""
            if not pid:
                return [gr.skip(), gr.skip()]
            try:
                view = explore(home, pid, user)
            except CotExplorerError:   # gone meanwhile (deleted elsewhere): the next pick says so
                return [gr.skip(), gr.skip()]
            return [view.rows, view.disagreements]

        explore_tab.select(guarded(policy, Action.EXPLORE, labels_now, quiet=True), [shown], [rows, disagree],
                           api_visibility="private", show_progress="hidden").then(
            guarded(policy, Action.EXPLORE, relations_of, quiet=True), [shown], [relations], api_visibility="private",
            show_progress="hidden")
        linked = gr.Textbox(visible=False, elem_id="explore-linked")
        linked_how = gr.Textbox(visible=False)   # how the page was opened: navigate, reload, back_forward
        linked_event = dict(fn=guarded(policy, Action.EXPLORE, open_linked, quiet=True), inputs=[linked, linked_how],
                            outputs=outs + [pick, analyse_note], js=READ_POST_IN_ADDRESS, api_visibility="private",
                            **model_work)
    return {"pick": pick, "asked": asked, "deleted": deleted, "linked_event": linked_event,
            "ask": ask, "ask_unavailable": ask_unavailable}
