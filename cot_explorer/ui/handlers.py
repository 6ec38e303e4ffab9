"""Plain functions the UI calls: they take and return data, never widgets. The store is the
state; the only cache is of loaded model weights, which never change on disk."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..ask_budget import AskBudget, BudgetExceeded
from ..errors import CotExplorerError, ValidationError
from ..evaluate import ERROR_KINDS, score_spans, span_errors, type_confusion
from ..importer import import_jsonl, pgim_output
from ..schema import LabelSet, Post, Span, TeacherOutput, pair_grain
from ..stats import compute_stats
from ..store import open_store, utc_now
from ..store import labels as label_store
from ..store.images import add_image, image_path, read_image_file
from ..store.posts import attach_image, dataset_schema, get_post, list_posts
from ..store.teacher_outputs import add_outputs, outputs_for_post
from ..teacher.parse import align_entity
from ..uploads import add_upload, preview_post

ASSETS = Path(__file__).resolve().parents[2] / "assets"
DEMO_DATASET = "demo"
STATS_COLUMNS = ["dataset", "split", "posts", "entities", "relations", "with knowledge", "with caption", "corrected"]
SPAN_COLUMNS = ["start", "end", "type", "text"]


# -- set-up ---------------------------------------------------------------------------------

def ensure_demo(home: Path) -> bool:
    """Import the bundled demo set (posts, gold, captions, drawn images, recorded CoT) into a
    store that lacks it; a store that has it from before its images existed gets them."""
    with open_store(home) as store:
        if store.conn.execute("SELECT 1 FROM posts WHERE dataset = ? LIMIT 1", (DEMO_DATASET,)).fetchone():
            _attach_demo_images(store)
            return False
        import_jsonl(store, str(ASSETS / "demo" / "posts.jsonl"))
        outputs = []
        for line in (ASSETS / "demo" / "knowledge.jsonl").read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            post = get_post(store, rec["id"])
            outputs.append((post, pgim_output(post, rec["text"])[0]))
        add_outputs(store, outputs)
    return True


def _attach_demo_images(store) -> None:
    missing = {r[0] for r in store.conn.execute(
        "SELECT id FROM posts WHERE dataset = ? AND image_sha256 IS NULL", (DEMO_DATASET,))}
    if not missing:
        return
    folder = ASSETS / "demo"
    for line in (folder / "posts.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec["id"] in missing and rec.get("image_path"):
            stored = add_image(store, read_image_file(folder / rec["image_path"]), Path(rec["image_path"]).name)
            attach_image(store, rec["id"], stored.sha256)


@lru_cache(maxsize=4)
def _loaded(path: str, mtime: float):
    from ..student.checkpoint import load_checkpoint
    return load_checkpoint(Path(path))


def student(home: Path, model: str = "default"):
    from ..student.registry import Registry
    with open_store(home) as store:
        path = Registry(store).path(model)
    return _loaded(str(path), (path / "manifest.json").stat().st_mtime)


def teacher_available() -> bool:
    return bool(os.environ.get("ANTHROPIC_API_KEY"))


def stats_rows(home: Path) -> list[list]:
    with open_store(home) as store:
        stats = compute_stats(store)
    return [[s.dataset, s.split, s.posts, " ".join(f"{t}:{n}" for t, n in s.spans_per_type.items()), s.relations,
             s.posts_with_knowledge, s.posts_with_caption, s.corrected_posts] for s in stats]


def dataset_splits(home: Path) -> list[str]:
    with open_store(home) as store:
        return [f"{d}/{s}" for d, s in store.conn.execute(
            "SELECT DISTINCT dataset, split FROM posts ORDER BY dataset = 'demo' DESC, dataset, split")]


def _split(dataset_split: str) -> tuple[str, str]:
    if not dataset_split or "/" not in dataset_split:
        raise ValidationError("choose a dataset/split first")
    d, s = dataset_split.split("/", 1)
    return d, s


# -- explore ----------------------------------------------------------------------------------

@dataclass
class ExploreView:
    post_id: str
    text: str
    image: str | None
    caption: str
    cot: str
    student: list[tuple[str, str | None]]
    gold: list[tuple[str, str | None]]
    disagreements: str
    student_spans: list[tuple[int, int, str, float]] = field(default_factory=list)


def highlight(post: Post, spans: list[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    """(text, label) pieces for gr.HighlightedText, keeping the post's own spacing."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    for start, end, label in sorted(spans):
        cs, ce = post.offsets[start][0], post.offsets[end - 1][1]
        if cs > pos:
            out.append((post.text[pos:cs], None))
        out.append((post.text[cs:ce], label))
        pos = ce
    if pos < len(post.text):
        out.append((post.text[pos:], None))
    return out


def predict_post(home: Path, post: Post) -> list[tuple[int, int, str, float]]:
    loaded = student(home)
    from ..student.predict import StudentPredictor
    (spans,) = StudentPredictor(loaded).predict_entities([post.tokens])
    return [(p.start, p.end, p.type, p.confidence) for p in spans]


def cot_markdown(outputs: list[TeacherOutput]) -> str:
    ok = [o for o in outputs if o.status == "ok" and o.grain in ("cot", "reasoning")]
    errors = [o for o in outputs if o.status == "error"]
    if not ok:
        msg = "No teacher knowledge for this post yet."
        if not teacher_available():
            msg += " Set `ANTHROPIC_API_KEY` (or a Spaces secret) and restart to ask Claude."
        if errors:
            msg += f"\n\nLast teacher error: {errors[-1].error}"
        return msg
    o = ok[-1]
    parts = [f"**Teacher:** {o.teacher} ({o.model})"]
    if o.grain == "cot":
        answer = json.loads(o.raw) if o.raw.startswith("{") else {}
        parts += [f"**{g.capitalize()}:** {answer[g]}" for g in ("noun", "sentence", "multimodal") if g in answer]
    else:
        parts.append(f"**Reasoning:** {o.text}")
    if o.entities:
        parts.append("**Teacher's entities:** " + "; ".join(f"{e.text} ({e.type})" for e in o.entities))
    return "\n\n".join(parts)


def explore(home: Path, post_id: str) -> ExploreView:
    with open_store(home) as store:
        post = get_post(store, post_id)
        if post is None:
            raise ValidationError(f"no post {post_id!r}")
        gold = label_store.current(store, post_id, "mner")
        outputs = outputs_for_post(store, post_id)
        img = image_path(store, post.image_sha256) if post.image_sha256 else None
    return explore_view(home, post, gold, outputs, img)


def explore_view(home: Path, post: Post, gold: LabelSet | None, outputs: list[TeacherOutput],
                 img: Path | None) -> ExploreView:
    pred = predict_post(home, post)
    gold_spans = [(s.start, s.end, s.type) for s in gold.spans] if gold else []
    teacher_spans = {(e.span.start, e.span.end) for o in outputs if o.status == "ok" for e in o.entities if e.span}
    notes = []
    pset = {(s, e, t) for s, e, t, _ in pred}
    for s, e, t in gold_spans:
        if (s, e, t) not in pset:
            notes.append(f"student misses **{post.text[post.offsets[s][0]:post.offsets[e - 1][1]]}** ({t})")
    for s, e, t, c in pred:
        if gold and (s, e, t) not in set(gold_spans):
            notes.append(f"student adds **{post.text[post.offsets[s][0]:post.offsets[e - 1][1]]}** ({t}, {c:.2f})")
        if teacher_spans and (s, e) not in teacher_spans:
            notes.append(f"teacher does not list **{post.text[post.offsets[s][0]:post.offsets[e - 1][1]]}**")
    return ExploreView(
        post.id, post.text, str(img) if img else None,
        post.caption or ("" if img else "(no image or caption for this post)"),
        cot_markdown(outputs),
        highlight(post, [(s, e, t) for s, e, t, _ in pred]),
        highlight(post, gold_spans) if gold else [(post.text, None)],
        ("**Student confidence:** " + "; ".join(
            f"{post.text[post.offsets[s][0]:post.offsets[e - 1][1]]} {t} {c:.2f}" for s, e, t, c in pred) + "\n\n"
         if pred else "") +
        ("\n".join(f"- {n}" for n in notes) or ("Student and gold agree." if gold else "No gold labels for this post.")),
        pred,
    )


def upload(home: Path, text: str, image: str | None, keep: bool = True) -> ExploreView:
    """Explore an upload: stored as a post (`keep`, for annotators and admins), or only
    predicted (a visitor's, which leaves nothing behind). The image file is checked by its
    header before any decoding, and Gradio's temporary copy is deleted once handled."""
    try:
        data = read_image_file(Path(image), Path(image).name) if image else None
        name = Path(image).name if image else None
        if not keep:
            post = preview_post(text, data, name)
            return explore_view(home, post, None, [], None)
        with open_store(home) as store:
            post = add_upload(store, text, data, name)
    finally:
        if image:
            discard_upload(Path(image))
    return explore(home, post.id)


def discard_upload(path: Path) -> None:
    """Delete a file Gradio saved from an upload (and its folder, once empty); files
    elsewhere (the bundled examples) are never touched."""
    from gradio.utils import get_upload_folder

    cache = Path(get_upload_folder()).resolve()
    path = path.resolve()
    if not path.is_relative_to(cache) or path == cache:
        return
    path.unlink(missing_ok=True)
    parent = path.parent
    while parent != cache and parent.is_relative_to(cache):
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


def ask_teacher(home: Path, post_id: str, user: str, budget: AskBudget) -> str:
    """Ask Claude about one post, within the user's hourly limit and the day's dollar cap."""
    from ..store.teacher_requests import begin_request, finish_request
    from ..teacher.anthropic_teacher import AnthropicTeacher
    from ..teacher.base import TeachRequest
    if not post_id:
        raise ValidationError("pick or upload a post first")
    with open_store(home) as store:
        post = get_post(store, post_id)
        if post is None:
            raise ValidationError(f"no post {post_id!r}")
        hour_ago, midnight = budget.windows()
        request_id, refusal = begin_request(store, user, post_id, hour_ago, midnight,
                                            budget.per_user_per_hour, budget.daily_usd)
        if refusal:
            raise BudgetExceeded(refusal)
        img = image_path(store, post.image_sha256) if post.image_sha256 else None
        types = dataset_schema(store, post.dataset).types
        out = None
        try:
            out = AnthropicTeacher().explain(TeachRequest(post, entity_types=tuple(types),
                                                          image=img.read_bytes() if img else None))
            add_outputs(store, [(post, out)])
        finally:
            finish_request(store, request_id, out is not None and out.status == "ok", (out.cost_usd or 0.0) if out else 0.0)
        return cot_markdown(outputs_for_post(store, post_id))


# -- annotate -----------------------------------------------------------------------------------

@dataclass
class AnnotateView:
    post_id: str
    tokens: list[list]
    spans: list[list]
    version: int | None
    history: list[list]
    status: str
    image: str | None = None


def _rows(post: Post, spans) -> list[list]:
    return [[s.start, s.end, s.type, post.span_text(s)] for s in sorted(spans, key=lambda s: s.start)]


def annotate(home: Path, post_id: str, status: str = "") -> AnnotateView:
    with open_store(home) as store:
        post = get_post(store, post_id)
        if post is None:
            raise ValidationError(f"no post {post_id!r}")
        hist = label_store.history(store, post_id, "mner")
        img = image_path(store, post.image_sha256) if post.image_sha256 else None
    cur = hist[-1] if hist else None
    return AnnotateView(post_id, [[i, t] for i, t in enumerate(post.tokens)], _rows(post, cur.spans if cur else ()),
                        cur.version if cur else None,
                        [[h.version, h.source, h.author, h.created_at, len(h.spans)] for h in reversed(hist)], status,
                        str(img) if img else None)


def spans_from_rows(post: Post, rows) -> tuple[Span, ...]:
    spans = []
    for row in rows or []:
        if row is None or all(v in (None, "") for v in row[:3]):
            continue
        try:
            start, end, type_ = int(row[0]), int(row[1]), str(row[2]).strip()
        except (TypeError, ValueError) as e:
            raise ValidationError(f"each span needs integer start and end and a type, got {row[:3]}") from e
        spans.append(Span(start, end, type_))
    return tuple(spans)


def save_labels(home: Path, post_id: str, rows, base_version: int | None, author: str,
                source: str = "annotator") -> AnnotateView:
    author = (author or "").strip()
    if not author:
        raise ValidationError("type your name in the annotator field before saving")
    with open_store(home) as store:
        post = get_post(store, post_id)
        if post is None:
            raise ValidationError(f"no post {post_id!r}")
        saved = label_store.save(store, post_id, LabelSet("mner", spans=spans_from_rows(post, rows), source=source,
                                                          author=author), base_version)
    return annotate(home, post_id, f"saved version {saved.version} (replaces {saved.replaces})")


def undo_labels(home: Path, post_id: str, base_version: int | None, author: str) -> AnnotateView:
    if base_version is None:
        raise ValidationError("nothing to undo")
    with open_store(home) as store:
        restored = label_store.undo(store, post_id, "mner", int(base_version), (author or "").strip() or "unknown")
    return annotate(home, post_id, f"restored the previous labels as version {restored.version}")


def add_span_by_text(home: Path, post_id: str, rows, text: str, type_: str) -> list[list]:
    with open_store(home) as store:
        post = get_post(store, post_id)
        types = dataset_schema(store, post.dataset).types
    if type_ not in types:
        raise ValidationError(f"pick a type among {', '.join(types)}")
    span = align_entity(post, text or "")
    if span is None:
        raise ValidationError(f"{text!r} is not a run of whole tokens in this post")
    current = [r for r in (rows or []) if r and r[0] not in (None, "")]
    return current + [[span.start, span.end, type_, post.span_text(span)]]


def suggestion_rows(home: Path, post_id: str, source: str) -> list[list]:
    """The student's or the teacher's entities as editable rows (accept in one click)."""
    with open_store(home) as store:
        post = get_post(store, post_id)
        if source == "teacher":
            types = dataset_schema(store, post.dataset).types
            outs = [o for o in outputs_for_post(store, post_id) if o.status == "ok"]
            spans = [Span(e.span.start, e.span.end, e.type if e.type in types else _map_type(e.type, types))
                     for o in outs[-1:] for e in o.entities if e.span]
            spans = [s for s in spans if s.type]
            return _rows(post, _non_overlapping(spans))
    return _rows(post, [Span(s, e, t) for s, e, t, _ in predict_post(home, post)])


def _map_type(free: str, types) -> str | None:
    """Free-text teacher types ('person/player') mapped by keywords to the schema."""
    f = free.lower()
    for keys, t in ((("person", "player", "actor", "singer", "people", "character"), "PER"),
                    (("location", "city", "country", "place", "venue", "state"), "LOC"),
                    (("organization", "organisation", "team", "company", "league", "band", "club"), "ORG")):
        if any(k in f for k in keys) and t in types:
            return t
    return types[-1] if types else None


def _non_overlapping(spans):
    out, taken = [], set()
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        cover = set(range(s.start, s.end))
        if not cover & taken:
            out.append(s)
            taken |= cover
    return out


def queue(home: Path, dataset_split: str, type_filter: str = "any", only_errors: bool = False,
          not_corrected: bool = False, order: str = "file order") -> list[str]:
    dataset, split = _split(dataset_split)
    with open_store(home) as store:
        posts = list_posts(store, dataset, split)
        current = label_store.current_for_split(store, dataset, split, "mner")
    if type_filter and type_filter != "any":
        posts = [p for p in posts if p.id in current and any(s.type == type_filter for s in current[p.id].spans)]
    if not_corrected:
        posts = [p for p in posts if p.id not in current or current[p.id].source == "gold"]
    if only_errors or order != "file order":
        preds = cached_predictions(home, posts)
        if only_errors:
            posts = [p for p in posts if p.id in current and
                     {(s.start, s.end, s.type) for s in current[p.id].spans} != {(a, b, t) for a, b, t, _ in preds[p.id]}]
        if order == "student uncertainty":
            posts.sort(key=lambda p: min([c for *_, c in preds[p.id]], default=1.0))
        elif order == "teacher-student disagreement":
            with open_store(home) as store:
                tspans = {p.id: {(e.span.start, e.span.end) for o in outputs_for_post(store, p.id) if o.status == "ok"
                                 for e in o.entities if e.span} for p in posts}
            posts.sort(key=lambda p: -len(tspans[p.id] ^ {(a, b) for a, b, *_ in preds[p.id]}))
    return [p.id for p in posts]


# -- predictions cache and error analysis ---------------------------------------------------------

def cached_predictions(home: Path, posts: list[Post], model: str = "default") -> dict[str, list[tuple[int, int, str, float]]]:
    """Predictions of one model version, computed once and kept in the store."""
    from ..student.predict import StudentPredictor
    from ..student.registry import Registry
    loaded = student(home, model)
    name = loaded.manifest["name"]
    with open_store(home) as store:
        if store.conn.execute("SELECT 1 FROM model_versions WHERE name = ?", (name,)).fetchone() is None:
            Registry(store).register(loaded.path)  # predictions reference a known model version
        have = {r[0]: json.loads(r[1]) for r in store.conn.execute(
            "SELECT post_id, payload FROM predictions WHERE model_version = ? AND task = 'mner'", (name,))}
        missing = [p for p in posts if p.id not in have]
        if missing:
            preds = StudentPredictor(loaded).predict_entities([p.tokens for p in missing])
            rows = [{"post_id": p.id, "task": "mner", "model_version": name, "created_at": utc_now(),
                     "payload": json.dumps({"spans": [[s.start, s.end, s.type, s.confidence] for s in ps]})}
                    for p, ps in zip(missing, preds)]
            with store.write():
                store.db["predictions"].insert_all(rows, replace=True)
            have.update({r["post_id"]: json.loads(r["payload"]) for r in rows})
    return {p.id: [tuple(x) for x in have[p.id]["spans"]] for p in posts}


@dataclass
class ErrorAnalysis:
    overall: list[list]
    per_type: list[list]
    kinds: dict[str, int]
    confusion: list[list[int]]
    labels: list[str]
    errors: list[list]


def error_analysis(home: Path, dataset_split: str, model: str = "default") -> ErrorAnalysis:
    dataset, split = _split(dataset_split)
    with open_store(home) as store:
        posts = list_posts(store, dataset, split)
        gold = label_store.current_for_split(store, dataset, split, "mner")
        types = list(dataset_schema(store, dataset).types)
    posts = [p for p in posts if p.id in gold]
    if not posts:
        raise ValidationError(f"{dataset_split} has no labelled posts to analyse")
    preds = cached_predictions(home, posts, model)
    g = [list(gold[p.id].spans) for p in posts]
    pr = [[Span(a, b, t) for a, b, t, _ in preds[p.id]] for p in posts]
    scores = score_spans(g, pr)
    kinds = {k: 0 for k in ERROR_KINDS}
    errors = []
    for p, gs, ps in zip(posts, g, pr):
        for err in span_errors(gs, ps):
            kinds[err.kind] += 1
            errors.append([p.id, err.kind, f"{p.span_text(err.gold)} ({err.gold.type})" if err.gold else "",
                           f"{p.span_text(err.pred)} ({err.pred.type})" if err.pred else ""])
    return ErrorAnalysis(
        [[scores.precision, scores.recall, scores.f1, scores.n_posts, scores.n_gold, scores.n_pred]],
        [[t, s.precision, s.recall, s.f1, s.support] for t, s in scores.per_type.items()],
        kinds, type_confusion(g, pr, types), types + ["O"], errors)


# -- distill --------------------------------------------------------------------------------------

def resolve_since(home: Path, since: str | None) -> str | None:
    """A curated-set start: an ISO date, or a model version (the corrections made after it)."""
    since = (since or "").strip()
    if not since:
        return None
    with open_store(home) as store:
        row = store.conn.execute("SELECT created_at FROM model_versions WHERE name = ?", (since,)).fetchone()
    if row:
        return row[0]
    from datetime import datetime
    try:
        datetime.fromisoformat(since)
    except ValueError as e:
        raise ValidationError(f"{since!r} is neither an ISO date (2026-11-26) nor a known model version") from e
    return since


def start_distill(home: Path, dataset: str, name: str, variant: str, epochs: int, replay_ratio: float,
                  since: str | None = None) -> int:
    from ..jobs import start_distill_job
    from ..student.registry import Registry
    if not dataset:
        raise ValidationError("choose the dataset whose corrected posts to learn from")
    since_at = resolve_since(home, since)
    with open_store(home) as store:
        registry = Registry(store)
        name = registry.reserve(name.strip()) if (name or "").strip() else registry.automatic_name(f"{dataset}-round")
    try:
        return start_distill_job(home, {"dataset": dataset, "name": name, "variant": variant, "epochs": int(epochs),
                                        "replay_ratio": float(replay_ratio), "since": since_at})
    except BaseException:
        with open_store(home) as store:
            Registry(store).release(name)
        raise


@dataclass
class JobView:
    job_id: int | None
    status: str
    progress: float
    message: str
    result: dict | None


def job_view(home: Path, job_id: int | None = None) -> JobView:
    from ..store.jobs import get_job
    with open_store(home) as store:
        if job_id is None:
            row = store.conn.execute("SELECT id FROM jobs WHERE kind = 'distill' ORDER BY id DESC LIMIT 1").fetchone()
            job_id = row[0] if row else None
        job = get_job(store, job_id) if job_id is not None else None
    if job is None:
        return JobView(None, "no job yet", 0.0, "", None)
    progress = 1.0 if job.status == "done" else (job.step / job.total if job.total else 0.0)
    return JobView(job.id, job.status, progress, job.error or job.message, job.result)


def cancel(home: Path, job_id: int | None) -> None:
    from ..jobs import cancel_job
    view = job_view(home, job_id)
    if view.job_id is None or view.status != "running":
        raise ValidationError("no running distillation job to cancel")
    cancel_job(home, view.job_id)


def versions(home: Path) -> list[list]:
    from ..student.registry import Registry
    with open_store(home) as store:
        reg = Registry(store)
        default = reg.default_path()
        rows = []
        for m in reg.list():
            f1 = (m.metrics.get("held_out") or m.metrics.get("test") or m.metrics.get("valid") or {}).get("f1")
            rows.append([m.name, m.variant, f1, m.created_at, "default" if m.path == default else "",
                         "shipped" if m.shipped else "trained here"])
    return rows


def promote(home: Path, name: str) -> None:
    from ..student.registry import Registry
    if not name:
        raise ValidationError("pick a version to promote")
    with open_store(home) as store:
        Registry(store).promote(name)


def rollback(home: Path) -> str:
    from ..student.registry import Registry
    with open_store(home) as store:
        return Registry(store).rollback().name


# -- relations (MRE) ------------------------------------------------------------------------------

RELATION_COLUMNS = ["pair", "head", "tail", "current label", "student", "teacher"]


def relations_view(home: Path, post_id: str) -> tuple[list[list], int | None]:
    """Each entity pair of an MNRE post: current label, the MRE student's relation (when an
    MRE model is promoted) and the teacher's relation with its rationale; plus the version."""
    from ..student.registry import Registry
    with open_store(home) as store:
        labels = label_store.current(store, post_id, "mre")
        if labels is None:  # not an MNRE post: nothing more to read
            return [], None
        post = get_post(store, post_id)
        outs = {o.grain: o for o in outputs_for_post(store, post_id) if o.status == "ok"}
        try:
            mre_path = Registry(store).default_path("mre")
        except CotExplorerError:
            mre_path = None
    if post is None:
        return [], None
    preds = {}
    if mre_path is not None:
        from ..student.predict import StudentPredictor
        loaded = _loaded(str(mre_path), (mre_path / "manifest.json").stat().st_mtime)
        got = StudentPredictor(loaded).predict_relations([(post.tokens, r.head, r.tail) for r in labels.relations])
        preds = {i: f"{p.label} ({p.confidence:.2f})" for i, p in enumerate(got)}
    rows = []
    for i, r in enumerate(labels.relations):
        grain = pair_grain("cot", r.head, r.tail)
        teacher = outs[grain].text.split("Relation: ", 1)[-1] if grain in outs else ""
        rows.append([i, post.span_text(r.head), post.span_text(r.tail), r.label,
                     preds.get(i, "no MRE student promoted"), teacher])
    return rows, labels.version


def save_relation(home: Path, post_id: str, index: int, label: str, base_version: int | None, author: str) -> list[list]:
    """Change the relation of one entity pair; saved as a new MRE label version."""
    author = (author or "").strip()
    if not author:
        raise ValidationError("type your name in the annotator field before saving")
    with open_store(home) as store:
        labels = label_store.current(store, post_id, "mre")
        if labels is None:
            raise ValidationError("this post has no entity pairs")
        rels = list(labels.relations)
        if not 0 <= int(index) < len(rels):
            raise ValidationError(f"pick a pair between 0 and {len(rels) - 1}")
        rels[int(index)] = rels[int(index)].__class__(rels[int(index)].head, rels[int(index)].tail, label)
        label_store.save(store, post_id, LabelSet("mre", relations=tuple(rels), source="annotator", author=author),
                         base_version)
    return relations_view(home, post_id)[0]
